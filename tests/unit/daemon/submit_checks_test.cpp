#include "lib/daemon/submit_checks.hpp"

#include <doctest/doctest.h>

#include "lib/daemon/submit.hpp"

using namespace harness;
using namespace harness::daemon;
using model::Json;

namespace {
config::Config test_config() {
  config::Config cfg;
  cfg.models["default"] = model::ModelProfile{};
  cfg.sandboxes["default"] = model::SandboxProfile{};
  return cfg;
}

Error submit_error(const std::string& body) {
  auto r = parse_submit(body, "", test_config());
  REQUIRE_FALSE(r.has_value());
  return r.error();
}
}  // namespace

TEST_CASE("submit bounds: timeout_s must be finite and between 1 s and 365 days") {
  for (const char* v : {"0", "0.5", "-1", "31536001", "1e300"}) {
    auto e = submit_error(std::string(R"({"prompt":"p","timeout_s":)") + v + "}");
    CHECK_MESSAGE(e.code == ErrorCode::invalid, v);
    CHECK(e.message.find("timeout_s") != std::string::npos);
  }
  CHECK(submit_error(R"({"prompt":"p","timeout_s":"60"})").code == ErrorCode::bad_request);
  // Past double's range: nlohmann refuses the number, so the body is not JSON.
  CHECK(submit_error(R"({"prompt":"p","timeout_s":1e400})").code == ErrorCode::bad_request);
  auto ok = parse_submit(R"({"prompt":"p","timeout_s":1.5})", "", test_config());
  REQUIRE(ok.has_value());
  CHECK(ok->spec.timeout_ms == 1500);
  auto year =
      parse_submit(R"({"prompt":"p","timeout_s":31536000,"max_turns":null})", "", test_config());
  REQUIRE(year.has_value());
  CHECK(year->spec.timeout_ms == 31'536'000'000);
  CHECK(year->spec.max_turns == 50);
}

TEST_CASE("submit bounds: max_turns out of range is refused, not truncated") {
  for (const char* v : {"0", "-3", "10001", "4294967297", "18446744073709551615"}) {
    auto e = submit_error(std::string(R"({"prompt":"p","max_turns":)") + v + "}");
    CHECK_MESSAGE(e.code == ErrorCode::invalid, v);
    CHECK(e.message.find("max_turns") != std::string::npos);
  }
  CHECK(submit_error(R"({"prompt":"p","max_turns":2.5})").code == ErrorCode::bad_request);
  CHECK(submit_error(R"({"prompt":"p","max_turns":1e300})").code == ErrorCode::bad_request);
}

TEST_CASE("submit bounds: input paths must name a file inside the workspace") {
  for (std::string p : {std::string(""), std::string("."), std::string(".."), std::string("/etc/x"),
                        std::string("a/../../x"), std::string("./."), std::string("dir/"),
                        std::string("a/.."), std::string("a\0b", 3)}) {
    CHECK_MESSAGE(!check_input_path(p).has_value(), p);
    CHECK(check_input_path(p).error().code == ErrorCode::invalid);
  }
  CHECK(check_input_path("a.txt").has_value());
  CHECK(check_input_path("./dir/b.txt").has_value());
  // Through the body: "\u0000" is a NUL inside a JSON string.
  auto e = submit_error(R"({"prompt":"p","inputs":[{"path":"a\u0000b","data_b64":""}]})");
  CHECK(e.code == ErrorCode::invalid);
  CHECK(e.message.find("NUL") != std::string::npos);
  CHECK(submit_error(R"({"prompt":"p","inputs":[{"path":".","data_b64":""}]})").code ==
        ErrorCode::invalid);
}

TEST_CASE("submit bounds: wrongly typed fields are 400s naming the field, never throws") {
  for (const char* body :
       {R"({"prompt":5})", R"({"prompt":"p","model":[]})", R"({"prompt":"p","labels":{"a":1}})",
        R"({"prompt":"p","inputs":[{"path":1}]})", R"({"prompt":"p","ask":"bash"})",
        R"({"prompt":"p","session":7})"}) {
    CHECK_NOTHROW((void)parse_submit(body, "", test_config()));
    CHECK_FALSE(parse_submit(body, "", test_config()).has_value());
  }
}
