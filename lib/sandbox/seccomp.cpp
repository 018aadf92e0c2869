#include "lib/sandbox/seccomp.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace harness::sandbox::seccomp {
namespace {

// Namespace flags. CLONE_NEWTIME (0x80) shares its bit with clone()'s exit signal, so it can only
// be refused on unshare(); clone() cannot create a time namespace anyway.
constexpr std::uint64_t k_clone_ns_flags[] = {CLONE_NEWNS,    CLONE_NEWUTS, CLONE_NEWIPC,
                                              CLONE_NEWUSER,  CLONE_NEWPID, CLONE_NEWNET,
                                              CLONE_NEWCGROUP};

constexpr int k_eperm_syscalls[] = {
    SCMP_SYS(mount),
    SCMP_SYS(umount2),
    SCMP_SYS(pivot_root),
    SCMP_SYS(chroot),
    SCMP_SYS(setns),
    SCMP_SYS(fsopen),
    SCMP_SYS(fsconfig),
    SCMP_SYS(fsmount),
    SCMP_SYS(fspick),
    SCMP_SYS(open_tree),
    SCMP_SYS(move_mount),
    SCMP_SYS(mount_setattr),
    SCMP_SYS(ptrace),
    SCMP_SYS(process_vm_readv),
    SCMP_SYS(process_vm_writev),
    SCMP_SYS(keyctl),
    SCMP_SYS(add_key),
    SCMP_SYS(request_key),
    SCMP_SYS(bpf),
    SCMP_SYS(perf_event_open),
    SCMP_SYS(userfaultfd),
    SCMP_SYS(kexec_load),
    SCMP_SYS(kexec_file_load),
    SCMP_SYS(init_module),
    SCMP_SYS(finit_module),
    SCMP_SYS(delete_module),
    SCMP_SYS(syslog),
    SCMP_SYS(acct),
    SCMP_SYS(quotactl),
    SCMP_SYS(swapon),
    SCMP_SYS(swapoff),
    SCMP_SYS(open_by_handle_at),
    SCMP_SYS(uselib),
};

constexpr int k_enosys_syscalls[] = {SCMP_SYS(clone3), SCMP_SYS(io_uring_setup),
                                     SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register)};

struct CtxFree {
  void operator()(scmp_filter_ctx c) const { seccomp_release(c); }
};
using Ctx = std::unique_ptr<void, CtxFree>;

harness::Status check(int rc, const char* what) {
  if (rc == 0) return {};
  return make_error(ErrorCode::unavailable,
                    std::string("seccomp filter: ") + what + ": " + std::strerror(-rc));
}

harness::Status add_rules(scmp_filter_ctx ctx) {
  const std::uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
  for (int sc : k_eperm_syscalls) HARNESS_TRY(check(seccomp_rule_add(ctx, eperm, sc, 0), "rule"));
  for (int sc : k_enosys_syscalls)
    HARNESS_TRY(check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), sc, 0), "rule"));
  // The kernel reads ioctl's request as an unsigned int: compare only the low 32 bits, or
  // TIOCSTI | 1 << 32 would slip through (CVE-2019-10063).
  for (unsigned long req :
       {static_cast<unsigned long>(TIOCSTI), static_cast<unsigned long>(TIOCLINUX)}) {
    HARNESS_TRY(check(seccomp_rule_add(ctx, eperm, SCMP_SYS(ioctl), 1,
                                       SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, req)),
                      "ioctl"));
  }
  for (std::uint64_t flag : k_clone_ns_flags) {
    HARNESS_TRY(check(
        seccomp_rule_add(ctx, eperm, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)),
        "clone"));
  }
  for (std::uint64_t flag : k_clone_ns_flags) {
    HARNESS_TRY(check(
        seccomp_rule_add(ctx, eperm, SCMP_SYS(unshare), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)),
        "unshare"));
  }
  HARNESS_TRY(check(seccomp_rule_add(ctx, eperm, SCMP_SYS(unshare), 1,
                                     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWTIME, CLONE_NEWTIME)),
                    "unshare"));
  // personality(): PER_LINUX only (no READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, uname faking...).
  // Like Flatpak this also refuses the 0xffffffff query: libseccomp cannot compare one argument
  // twice in a rule, and a default-allow filter cannot hold an allow rule.
  return check(seccomp_rule_add(ctx, eperm, SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_NE, 0)),
               "personality");
}

harness::Result<std::string> build() {
  Ctx ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return make_error(ErrorCode::unavailable, "seccomp filter: seccomp_init failed");
  // Only the native ABI is in the filter; x32 and i386 calls hit the bad-arch action.
  HARNESS_TRY(
      check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "attr"));
  HARNESS_TRY(add_rules(ctx.get()));
  int fd = memfd_create("harness-seccomp-build", MFD_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::unavailable, "seccomp filter: memfd_create failed");
  int rc = seccomp_export_bpf(ctx.get(), fd);
  std::string out;
  if (rc == 0) {
    char buf[4096];
    ssize_t n;
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  HARNESS_TRY(check(rc, "export"));
  if (out.empty() || out.size() % 8 != 0)
    return make_error(ErrorCode::unavailable, "seccomp filter: empty or malformed program");
  return out;
}

harness::Result<int> publish(const std::string& bpf) {
  int fd = memfd_create("harness-seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return make_error(ErrorCode::unavailable, "seccomp filter: memfd_create failed");
  bool ok = write(fd, bpf.data(), bpf.size()) == static_cast<ssize_t>(bpf.size()) &&
            fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) == 0;
  if (!ok) {
    ::close(fd);
    return make_error(ErrorCode::unavailable, "seccomp filter: cannot seal the memfd");
  }
  // Deliberately never closed: children inherit it for the life of the process.
  return fd;
}

}  // namespace

harness::Result<std::string> filter_bpf() {
  static const harness::Result<std::string> bpf = build();
  return bpf;
}

harness::Result<int> filter_fd() {
  static const harness::Result<int> fd = [] {
    auto bpf = filter_bpf();
    return bpf ? publish(*bpf) : harness::Result<int>(bpf.error());
  }();
  return fd;
}

harness::Result<std::string> filter_path() {
  HARNESS_TRY_ASSIGN(int fd, filter_fd());
  return "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(fd);
}

}  // namespace harness::sandbox::seccomp
