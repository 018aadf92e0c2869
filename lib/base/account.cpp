#include "lib/base/account.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

namespace harness {
namespace {

constexpr size_t k_nss_buf = 16384;

std::vector<std::uint32_t> nss_groups(const char* name, gid_t primary) {
  int n = 64;
  std::vector<gid_t> gids(static_cast<size_t>(n));
  if (getgrouplist(name, primary, gids.data(), &n) < 0) {
    gids.resize(static_cast<size_t>(n));
    if (getgrouplist(name, primary, gids.data(), &n) < 0) n = 0;
  }
  gids.resize(static_cast<size_t>(std::max(n, 0)));
  return {gids.begin(), gids.end()};
}

void tidy(Account& a) {
  a.groups.push_back(a.gid);
  std::sort(a.groups.begin(), a.groups.end());
  a.groups.erase(std::unique(a.groups.begin(), a.groups.end()), a.groups.end());
}

Account from_passwd(const passwd& pw, std::uint32_t gid) {
  Account a{pw.pw_uid, gid, nss_groups(pw.pw_name, pw.pw_gid), pw.pw_name};
  tidy(a);
  return a;
}

}  // namespace

Result<Account> account_by_name(const std::string& name) {
  std::string_view digits = name;
  if (digits.starts_with('#')) digits.remove_prefix(1);
  std::uint32_t uid = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), uid);
  bool numeric = !digits.empty() && ec == std::errc() && end == digits.data() + digits.size();
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(k_nss_buf);
  int rc = numeric ? getpwuid_r(uid, &pw, buf.data(), buf.size(), &found)
                   : getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || !found) return make_error(ErrorCode::not_found, "no such user '" + name + "'");
  return from_passwd(*found, found->pw_gid);
}

Account account_by_uid(std::uint32_t uid, std::uint32_t gid) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(k_nss_buf);
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found)
    return from_passwd(*found, gid);
  Account a{uid, gid, {}, "uid:" + std::to_string(uid)};
  tidy(a);
  return a;
}

Account current_account() {
  return account_by_uid(geteuid(), getegid());
}

}  // namespace harness
