#pragma once
// What this store last wrote or read of live leaves: their rows and their sessions' last_seq,
// so an append costs one round trip (the compare-and-set script) instead of two. Only a hint:
// the append script checks the session's last_seq, and a stale entry just means a re-read.
// Bounded: when full it starts over. Loop thread only.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "lib/model/leaf.hpp"

namespace harness::store::redis {

class LeafCache {
 public:
  static constexpr size_t k_max_entries = 4096;

  // The leaf's row and its session's last_seq, when both are known.
  std::optional<std::pair<model::Leaf, std::int64_t>> get(const std::string& leaf_id) const {
    auto l = m_leaves.find(leaf_id);
    if (l == m_leaves.end()) return std::nullopt;
    auto s = m_seqs.find(l->second.session);
    if (s == m_seqs.end()) return std::nullopt;
    return std::make_pair(l->second, s->second);
  }
  // Remembers a row (dropped once terminal: nothing appends to it any more) and its session's
  // last_seq.
  void put(const model::Leaf& leaf, std::int64_t session_seq) {
    if (m_leaves.size() >= k_max_entries || m_seqs.size() >= k_max_entries) clear();
    if (model::is_terminal(leaf.state))
      m_leaves.erase(leaf.id);
    else
      m_leaves[leaf.id] = leaf;
    m_seqs[leaf.session] = session_seq;
  }
  void forget(const std::string& leaf_id, const std::string& session) {
    m_leaves.erase(leaf_id);
    m_seqs.erase(session);
  }
  void clear() {
    m_leaves.clear();
    m_seqs.clear();
  }

 private:
  std::unordered_map<std::string, model::Leaf> m_leaves;
  std::unordered_map<std::string, std::int64_t> m_seqs;
};

}  // namespace harness::store::redis
