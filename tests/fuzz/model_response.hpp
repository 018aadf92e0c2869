#pragma once
// Shared by the provider response targets: the input is "STATUS\nBODY" (three digits and a
// newline; without them the status is 200), as the HTTP client hands it to the parser.

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/base/result.hpp"
#include "lib/base/utf8.hpp"
#include "lib/model/conversation.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace harness::fuzz {

struct ModelAnswer {
  long status = 200;
  std::string body;
};

inline ModelAnswer model_answer(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ModelAnswer a;
  if (in.size() >= 4 && in[3] == '\n' && in.find_first_not_of("0123456789") == 3) {
    a.status = std::stol(std::string(in.substr(0, 3)));
    in.remove_prefix(4);
  }
  a.body = std::string(in);
  return a;
}

// What the runner does with a parsed answer: the response goes into a model_response event
// (the JSON codec) and is read back when the history is rebuilt. The body is repaired to UTF-8
// before it is parsed (model_api/wire), and notes and excerpts never cut a character, so what
// we made of it must dump strictly.
inline void check_response(long status, const Result<model::ModelResponse>& r) {
  if (!r) {
    // The message becomes the leaf's error: shown by harnessctl, logged, stored.
    FUZZ_CHECK(!r.error().message.empty());
    FUZZ_CHECK(valid_utf8(r.error().message));
    return;
  }
  FUZZ_CHECK(status >= 200 && status < 300);
  FUZZ_CHECK(r->message.role == model::Role::assistant);
  model::Json j = model::to_json(*r);
  std::string text = j.dump();
  auto back = model::model_response_from_json(model::Json::parse(text));
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(back->message.text == r->message.text);
  FUZZ_CHECK(back->message.tool_calls.size() == r->message.tool_calls.size());
  for (const auto& call : r->message.tool_calls) {
    FUZZ_CHECK(!call.name.empty());
    FUZZ_CHECK(call.input.is_object());
  }
}

}  // namespace harness::fuzz
