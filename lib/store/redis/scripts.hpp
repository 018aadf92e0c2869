#pragma once
// The Lua scripts every store operation runs (one script per operation, so each is atomic), and
// running them: EVALSHA with the SHA that SCRIPT LOAD returned at connect, falling back to EVAL
// when the server answers NOSCRIPT (a SCRIPT FLUSH, a restart without persistence of the script
// cache, a failover). Loop thread only.
//
// Every script takes no KEYS: its first argument is the key prefix (keys.hpp) and it derives
// the keys from ids. That is fine on a standalone Redis, the only deployment supported (Redis
// Cluster would need every key of a script in one hash slot).
//
// Every script answers an array whose first element says how it went: "ok" (then the data),
// "not_found"/"conflict"/"invalid" (then a message), "retry" (a compare-and-set lost: re-read and
// try again), "dup" (submit: the idempotency key exists; then the earlier leaf's id), "newer"
// (init: the layout is newer than this build).

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "lib/store/redis/connection.hpp"

namespace harness::store::redis {

enum class ScriptId {
  init,    // prefix, schema version, queue group -> ok|newer|error
  submit,  // see scripts.cpp for each script's arguments
  append,
  load,          // a leaf row and its session's last_seq (before an append)
  submitted,     // a leaf row and its leaf_submitted event (idempotent submit)
  session,       // a session and its leaf rows
  list,          // leaf rows of one index, newest first, filtered
  unfinished,    // leaf rows in the given states, oldest first
  events,        // a session's events after a seq, optionally of one leaf
  landed,        // whether an append whose answer was lost was written
  node,          // register a node name (lease_scripts.hpp)
  claim,         // renew held leases, claim leaves
  release,       // give a held leaf back
  put_schedule,  // schedules and firings (schedule_scripts.hpp)
  get_schedules,
  delete_schedule,
  pause_schedule,
  claim_firing,
  update_firing,
  open_firings,
  pod_lease,  // kubectl pod leases (lease_scripts.hpp)
};
inline constexpr size_t k_script_count = 21;

class Scripts {
 public:
  // SCRIPT LOAD of every script (also checks that they compile). Call from the connection's
  // setup step; `done` reports the first failure.
  void load_all(Connection& conn, std::function<void(Status)> done);
  // Runs `id` with `args` (the prefix is prepended). `fn` gets the reply or `unavailable`.
  void run(Connection& conn, ScriptId id, std::vector<std::string> args, Connection::ReplyFn fn);

 private:
  void load_from(Connection& conn, size_t i, std::function<void(Status)> done);

  std::array<std::string, k_script_count> m_sha;
};

// The status string of a script's answer ("" when it is not such an array).
std::string_view script_status(const Reply& r);

}  // namespace harness::store::redis
