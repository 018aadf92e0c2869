#pragma once
// The history cache: per session, the log folded so far (HistoryBuilder) and the wire text of
// its messages, kept in memory when a leaf's runner lets go of them, so that the next leaf of
// the session (a resume, or the same leaf after a verdict) reads only the events after the
// cached ones instead of the whole log, and sends the unchanged prefix of its first model
// request without serialising it again. Bounded by approximate bytes; the least recently used
// sessions are dropped first.
//
// An entry is only ever a prefix of the session's log (events 1..last_seq, as the store holds
// them); a runner that takes it reads every event after last_seq from the store, so events
// written meanwhile by anyone else (a cancel, another daemon on a shared store) are never
// missed. Threads: loop thread only.

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "lib/agent/history.hpp"

namespace harness::agent {

struct CachedHistory {
  HistoryBuilder log;
  // The wire text of log.messages()[0, wire.messages.size()): never the last message, which a
  // later event may still change.
  model::WireCache wire;
  size_t bytes() const { return log.bytes() + wire.bytes(); }
};

// Whether `events`, read from the store after seq `after`, continue a cached log of events
// 1..after: numbered after+1, after+2, ... without a gap, reaching at least seq `through` (the
// reader's own last event), with through > after. Otherwise the store does not hold what the
// cache was made from (say, a Redis that lost writes) and the whole log must be read.
bool continues_log(const std::vector<model::Event>& events, std::int64_t after,
                   std::int64_t through);

class HistoryCache {
 public:
  // `max_bytes` 0: nothing is ever kept.
  explicit HistoryCache(size_t max_bytes) : m_max_bytes(max_bytes) {}

  // Keeps `entry` for `session`, replacing an entry that covers fewer events (an entry that
  // covers more is kept instead), then drops least recently used entries until the total fits.
  // An entry bigger than the whole bound is not kept.
  void put(const std::string& session, CachedHistory entry);
  // Removes and returns the session's entry (the runner owns it while its leaf runs), or
  // nullopt.
  std::optional<CachedHistory> take(const std::string& session);

  size_t bytes() const { return m_bytes; }
  size_t size() const { return m_entries.size(); }
  std::uint64_t hits() const { return m_hits; }
  std::uint64_t misses() const { return m_misses; }

 private:
  struct Slot {
    CachedHistory entry;
    size_t bytes = 0;
    std::list<std::string>::iterator lru;  // position in m_lru
  };
  void drop(std::unordered_map<std::string, Slot>::iterator it);

  size_t m_max_bytes;
  size_t m_bytes = 0;
  std::list<std::string> m_lru;  // most recently put first
  std::unordered_map<std::string, Slot> m_entries;
  std::uint64_t m_hits = 0, m_misses = 0;
};

}  // namespace harness::agent
