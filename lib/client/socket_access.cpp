#include "lib/client/socket_access.hpp"

#include <grp.h>
#include <sys/stat.h>

#include <cstdio>

namespace harness::client {
namespace {
std::string group_name(gid_t gid) {
  // getgrgid is not reentrant; harnessctl is single-threaded and asks once.
  const group* g = getgrgid(gid);  // NOLINT(concurrency-mt-unsafe)
  return g != nullptr && g->gr_name != nullptr ? g->gr_name : std::to_string(gid);
}

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}
}  // namespace

std::string socket_access_denied(const std::string& socket_path) {
  std::string head = "permission denied opening harnessd's socket " + socket_path;
  // The socket itself, else the nearest directory above it we may stat: the one that refuses.
  std::string path = socket_path;
  struct stat st {};
  while (!path.empty() && ::stat(path.c_str(), &st) != 0) {
    auto slash = path.rfind('/');
    path = slash == std::string::npos || slash == 0 ? std::string() : path.substr(0, slash);
  }
  if (path.empty()) return head + ": ask the daemon's administrator for access";
  std::string group = group_name(st.st_gid);
  bool is_socket = path == socket_path;
  std::string what = is_socket ? "the socket" : path;
  std::string facts = " (" + what + " is group " + group + ", mode " + mode_text(st.st_mode) + ")";
  // The group needs write on the socket, search on a directory; without it joining won't help.
  if ((st.st_mode & (is_socket ? S_IWGRP : S_IXGRP)) == 0)
    return head + facts + ": only its owner may open it; ask the daemon's administrator";
  return head + facts + ": join the group '" + group + "' (`sudo usermod -aG " + group +
         " $USER`, then log in again) or set [auth] socket_group in harnessd's config";
}

}  // namespace harness::client
