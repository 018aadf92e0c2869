// Model responses are untrusted bytes: invalid UTF-8 anywhere (an error page, inside a JSON
// string), wrongly typed fields and negative token counts must give a value or an Error, with
// text that is valid UTF-8.
#include <doctest/doctest.h>

#include "lib/base/utf8.hpp"
#include "lib/model_api/anthropic.hpp"
#include "lib/model_api/openai.hpp"
#include "lib/model_api/wire.hpp"
#include "tests/unit/model_api/fixtures.hpp"

namespace harness::model_api {
namespace {

const std::string k_fffd = "\xEF\xBF\xBD";

TEST_CASE("hostile bodies: an error page with invalid UTF-8 becomes a valid message") {
  std::string page = "<html>Bad gateway \xFF\xFE\xC0 upstream</html>";
  for (long status : {502L, 400L}) {
    auto a = parse_anthropic_response(status, page);
    REQUIRE_FALSE(a.has_value());
    CHECK(valid_utf8(a.error().message));
    CHECK(a.error().message.find("Bad gateway " + k_fffd) != std::string::npos);
    auto o = parse_openai_response(status, page);
    REQUIRE_FALSE(o.has_value());
    CHECK(valid_utf8(o.error().message));
  }
  // Quoting cuts long bodies; the cut never splits a character.
  std::string long_page(299, 'x');
  long_page += "\xE2\x82\xAC tail";
  auto cut = parse_openai_response(500, long_page);
  CHECK(valid_utf8(cut.error().message));
  // A 200 that is not JSON at all.
  auto junk = parse_anthropic_response(200, "\xFF\xFF not json");
  REQUIRE_FALSE(junk.has_value());
  CHECK(valid_utf8(junk.error().message));
}

TEST_CASE("hostile bodies: raw invalid bytes inside a JSON string are repaired, not refused") {
  std::string anthropic =
      R"({"type":"message","content":[{"type":"text","text":"caf)"
      "\xE9"
      R"( ok"},)"
      R"({"type":"tool_use","id":"t1","name":"bash","input":{"command":"echo )"
      "\xFF"
      R"("}}],)"
      R"("stop_reason":"tool_use","model":"m","usage":{"input_tokens":3,"output_tokens":4}})";
  auto r = parse_anthropic_response(200, anthropic);
  REQUIRE(r.has_value());
  CHECK(r->message.text == "caf" + k_fffd + " ok");
  REQUIRE(r->message.tool_calls.size() == 1);
  CHECK(r->message.tool_calls[0].input["command"] == "echo " + k_fffd);

  std::string openai =
      R"({"choices":[{"message":{"role":"assistant","content":"hi )"
      "\xC3"
      R"("},)"
      R"("finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2}})";
  auto o = parse_openai_response(200, openai);
  REQUIRE(o.has_value());
  CHECK(o->message.text == "hi " + k_fffd);
}

TEST_CASE("hostile bodies: negative or absurd token counts are clamped") {
  auto a = parse_anthropic_response(
      200, R"({"content":[{"type":"text","text":"x"}],"usage":{"input_tokens":-5,)"
           R"("output_tokens":-1,"cache_read_input_tokens":18446744073709551615}})");
  REQUIRE(a.has_value());
  CHECK(a->usage.input_tokens == 0);
  CHECK(a->usage.output_tokens == 0);
  auto o = parse_openai_response(
      200, R"({"choices":[{"message":{"content":"x"}}],)"
           R"("usage":{"prompt_tokens":-7,"completion_tokens":9223372036854775807}})");
  REQUIRE(o.has_value());
  CHECK(o->usage.input_tokens == 0);
  CHECK(o->usage.output_tokens == k_max_tokens);
}

TEST_CASE("hostile bodies: wrongly typed fields never throw") {
  for (const char* body :
       {R"({"content":[{"type":"tool_use","name":"bash","input":[]}]})",
        R"({"content":[{"type":5,"text":[]}],"usage":{"input_tokens":"x"}})",
        R"({"content":"text"})", R"({"type":"error","error":"x"})", R"([1,2])", R"("s")"}) {
    CHECK_NOTHROW((void)parse_anthropic_response(200, body));
  }
  for (const char* body :
       {R"({"choices":[{"message":{"tool_calls":[{"function":{"name":"bash","arguments":5}}]}}]})",
        R"({"choices":[{"message":{"tool_calls":[1, {"function":[]}]}}]})",
        R"({"choices":[{"message":{"content":[1]}}],"usage":[]})", R"({"choices":{}})",
        R"({"error":5})"}) {
    CHECK_NOTHROW((void)parse_openai_response(200, body));
  }
}

}  // namespace
}  // namespace harness::model_api
