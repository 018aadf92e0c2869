#pragma once
// The seccomp filter every bwrap sandbox runs under (bwrap --seccomp FD). Built with libseccomp
// once per process; thread-safe. Default: allow. Refused (EPERM unless noted):
//   ioctl TIOCSTI / TIOCLINUX (terminal injection; only the low 32 bits of the request count),
//   clone/unshare with any CLONE_NEW* flag, setns, clone3 (ENOSYS: its flags are out of reach
//   of a filter, so libc falls back to clone), mount and the new mount API, umount, pivot_root,
//   chroot, ptrace, process_vm_readv/writev, keyctl, add_key, request_key, bpf,
//   perf_event_open, userfaultfd, personality other than PER_LINUX (the query too),
//   kexec, module loading, io_uring (ENOSYS), syslog, acct, quotactl, swapon/off,
//   open_by_handle_at. A syscall of another ABI (x32, i386 via int 0x80) kills the process.

#include <string>

#include "lib/base/result.hpp"

namespace harness::sandbox::seccomp {

// The compiled classic-BPF program (an array of struct sock_filter), as bwrap reads it from an
// fd. unavailable with libseccomp's reason if the filter cannot be built on this machine.
harness::Result<std::string> filter_bpf();

// A sealed, close-on-exec memfd holding filter_bpf(), open for the life of the process. A child
// inherits it (loop::ProcessOptions::extra_fds) and reopens it through /proc/self/fd/N: each
// open gets its own offset, so concurrent sandboxes never share a read position. (Not our
// /proc/<pid>/fd/N: once a thread of the daemon changed its fsuid (ActAs) the daemon is no
// longer dumpable, and a child without CAP_SYS_PTRACE may not open that.)
harness::Result<int> filter_fd();
// /proc/<our pid>/fd/<filter_fd()>, for tests.
harness::Result<std::string> filter_path();

}  // namespace harness::sandbox::seccomp
