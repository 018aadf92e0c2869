#include "lib/agent/history_cache.hpp"

namespace harness::agent {

bool continues_log(const std::vector<model::Event>& events, std::int64_t after,
                   std::int64_t through) {
  std::int64_t seq = after;
  for (const auto& e : events)
    if (e.seq != ++seq) return false;
  return seq >= through && through > after;
}

void HistoryCache::put(const std::string& session, CachedHistory entry) {
  size_t bytes = entry.bytes() + session.size();
  auto it = m_entries.find(session);
  if (it != m_entries.end()) {
    if (it->second.entry.log.last_seq() > entry.log.last_seq()) return;
    drop(it);
  }
  if (bytes > m_max_bytes) return;
  while (m_bytes + bytes > m_max_bytes && !m_lru.empty()) drop(m_entries.find(m_lru.back()));
  m_lru.push_front(session);
  m_entries.emplace(session, Slot{std::move(entry), bytes, m_lru.begin()});
  m_bytes += bytes;
}

std::optional<CachedHistory> HistoryCache::take(const std::string& session) {
  auto it = m_entries.find(session);
  if (it == m_entries.end()) {
    ++m_misses;
    return std::nullopt;
  }
  ++m_hits;
  CachedHistory entry = std::move(it->second.entry);
  drop(it);
  return entry;
}

void HistoryCache::drop(std::unordered_map<std::string, Slot>::iterator it) {
  m_bytes -= it->second.bytes;
  m_lru.erase(it->second.lru);
  m_entries.erase(it);
}

}  // namespace harness::agent
