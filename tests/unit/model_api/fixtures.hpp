#pragma once
// A conversation exercising every neutral feature, shared by the provider mapping tests.

#include "lib/model/conversation.hpp"
#include "lib/model/profiles.hpp"

namespace harness::model_api::test {

inline model::ModelRequest sample_request() {
  model::ModelRequest req;
  req.system = "You are careful.";
  req.max_tokens = 1000;
  model::Message user;
  user.text = "List the files.";
  model::Message assistant;
  assistant.role = model::Role::assistant;
  assistant.text = "Let me look.";
  assistant.tool_calls.push_back({"call_1", "bash", model::Json{{"command", "ls -la"}}});
  model::Message results;
  results.tool_results.push_back({"call_1", "a.txt\nb.txt", false});
  results.text = "Also check b.";
  model::Message assistant2;
  assistant2.role = model::Role::assistant;
  assistant2.tool_calls.push_back({"call_2", "read_file", model::Json{{"path", "b.txt"}}});
  model::Message results2;
  results2.tool_results.push_back({"call_2", "no such file", true});
  req.messages = {user, assistant, results, assistant2, results2};
  req.tools.push_back({"bash", "Run a shell command.",
                       model::Json{{"type", "object"},
                                   {"properties", {{"command", {{"type", "string"}}}}},
                                   {"required", {"command"}}}});
  return req;
}

inline model::ModelProfile profile(std::string provider, std::string base_url) {
  model::ModelProfile p;
  p.name = "test";
  p.provider = std::move(provider);
  p.base_url = std::move(base_url);
  p.model = "m-1";
  p.max_tokens = 4096;
  return p;
}

}  // namespace harness::model_api::test
