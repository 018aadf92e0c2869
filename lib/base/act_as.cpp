#include "lib/base/act_as.hpp"

#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace harness {
namespace {

static_assert(sizeof(gid_t) == sizeof(unsigned) && sizeof(uid_t) == sizeof(unsigned));

// setfsuid/setfsgid return the previous id and report no error: -1 (invalid) only queries.
unsigned set_fsuid(long id) {
  return static_cast<unsigned>(syscall(SYS_setfsuid, id));
}
unsigned set_fsgid(long id) {
  return static_cast<unsigned>(syscall(SYS_setfsgid, id));
}
int set_groups(const std::vector<unsigned>& g) {
  return static_cast<int>(syscall(SYS_setgroups, g.size(), g.data()));
}

}  // namespace

ActAs::ActAs(const std::optional<Account>& who) {
  if (!who || who->uid == 0 || geteuid() != 0) return;
  int n = getgroups(0, nullptr);
  m_saved_groups.resize(static_cast<size_t>(n > 0 ? n : 0));
  if (n > 0 && getgroups(n, reinterpret_cast<gid_t*>(m_saved_groups.data())) != n) n = -1;
  std::vector<unsigned> groups(who->groups.begin(), who->groups.end());
  if (n < 0 || set_groups(groups) != 0) {
    m_status = make_error(ErrorCode::unavailable, std::string("cannot take the groups of ") +
                                                      who->name + ": " + std::strerror(errno));
    return;
  }
  m_active = true;
  m_saved_dumpable = prctl(PR_GET_DUMPABLE);
  m_saved_fsgid = set_fsgid(who->gid);
  m_saved_fsuid = set_fsuid(who->uid);
  if (set_fsgid(-1) != who->gid || set_fsuid(-1) != who->uid)
    m_status = make_error(ErrorCode::unavailable, "cannot act as " + who->name +
                                                      ": the daemon lacks CAP_SETUID/CAP_SETGID");
}

ActAs::~ActAs() {
  if (!m_active) return;
  set_fsuid(m_saved_fsuid);
  set_fsgid(m_saved_fsgid);
  HARNESS_ASSERT(set_groups(m_saved_groups) == 0);
  HARNESS_ASSERT(set_fsuid(-1) == m_saved_fsuid && set_fsgid(-1) == m_saved_fsgid);
  // Changing the fsuid made the whole process undumpable (the kernel's rule for any credential
  // change); the daemon is back to its own credentials, so it gets its old setting back.
  if (m_saved_dumpable >= 0) prctl(PR_SET_DUMPABLE, m_saved_dumpable);
}

}  // namespace harness
