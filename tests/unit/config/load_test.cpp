#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "lib/base/fs.hpp"
#include "lib/config/config.hpp"
#include "tests/unit/config/test_helpers.hpp"

using namespace harness;
using namespace harness::config;

namespace {

// A fresh directory, removed with its contents at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/harness-config-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

Environment env_with_config_home(const std::string& dir) {
  Environment env;
  env.uid = 1000;
  env.vars = {{"HOME", dir}, {"XDG_CONFIG_HOME", dir + "/config"}};
  return env;
}

}  // namespace

TEST_CASE("load_config reads an explicit file and resolves paths against it") {
  TempDir dir;
  REQUIRE(make_dirs(dir.path + "/etc"));
  REQUIRE(write_file_atomic(
      dir.path + "/etc/h.toml",
      "max_running = 3\n[models.r]\nprovider = \"replay\"\nfile = \"r.jsonl\"\n"));
  auto c = load_config(dir.path + "/etc/h.toml", {}, env_with_config_home(dir.path));
  REQUIRE_MESSAGE(c.has_value(), test::why(c));
  CHECK(c->max_running == 3);
  CHECK(c->source == dir.path + "/etc/h.toml");
  CHECK(c->origins.at("max_running") == dir.path + "/etc/h.toml:1");
  CHECK(c->models.at("r").file == dir.path + "/etc/r.jsonl");
}

TEST_CASE("an explicit config file that does not exist is an error") {
  TempDir dir;
  auto c = load_config(dir.path + "/missing.toml", {}, env_with_config_home(dir.path));
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().code == ErrorCode::not_found);
  CHECK(c.error().message.find("missing.toml") != std::string::npos);
}

TEST_CASE("without a path the default file is read when it exists") {
  TempDir dir;
  Environment env = env_with_config_home(dir.path);
  auto none = load_config("", {}, env);
  REQUIRE_MESSAGE(none.has_value(), test::why(none));
  CHECK(none->source == "");
  CHECK(none->max_running == 8);
  CHECK(none->state_dir == dir.path + "/.local/state/harness");

  REQUIRE(make_dirs(dir.path + "/config/harness"));
  REQUIRE(write_file_atomic(dir.path + "/config/harness/harnessd.toml", "max_running = 5\n"));
  auto found = load_config("", {}, env);
  REQUIRE_MESSAGE(found.has_value(), test::why(found));
  CHECK(found->source == dir.path + "/config/harness/harnessd.toml");
  CHECK(found->max_running == 5);
}

TEST_CASE("a bad value in a file on disk names that file and line") {
  TempDir dir;
  std::string path = dir.path + "/h.toml";
  REQUIRE(write_file_atomic(path, "# comment\nmax_turns = -1\n"));
  auto c = load_config(path, {}, env_with_config_home(dir.path));
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().message.find(path + ":2:1: max_turns") != std::string::npos);
}

TEST_CASE("relative --state-dir, --socket and HARNESS_* paths are made absolute at load") {
  TempDir dir;
  Environment env = env_with_config_home(dir.path);
  env.cwd = "/srv/work";
  Overrides flags;
  flags.state_dir = "state";
  flags.socket = "./run/../run/h.sock";
  auto c = load_config("", flags, env);
  REQUIRE_MESSAGE(c.has_value(), test::why(c));
  CHECK(c->state_dir == "/srv/work/state");
  CHECK(c->socket == "/srv/work/run/h.sock");
  CHECK(c->store == "sqlite:/srv/work/state/harness.db");

  env.vars["HARNESS_STATE_DIR"] = "var/st";
  env.vars["HARNESS_SOCKET"] = "s.sock";
  auto from_env = load_config("", {}, env);
  REQUIRE_MESSAGE(from_env.has_value(), test::why(from_env));
  CHECK(from_env->state_dir == "/srv/work/var/st");
  CHECK(from_env->socket == "/srv/work/s.sock");

  // In a file they stay relative to the file's directory.
  REQUIRE(write_file_atomic(dir.path + "/h.toml", "state_dir = \"st\"\n"));
  auto from_file = load_config(dir.path + "/h.toml", {}, env_with_config_home(dir.path));
  REQUIRE_MESSAGE(from_file.has_value(), test::why(from_file));
  CHECK(from_file->state_dir == dir.path + "/st");
}
