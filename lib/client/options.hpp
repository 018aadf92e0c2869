#pragma once
// The parsed command line, one plain struct per command (filled by the CLI11 wiring in cli.cpp).

#include <cstdint>
#include <string>
#include <vector>

namespace harness::client {

// Flags every command accepts.
struct GlobalOptions {
  std::string socket;
  std::string url;
  std::string output = "text";  // text | json | wide
  bool no_color = false;
};

// submit, run, resume and fork.
struct SubmitOptions {
  std::string prompt;       // the positional argument; "-" means read stdin
  std::string prompt_file;  // -f FILE
  std::string model;
  std::string sandbox;
  std::string workdir;
  std::string run_as;  // --run-as USER (admins, root daemon)
  std::vector<std::string> inputs;
  int max_turns = 0;                // 0 = the daemon's default
  std::string timeout;              // a duration ("10m"); empty = the daemon's default
  std::vector<std::string> labels;  // K=V
  std::string session;              // --session, or resume's SESSION
  std::string idempotency_key;
  std::string policy;
  std::vector<std::string> ask;
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  double budget_usd = -1;         // < 0 = not given
  std::int64_t token_budget = 0;  // 0 = the daemon's default
  std::string inactivity;         // a duration; empty = the daemon's default
  bool wait = false;
  bool follow = false;
  bool quiet = false;
  bool fork = false;         // fork SESSION: a new session copying `session` up to fork_at
  std::int64_t fork_at = 0;  // --at SEQ; 0 = the daemon's choice (the last consistent seq)
  std::string record;        // --record FILE: write the replay file when the leaf has ended
};

struct WaitOptions {
  std::vector<std::string> ids;
  std::string timeout;  // empty = wait as long as it takes
};

struct LeafIdOptions {
  std::string id;
};

struct ListOptions {
  std::string state;
  std::vector<std::string> labels;
  std::string session;
  int limit = 0;       // 0 = the daemon's default
  std::string since;   // a duration back from now ("2h") or an RFC 3339 time; "" = any
  std::string cursor;  // a next_cursor from an earlier page; "" = the first page
};

struct LogsOptions {
  std::string id;
  bool follow = false;
  std::int64_t since = 0;  // events with seq > since
};

// approve and reject.
struct VerdictOptions {
  std::string id;
  int gate = 0;         // --gate N; 0 = the leaf's open gate
  std::string message;  // -m MSG; empty = none
  bool stop = false;    // reject --stop
};

// schedule add|ls|show|rm|pause|resume|run-now.
struct ScheduleOptions {
  std::string action;  // the nested subcommand
  std::string name;
  std::string cron;
  std::string every;
  std::string tz;
  std::string overlap;
  std::string catch_up;
  std::string jitter;
  std::vector<std::string> rest;  // add: after "--", the submit flags and the prompt
};

struct CompletionOptions {
  std::string shell;
};

}  // namespace harness::client
