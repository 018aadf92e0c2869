// Rebuilding a conversation from a session's event log (lib/agent/history). The log is read back
// from the store after a crash or for a resume, and its data came from models, tools and
// clients. Input: NDJSON, one event per line as the API prints it
// ({"session","seq","leaf","type","ts","data"}); lines that are not an event are dropped. The
// leaf being run is the one of the last leaf_submitted (else "lf_a").
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lib/agent/history.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

using namespace harness;

std::vector<model::Event> decode(std::string_view in) {
  std::vector<model::Event> events;
  while (!in.empty()) {
    auto nl = in.find('\n');
    auto line = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    auto j = model::Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) continue;
    auto e = model::event_from_json(j);
    if (e) events.push_back(std::move(*e));
  }
  return events;
}

// SPEC: the history is valid for any provider — every tool call of an assistant message has a
// result in the next message, except the current leaf's unfinished calls at the very end.
void check(const agent::History& h) {
  for (size_t i = 0; i < h.messages.size(); ++i) {
    const auto& m = h.messages[i];
    if (m.role != model::Role::assistant || m.tool_calls.empty()) continue;
    if (i + 1 == h.messages.size()) {
      FUZZ_CHECK(!h.calls.empty());
      continue;
    }
    const auto& next = h.messages[i + 1];
    FUZZ_CHECK(next.role == model::Role::user);
    std::set<std::string> answered;
    for (const auto& r : next.tool_results) answered.insert(r.call_id);
    for (const auto& c : m.tool_calls) FUZZ_CHECK(answered.count(c.id) == 1);
  }
  // Every string came through the JSON parser (valid UTF-8) and history only concatenates
  // whole strings, so the conversation sent to the provider serialises strictly.
  for (const auto& m : h.messages) (void)model::to_json(m).dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto events = decode(std::string_view(reinterpret_cast<const char*>(data), size));
  std::string leaf = "lf_a";
  for (const auto& e : events)
    if (e.type == model::event::leaf_submitted) leaf = e.leaf;
  agent::History whole = agent::build_history(events, leaf);
  check(whole);
  // The history cache folds a prefix, keeps it, and folds the rest later: same history.
  agent::HistoryBuilder prefix;
  for (size_t i = 0; i < events.size() / 2; ++i) prefix.add(events[i]);
  agent::HistoryBuilder later = prefix;
  for (size_t i = events.size() / 2; i < events.size(); ++i) later.add(events[i]);
  agent::History split = later.finish(leaf);
  FUZZ_CHECK(split.messages == whole.messages);
  FUZZ_CHECK(split.calls.size() == whole.calls.size());
  FUZZ_CHECK(split.finished_results == whole.finished_results);
  FUZZ_CHECK(split.turns == whole.turns && split.answered == whole.answered);
  return 0;
}
