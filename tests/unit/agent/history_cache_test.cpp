// The history cache and the folded log it keeps: a log folded in two parts (the cached prefix,
// then the events read after it) gives exactly the history of the log read whole.
#include "lib/agent/history_cache.hpp"

#include <doctest/doctest.h>

#include "tests/unit/agent/event_log.hpp"

using namespace harness;
using namespace harness::model;
using harness::agent::build_history;
using harness::agent::CachedHistory;
using harness::agent::continues_log;
using harness::agent::History;
using harness::agent::HistoryBuilder;
using harness::agent::HistoryCache;

namespace {
struct Log : harness::agent::testing::EventLog {
  void respond(const std::string& leaf, int turn, const std::string& text,
               std::vector<ToolCall> calls = {}) {
    ModelResponse r;
    r.message.text = text;
    r.message.tool_calls = std::move(calls);
    Json d = to_json(r);
    d["turn"] = turn;
    add(leaf, event::model_response, d);
  }
  void result(const std::string& leaf, const std::string& id, const std::string& out,
              Json extra = Json::object()) {
    Json d{{"call_id", id}, {"output", out}, {"is_error", !extra.empty()}};
    for (auto& [k, v] : extra.items()) d[k] = v;
    add(leaf, event::tool_finished, d);
  }
};

ToolCall call(const std::string& id, const std::string& name = "bash") {
  return ToolCall{id, name, Json{{"command", "echo " + id}}};
}

// A session of three leaves and a fourth being run: tool calls and results, a denied call, a
// gate approved and one rejected, a redacted output, a leaf ended at max_turns with a call not
// run (the next prompt merges into its synthetic results), and the current leaf mid-turn.
Log rich_session() {
  Log l;
  l.add("lf_1", event::leaf_submitted, {{"prompt", "first"}});
  l.add("lf_1", event::leaf_started, Json::object());
  l.respond("lf_1", 1, "looking", {call("c1"), call("c2")});
  l.add("lf_1", event::tool_started, {{"call_id", "c1"}});
  l.result("lf_1", "c1", "out [REDACTED]");
  l.result("lf_1", "c2", "denied by policy 'p' (rule bash): this call was not run",
           {{"denied", true}});
  l.respond("lf_1", 2, "", {call("g1", "request_approval")});
  l.add("lf_1", event::gate_opened, {{"gate", 1}, {"call_id", "g1"}});
  l.add("lf_1", event::gate_decided,
        {{"gate", 1}, {"verdict", "approved"}, {"by", {{"name", "alice"}}}, {"message", "ok"}});
  l.add("lf_1", event::leaf_recovered, {{"after", "shutdown"}});
  l.result("lf_1", "g1", "approved by alice: ok");
  l.respond("lf_1", 3, "done one");
  l.add("lf_1", event::leaf_finished, {{"state", "succeeded"}});
  l.add("lf_2", event::leaf_submitted, {{"prompt", "second"}});
  l.respond("lf_2", 1, "", {call("c3")});
  l.add("lf_2", event::gate_opened, {{"gate", 1}, {"call_id", "c3"}});
  l.add("lf_2", event::gate_decided,
        {{"gate", 1}, {"verdict", "rejected"}, {"by", {{"name", "bob"}}}});
  l.result("lf_2", "c3", "this call was not run: it was rejected by bob (gate 1)",
           {{"rejected", true}});
  l.respond("lf_2", 2, "", {call("c4"), call("c5")});
  l.result("lf_2", "c4", "four");
  l.add("lf_2", event::leaf_finished, {{"state", "failed"}, {"reason", "max_turns"}});
  l.add("lf_3", event::leaf_submitted, {{"prompt", "third"}});
  l.respond("lf_3", 1, "", {call("c6"), call("c7")});
  l.add("lf_3", event::tool_started, {{"call_id", "c6"}});
  l.result("lf_3", "c6", "six");
  l.add("lf_3", event::tool_started, {{"call_id", "c7"}});
  return l;
}

void check_same(const History& a, const History& b) {
  CHECK(a.messages == b.messages);
  REQUIRE(a.calls.size() == b.calls.size());
  for (size_t i = 0; i < a.calls.size(); ++i) {
    CHECK(a.calls[i].call == b.calls[i].call);
    CHECK(a.calls[i].status == b.calls[i].status);
    CHECK(a.calls[i].gate == b.calls[i].gate);
    CHECK(a.calls[i].gate_no == b.calls[i].gate_no);
    CHECK(a.calls[i].verdict_text == b.calls[i].verdict_text);
  }
  CHECK(a.finished_results == b.finished_results);
  CHECK(a.turns == b.turns);
  CHECK(a.answered == b.answered);
  CHECK(a.final_text == b.final_text);
}

CachedHistory folded(const Log& l, size_t n) {
  CachedHistory c;
  for (size_t i = 0; i < n; ++i) c.log.add(l.events[i]);
  return c;
}
}  // namespace

TEST_CASE("history: a log folded from any cached prefix equals the log read whole") {
  Log l = rich_session();
  for (const char* leaf : {"lf_1", "lf_2", "lf_3"}) {
    // The history as if `leaf` were the one to run, over the log up to its last event.
    size_t end = 0;
    for (size_t i = 0; i < l.events.size(); ++i)
      if (l.events[i].leaf == leaf) end = i + 1;
    std::vector<Event> upto(l.events.begin(), l.events.begin() + static_cast<long>(end));
    History whole = build_history(upto, leaf);
    for (size_t split = 0; split <= end; ++split) {
      CAPTURE(leaf);
      CAPTURE(split);
      HistoryBuilder b = folded(l, split).log;
      HistoryBuilder copy = b;  // what the cache hands back is the builder as it was
      for (size_t i = split; i < end; ++i) copy.add(l.events[i]);
      check_same(copy.finish(leaf), whole);
      CHECK(copy.last_seq() == static_cast<std::int64_t>(end));
    }
  }
  // The current leaf mid-turn: c6 finished, c7 started and never finished.
  History h = build_history(l.events, "lf_3");
  REQUIRE(h.calls.size() == 2);
  CHECK(h.finished_results.size() == 1);
  // lf_2's unrun call got a synthetic result, and lf_3's prompt joined that user message.
  CHECK(h.messages[h.messages.size() - 2].text == "third");
}

TEST_CASE("history: only the last folded message changes as events are added") {
  Log l = rich_session();
  HistoryBuilder b;
  std::vector<Message> before;
  for (const auto& e : l.events) {
    before = b.messages();
    b.add(e);
    REQUIRE(b.messages().size() >= before.size());
    for (size_t i = 0; i + 1 < before.size(); ++i) CHECK(b.messages()[i] == before[i]);
  }
}

TEST_CASE("history cache: a hit hands the entry over once; an older entry never replaces a newer") {
  Log l = rich_session();
  HistoryCache cache(1 << 20);
  CHECK_FALSE(cache.take("ses_1").has_value());
  cache.put("ses_1", folded(l, 10));
  cache.put("ses_1", folded(l, 5));
  auto hit = cache.take("ses_1");
  REQUIRE(hit.has_value());
  CHECK(hit->log.last_seq() == 10);
  CHECK(hit->log.messages() == folded(l, 10).log.messages());
  CHECK_FALSE(cache.take("ses_1").has_value());  // the runner owns it now
  CHECK(cache.hits() == 1);
  CHECK(cache.misses() == 2);
  CHECK(cache.bytes() == 0);
}

TEST_CASE("history cache: bounded by bytes, the least recently kept session goes first") {
  Log l = rich_session();
  size_t one = folded(l, l.events.size()).bytes() + 5;  // + the session id
  HistoryCache cache(2 * one + one / 2);
  cache.put("ses_a", folded(l, l.events.size()));
  cache.put("ses_b", folded(l, l.events.size()));
  CHECK(cache.size() == 2);
  cache.put("ses_a", *cache.take("ses_a"));  // used again: now the most recent
  cache.put("ses_c", folded(l, l.events.size()));
  CHECK(cache.size() == 2);
  CHECK(cache.bytes() <= 2 * one + one / 2);
  CHECK_FALSE(cache.take("ses_b").has_value());
  CHECK(cache.take("ses_a").has_value());
  CHECK(cache.take("ses_c").has_value());

  HistoryCache tiny(one / 2);  // an entry bigger than the whole bound is not kept
  tiny.put("ses_a", folded(l, l.events.size()));
  CHECK(tiny.size() == 0);
  HistoryCache off(0);
  off.put("ses_a", folded(l, 1));
  CHECK_FALSE(off.take("ses_a").has_value());
}

TEST_CASE("history cache: the events read after a cached prefix must continue it") {
  Log l = rich_session();
  std::vector<Event> tail(l.events.begin() + 10, l.events.begin() + 14);  // seqs 11..14
  CHECK(continues_log(tail, 10, 14));
  CHECK(continues_log(tail, 10, 12));
  // The store moved on past what was read, or holds fewer events than the cache did.
  CHECK_FALSE(continues_log(tail, 10, 15));
  CHECK_FALSE(continues_log({}, 10, 10));
  CHECK_FALSE(continues_log(tail, 10, 9));
  // A gap, or numbering that does not start right after the cache (a store that lost writes).
  std::vector<Event> gap = tail;
  gap.erase(gap.begin() + 1);
  CHECK_FALSE(continues_log(gap, 10, 14));
  CHECK_FALSE(continues_log(tail, 9, 14));
}
