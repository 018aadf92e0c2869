#include "lib/model/json.hpp"

#include <doctest/doctest.h>

#include "lib/base/utf8.hpp"
#include "lib/model/conversation.hpp"
#include "lib/model/leaf.hpp"

using namespace harness;
using namespace harness::model;

TEST_CASE("dump_json: a string with invalid UTF-8 is serialised with U+FFFD, never thrown on") {
  Json j{{"out", "bin\xFF\xFE"}, {"key\xC3", 1}};
  std::string text;
  CHECK_NOTHROW(text = dump_json(j));
  CHECK(valid_utf8(text));
  Json back = Json::parse(text);
  CHECK(back["out"] == "bin\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK_NOTHROW(text = dump_json(j, 2));
}

TEST_CASE("json accessors: wrong types and non-objects give the fallback") {
  Json j{{"s", "x"},
         {"n", 5},
         {"f", 2.0},
         {"half", 2.5},
         {"b", true},
         {"o", {{"k", 1}}},
         {"big", 18446744073709551615ULL},
         {"null", nullptr}};
  CHECK(str_at(j, "s") == "x");
  CHECK(str_at(j, "n", "dflt") == "dflt");
  CHECK(str_at(Json::array(), "s", "d") == "d");
  CHECK(int_at(j, "n") == 5);
  CHECK(int_at(j, "f") == 2);
  CHECK(int_at(j, "half", -1) == -1);
  CHECK(int_at(j, "big", -1) == -1);
  CHECK(int_at(j, "s", 7) == 7);
  CHECK(bool_at(j, "b"));
  CHECK_FALSE(bool_at(j, "n"));
  CHECK(object_at(j, "o")["k"] == 1);
  CHECK(object_at(j, "s").empty());
  CHECK(object_at(Json(3), "o").empty());
}

TEST_CASE("repair_strings: every string and key becomes valid UTF-8") {
  Json j{{"a", {"ok", "bad\xFF"}}, {"k\xFE", {{"inner", "\xC0"}}}};
  CHECK(repair_strings(j));
  CHECK(valid_utf8(j.dump()));  // the throwing dump: proves nothing invalid is left
  CHECK(j["a"][1] == "bad\xEF\xBF\xBD");
  CHECK(j.contains("k\xEF\xBF\xBD"));
  CHECK_FALSE(repair_strings(j));
}

TEST_CASE("conversation codecs: wrongly typed fields never throw") {
  for (
      const char* text :
      {R"({"role": 5, "text": 7, "tool_results": [{"call_id": 1, "content": [], "is_error": "y"}]})",
       R"({"role": "user", "tool_calls": [{"name": "bash", "id": 3, "input": {}}]})",
       R"({"tool_calls": [{"name": 1}]})", R"({"tool_results": [1]})", R"([])"}) {
    Json j = Json::parse(text);
    CHECK_NOTHROW((void)message_from_json(j));
  }
  auto m = message_from_json(Json::parse(R"({"role": 5, "text": 7})"));
  REQUIRE(m.has_value());
  CHECK(m->role == Role::assistant);
  CHECK(m->text.empty());
  Json resp = Json::parse(R"({"message": {}, "stop_reason": 1, "model": [], "usage": 3})");
  CHECK_NOTHROW((void)model_response_from_json(resp));
}

TEST_CASE("events read back: a wrongly typed field is refused or ignored, never thrown") {
  Leaf leaf;
  leaf.id = "lf_1";
  leaf.state = LeafState::running;
  for (const char* data : {R"({"usage": 5, "turn": "x"})",
                           R"({"usage": {"input_tokens": "x", "output_tokens": -4}})"}) {
    Event e{"ses_1", 2, "lf_1", "model_response", 0, Json::parse(data)};
    CHECK_NOTHROW((void)apply_event(leaf, e));
  }
  CHECK(leaf.usage.output_tokens == 0);  // a negative count read back is not subtracted
  Event gate{"ses_1", 3, "lf_1", "gate_opened", 0, Json::parse(R"({"gate": "one"})")};
  CHECK_NOTHROW((void)apply_event(leaf, gate));
  Event decided{"ses_1", 4, "lf_1", "gate_decided", 0, Json::parse(R"({"gate": [], "stop": 1})")};
  CHECK_NOTHROW((void)apply_event(leaf, decided));
  Event fin{"ses_1", 5, "lf_1", "leaf_finished", 0, Json::parse(R"({"state": 3, "reason": 4})")};
  Status s;
  CHECK_NOTHROW(s = apply_event(leaf, fin));
  CHECK_FALSE(s.has_value());
  CHECK_FALSE(spec_from_json(Json::parse(R"({"max_turns": 1e300})")).has_value());
  CHECK_FALSE(spec_from_json(Json::parse(R"({"max_turns": 4294967297})")).has_value());
  CHECK_FALSE(spec_from_json(Json::parse(R"({"timeout_s": -1})")).has_value());
}
