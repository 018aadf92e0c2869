#pragma once
// doctor's "store persistence" check: what an acknowledged write survives, given the store
// server's persistence settings (docs/redis.md "Durability"). Pure; any thread.

#include <nlohmann/json.hpp>

#include "lib/store/store.hpp"

namespace harness::daemon {

// A doctor check {"kind":"store","name":"persistence","ok","warning","detail","fix"}:
//   appendonly yes + appendfsync always   ok: SPEC §7's promise holds
//   appendonly yes + everysec / no        ok with a warning: a power loss may lose the last
//                                         second (everysec) or ~30 s (no) of events
//   appendonly yes, fsync unknown         ok with a warning (CONFIG disabled: INFO only)
//   no AOF                                failed: a Redis restart loses everything since the
//                                         last RDB snapshot (or everything, without snapshots)
//   nothing known                         ok with a warning saying so
nlohmann::json durability_check(const store::Durability& d);

}  // namespace harness::daemon
