#include "lib/loop/listener.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace harness::loop {
namespace {
constexpr int k_backlog = 511;

Error sys_error(ErrorCode code, const std::string& what, const std::string& path, int err) {
  return make_error(code, what + " " + path + ": " + std::strerror(err));
}

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path))
    return make_error(ErrorCode::invalid, "unix socket path " + path + " is empty or longer than " +
                                              std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// ok when nothing is at `path` or only a stale socket nobody accepts on.
Status check_existing(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return sys_error(ErrorCode::invalid, "cannot inspect", path, errno);
  }
  if (!S_ISSOCK(st.st_mode))
    return make_error(ErrorCode::conflict, path + " exists and is not a socket; not replacing it");
  HARNESS_TRY_ASSIGN(auto addr, unix_address(path));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_error(ErrorCode::internal, "cannot create a socket to probe", path, errno);
  // Non-blocking: a live daemon with a full backlog answers EAGAIN instead of blocking us.
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = rc == 0 ? 0 : errno;
  ::close(fd);
  if (err == ECONNREFUSED) return {};
  if (err == 0 || err == EAGAIN || err == EINPROGRESS)
    return make_error(ErrorCode::conflict, "another daemon is listening on " + path);
  return sys_error(ErrorCode::invalid, "cannot probe existing socket", path, err);
}

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Binds in `tmp_dir`, sets mode and group, listens, renames onto `path`.
Result<BoundUnixSocket> bind_via(const std::string& tmp_dir, const std::string& path, int mode,
                                 gid_t group) {
  std::string tmp = tmp_dir + "/s";
  HARNESS_TRY_ASSIGN(auto addr, unix_address(tmp));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_error(ErrorCode::internal, "cannot create a socket for", path, errno);
  auto fail = [&](const std::string& what) {
    int err = errno;
    ::close(fd);
    unlink(tmp.c_str());
    return sys_error(ErrorCode::invalid, what, path, err);
  };
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return fail("cannot bind");
  if (chmod(tmp.c_str(), static_cast<mode_t>(mode)) != 0) return fail("cannot chmod socket");
  if (group != static_cast<gid_t>(-1) && chown(tmp.c_str(), static_cast<uid_t>(-1), group) != 0)
    return fail("cannot set the group of socket");
  if (listen(fd, k_backlog) != 0) return fail("cannot listen on");
  if (rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot move the socket into place at");
  BoundUnixSocket out;
  out.fd = fd;
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    out.dev = st.st_dev;
    out.ino = st.st_ino;
  }
  return out;
}
}  // namespace

Result<BoundUnixSocket> bind_unix_socket(const std::string& path, int mode, gid_t group) {
  HARNESS_TRY(unix_address(path));
  HARNESS_TRY(check_existing(path));
  std::string tmpl = parent_dir(path) + "/.harness-sock-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data()))
    return sys_error(ErrorCode::invalid, "cannot create a private directory beside", path, errno);
  std::string tmp_dir(buf.data());
  auto r = bind_via(tmp_dir, path, mode, group);
  rmdir(tmp_dir.c_str());
  return r;
}

void remove_unix_socket(const std::string& path, const BoundUnixSocket& s) {
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && st.st_dev == s.dev && st.st_ino == s.ino)
    unlink(path.c_str());
}

}  // namespace harness::loop
