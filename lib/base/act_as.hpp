#pragma once
// ActAs: for its lifetime, the calling thread touches files with another account's permissions.
// A root daemon uses it to check, read and write inside a user's workspace exactly as far as
// that user could (DAC, ACLs, read-only mounts: the kernel decides), and files it creates belong
// to the user. Only the calling thread changes (fsuid, fsgid and supplementary groups through
// raw system calls; glibc's wrappers would change every thread); the destructor restores them.
// Nothing changes when the process is not root or `who` is root or absent. While it is active the
// kernel treats the whole process as not dumpable (children cannot open /proc/<daemon>/...);
// the destructor restores the setting.

#include <optional>
#include <vector>

#include "lib/base/account.hpp"
#include "lib/base/result.hpp"

namespace harness {

class ActAs {
 public:
  explicit ActAs(const std::optional<Account>& who);
  ~ActAs();
  ActAs(const ActAs&) = delete;
  ActAs& operator=(const ActAs&) = delete;
  // unavailable when the switch failed (e.g. no CAP_SETUID); the thread is then unchanged and
  // the caller must not go on as if it were the user.
  const Status& status() const { return m_status; }

 private:
  bool m_active = false;
  unsigned m_saved_fsuid = 0, m_saved_fsgid = 0;
  int m_saved_dumpable = -1;
  std::vector<unsigned> m_saved_groups;
  Status m_status;
};

}  // namespace harness
