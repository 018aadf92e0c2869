#include "lib/config/credentials.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/config/test_helpers.hpp"

namespace harness::config {
namespace {

struct CredentialsDir {
  std::string dir;
  CredentialsDir() {
    std::string tmpl = "/tmp/harness-creds-XXXXXX";
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
  }
  ~CredentialsDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  void put(const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
  }
};

model::ModelProfile profile(const std::string& name, const std::string& var) {
  model::ModelProfile p;
  p.name = name;
  p.api_key_env = var;
  return p;
}

TEST_CASE("credentials: an unset api_key_env variable is read from $CREDENTIALS_DIRECTORY") {
  CredentialsDir creds;
  creds.put("ANTHROPIC_API_KEY", "sk-ant-from-file\n");
  creds.put("OPENAI_API_KEY", "sk-from-file-but-env-wins\n");
  creds.put("EMPTY_KEY", "\n");
  Config cfg;
  cfg.models = {{"claude", profile("claude", "ANTHROPIC_API_KEY")},
                {"gpt", profile("gpt", "OPENAI_API_KEY")},
                {"local", profile("local", "")},
                {"nofile", profile("nofile", "NO_SUCH_CREDENTIAL")},
                {"empty", profile("empty", "EMPTY_KEY")}};
  Environment env;
  env.vars["CREDENTIALS_DIRECTORY"] = creds.dir;
  env.vars["OPENAI_API_KEY"] = "sk-from-environment";

  auto found = find_credentials(cfg, env);
  REQUIRE_MESSAGE(found.has_value(), test::why(found));
  CHECK(found->size() == 1);
  CHECK(found->at("ANTHROPIC_API_KEY") == "sk-ant-from-file");

  env.vars.erase("CREDENTIALS_DIRECTORY");
  auto none = find_credentials(cfg, env);
  REQUIRE(none.has_value());
  CHECK(none->empty());
}

TEST_CASE("credentials: an unreadable credential is an error naming it") {
  CredentialsDir creds;
  std::filesystem::create_directory(creds.dir + "/ANTHROPIC_API_KEY");
  Config cfg;
  cfg.models = {{"claude", profile("claude", "ANTHROPIC_API_KEY")}};
  Environment env;
  env.vars["CREDENTIALS_DIRECTORY"] = creds.dir;
  auto found = find_credentials(cfg, env);
  REQUIRE_FALSE(found.has_value());
  CHECK(test::contains(found.error().message, "[models.claude]"));
  CHECK(test::contains(found.error().message, creds.dir + "/ANTHROPIC_API_KEY"));
}

TEST_CASE("credentials: import_credentials sets the variable in the process environment") {
  CredentialsDir creds;
  creds.put("HARNESS_CREDENTIALS_TEST_KEY", "sk-imported\r\n");
  Config cfg;
  cfg.models = {{"claude", profile("claude", "HARNESS_CREDENTIALS_TEST_KEY")}};
  ::unsetenv("HARNESS_CREDENTIALS_TEST_KEY");
  ::setenv("CREDENTIALS_DIRECTORY", creds.dir.c_str(), 1);
  auto names = import_credentials(cfg);
  ::unsetenv("CREDENTIALS_DIRECTORY");
  REQUIRE_MESSAGE(names.has_value(), test::why(names));
  CHECK(*names == std::vector<std::string>{"HARNESS_CREDENTIALS_TEST_KEY"});
  const char* v = std::getenv("HARNESS_CREDENTIALS_TEST_KEY");
  CHECK(std::string(v ? v : "") == "sk-imported");
  ::unsetenv("HARNESS_CREDENTIALS_TEST_KEY");
}

}  // namespace
}  // namespace harness::config
