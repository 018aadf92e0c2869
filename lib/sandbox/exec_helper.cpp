#include "lib/sandbox/exec_helper.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>

namespace harness::sandbox {
namespace {

bool executable_file(const std::string& path) {
  struct stat st {};
  return !path.empty() && stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

std::string self_dir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  std::string exe(buf, static_cast<std::size_t>(n));
  auto slash = exe.rfind('/');
  return slash == std::string::npos ? "" : exe.substr(0, slash);
}

std::string find() {
  std::string dir = self_dir();
  if (!dir.empty()) {
    char resolved[PATH_MAX];
    std::string beside = dir + "/" + HARNESS_EXEC_RELATIVE;
    if (executable_file(beside) && realpath(beside.c_str(), resolved)) return resolved;
  }
  if (executable_file(HARNESS_EXEC_BUILD_PATH)) return HARNESS_EXEC_BUILD_PATH;
  return "";
}

}  // namespace

const std::string& exec_helper_path() {
  static const std::string path = find();
  return path;
}

}  // namespace harness::sandbox
