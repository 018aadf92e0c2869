#include <doctest/doctest.h>

#include <sstream>

#include "lib/client/format.hpp"
#include "lib/client/spinner.hpp"

using namespace harness::client;

namespace {
Json event(const char* type, Json data) {
  return Json{{"type", type}, {"seq", 3}, {"data", data}};
}
const Style k_plain{};
}  // namespace

TEST_CASE("live view lines for model turns and tools") {
  CHECK(format_event(
            event("model_response", {{"turn", 2},
                                     {"latency_ms", 812},
                                     {"usage", {{"input_tokens", 1204}, {"output_tokens", 88}}},
                                     {"message", {{"role", "assistant"}, {"text", "done"}}}}),
            k_plain) == "turn 2 · model 812ms · 1,204 in / 88 out tokens\n");
  CHECK(format_event(event("tool_started",
                           {{"name", "bash"}, {"input", {{"command", "make test\necho hi"}}}}),
                     k_plain) == "$ make test…\n");
  CHECK(format_event(event("tool_finished", {{"name", "bash"},
                                             {"exit_code", 0},
                                             {"duration_ms", 35},
                                             {"output", "ok 1\nok 2\n"}}),
                     k_plain) == "→ exit 0 (35ms)\n    ok 1\n    ok 2\n");
  CHECK(format_event(event("tool_started",
                           {{"name", "write_file"},
                            {"input", {{"path", "a.txt"}, {"content", std::string(1234, 'x')}}}}),
                     k_plain) == "write_file a.txt (1,234 bytes)\n");
  CHECK(format_event(
            event("tool_started", {{"name", "read_file"}, {"input", {{"path", "src/x.cpp"}}}}),
            k_plain) == "read_file src/x.cpp\n");
  CHECK(format_event(event("model_error", {{"turn", 1},
                                           {"attempt", 1},
                                           {"status", 529},
                                           {"message", "overloaded"},
                                           {"retry_in_ms", 1500}}),
                     k_plain) == "model error (HTTP 529): overloaded — retry 2 in 1.5s\n");
  CHECK(format_event(Json{{"type", "heartbeat"}}, k_plain).empty());
  // A malformed event renders, never throws.
  CHECK_NOTHROW(
      format_event(event("tool_finished", {{"exit_code", "zero"}, {"is_error", "yes"}}), k_plain));
}

TEST_CASE("a tool's output shows its first and last real lines, not bash's framing") {
  std::string out = "exit code 0\n--- stdout ---\n";
  for (int i = 1; i <= 9; ++i) out += "line " + std::to_string(i) + "\n";
  out += "--- stderr ---\nwarning: last\n";
  CHECK(format_event(
            event("tool_finished",
                  {{"name", "bash"}, {"exit_code", 0}, {"duration_ms", 35}, {"output", out}}),
            k_plain) ==
        "→ exit 0 (35ms)\n    line 1\n    line 2\n    … 6 more lines\n    line 9\n"
        "    warning: last\n");
  CHECK(format_event(event("tool_finished",
                           {{"name", "bash"}, {"exit_code", 1}, {"output", "exit code 1\n"}}),
                     k_plain) == "→ exit 1 (0ms)\n");
}

TEST_CASE("the spinner follows what the leaf waits on") {
  CHECK(activity_of(Json{{"type", "leaf_started"}}) == "waiting for the model");
  CHECK(activity_of(event("tool_started",
                          {{"name", "bash"}, {"input", {{"command", "make test\necho"}}}})) ==
        "running bash: make test");
  CHECK(activity_of(event("gate_opened", {})) == "waiting for approval");
  CHECK(activity_of(event("model_response", {})) == "");
  CHECK(activity_of(event("leaf_finished", {})) == "");
  CHECK_FALSE(activity_of(Json{{"type", "heartbeat"}}).has_value());
  // Disabled (not a terminal): a plain pass-through, nothing drawn.
  std::ostringstream os;
  {
    Spinner s(os, false);
    s.set("waiting for the model");
    s.print("line\n");
  }
  CHECK(os.str() == "line\n");
}

TEST_CASE("colors only when asked") {
  Style color{true};
  CHECK(format_event(Json{{"type", "leaf_started"}}, color) == "\x1b[2mstarted\x1b[0m\n");
}

TEST_CASE("summary, status and table") {
  Json leaf = {{"id", "lf_1"},
               {"session", "ses_1"},
               {"state", "failed"},
               {"reason", "max_turns"},
               {"turns", 3},
               {"usage", {{"input_tokens", 12345}, {"output_tokens", 67}}},
               {"model", "default"},
               {"prompt", "fix the failing test please"},
               {"created_at", "2026-11-22T10:00:00.000Z"},
               {"started_at", "2026-11-22T10:00:01.000Z"},
               {"finished_at", "2026-11-22T10:00:13.500Z"}};
  CHECK(format_summary(leaf, k_plain) ==
        "failed (max_turns) · 3 turns · 12,345 in / 67 out tokens · 12.5s");
  std::string status = format_status(leaf, k_plain);
  CHECK(status.find("state:     failed\n") != std::string::npos);
  CHECK(status.find("reason:    max_turns\n") != std::string::npos);
  auto now = *harness::parse_rfc3339("2026-11-22T10:05:00.000Z");
  std::string table = format_table(Json::array({leaf}), false, now, k_plain);
  CHECK(table.rfind("ID    STATE   AGE  MODEL    TURNS  PROMPT\n", 0) == 0);
  CHECK(table.find("lf_1  failed  5m   default  3      fix the failing test please\n") !=
        std::string::npos);
  CHECK(format_table(Json::array({leaf}), true, now, k_plain).find("SESSION") != std::string::npos);
  CHECK(group_thousands(1234567) == "1,234,567");
  CHECK(group_thousands(999) == "999");
}
