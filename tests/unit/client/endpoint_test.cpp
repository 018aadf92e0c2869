#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "lib/client/endpoint.hpp"

using namespace harness::client;

namespace {
EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST_CASE("the daemon is found in the documented order") {
  auto all = env_of({{"HARNESS_SOCKET", "/env.sock"},
                     {"HARNESS_URL", "http://env:1/"},
                     {"HARNESS_TOKEN", "tok"},
                     {"XDG_RUNTIME_DIR", "/nonexistent-xdg"}});
  CHECK(discover_endpoint("/flag.sock", "http://flag:2", all).socket_path == "/flag.sock");
  CHECK(discover_endpoint("", "http://flag:2", all).socket_path == "/env.sock");

  auto urls = env_of({{"HARNESS_URL", "http://env:1/"}, {"HARNESS_TOKEN", "tok"}});
  Endpoint flag_url = discover_endpoint("", "http://flag:2", urls);
  CHECK(flag_url.socket_path.empty());
  CHECK(flag_url.base_url == "http://flag:2");
  CHECK(flag_url.token == "tok");
  CHECK(discover_endpoint("", "", urls).base_url == "http://env:1");

  CHECK(discover_endpoint("", "", env_of({{"XDG_RUNTIME_DIR", "/nonexistent-xdg"}})).socket_path ==
        "/run/harness/harnessd.sock");
  CHECK(discover_endpoint("", "", env_of({})).socket_path == "/run/harness/harnessd.sock");
}

TEST_CASE("a user daemon's socket under XDG_RUNTIME_DIR is used when it exists") {
  char tmpl[] = "/tmp/harnessctl-xdg-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::filesystem::create_directories(dir + "/harness");
  std::ofstream(dir + "/harness/harnessd.sock") << "";
  CHECK(discover_endpoint("", "", env_of({{"XDG_RUNTIME_DIR", dir}})).socket_path ==
        dir + "/harness/harnessd.sock");
  CHECK(discover_endpoint("", "", env_of({{"XDG_RUNTIME_DIR", dir}, {"HARNESS_URL", "http://u:1"}}))
            .base_url == "http://u:1");
  std::filesystem::remove_all(dir);
}
