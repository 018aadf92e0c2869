#pragma once
// A Unix account as the kernel sees it: uid, primary gid, supplementary groups, and its name.
// Lookups go through NSS (getpwnam_r, getgrouplist): blocking, usually fast for local files.

#include <cstdint>
#include <string>
#include <vector>

#include "lib/base/result.hpp"

namespace harness {

struct Account {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;              // primary group
  std::vector<std::uint32_t> groups;  // supplementary groups, sorted, without duplicates
  std::string name;                   // "uid:N" when NSS does not know the uid
  bool operator==(const Account& o) const {
    return uid == o.uid && gid == o.gid && groups == o.groups;
  }
};

// The account named `name` (or "#UID"/a decimal uid), with its primary group and every group
// NSS lists for it. not_found when there is no such user.
Result<Account> account_by_name(const std::string& name);
// The account of a process with `uid` and primary group `gid` (as SO_PEERCRED reports them):
// the supplementary groups NSS lists for the user, plus `gid`. An uid NSS does not know gets
// the name "uid:N" and no supplementary groups.
Account account_by_uid(std::uint32_t uid, std::uint32_t gid);
// The account the process itself runs as (effective uid and gid).
Account current_account();

}  // namespace harness
