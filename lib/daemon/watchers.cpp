#include "lib/daemon/watchers.hpp"

namespace harness::daemon {

std::uint64_t Watchers::watch(const std::string& leaf_id, Fn fn) {
  std::uint64_t token = m_next++;
  m_by_leaf[leaf_id][token] = std::move(fn);
  return token;
}

void Watchers::unwatch(const std::string& leaf_id, std::uint64_t token) {
  auto it = m_by_leaf.find(leaf_id);
  if (it == m_by_leaf.end()) return;
  it->second.erase(token);
  if (it->second.empty()) m_by_leaf.erase(it);
}

void Watchers::publish(const model::Leaf& leaf, const std::vector<model::Event>& events) {
  auto it = m_by_leaf.find(leaf.id);
  if (it == m_by_leaf.end()) return;
  // Copy first: a listener may unwatch itself or others while we iterate.
  auto fns = it->second;
  for (auto& [token, fn] : fns)
    if (!fn(leaf, events)) unwatch(leaf.id, token);
}

size_t Watchers::count() const {
  size_t n = 0;
  for (const auto& [id, m] : m_by_leaf) n += m.size();
  return n;
}

std::vector<std::string> Watchers::watched() const {
  std::vector<std::string> out;
  out.reserve(m_by_leaf.size());
  for (const auto& [id, m] : m_by_leaf) out.push_back(id);
  return out;
}

}  // namespace harness::daemon
