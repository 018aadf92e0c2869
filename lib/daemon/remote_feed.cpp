#include "lib/daemon/remote_feed.hpp"

namespace harness::daemon {

RemoteFeed::RemoteFeed(uv_loop_t* loop, store::Store& store, Watchers& watchers,
                       std::int64_t period_ms)
    : m_store(store), m_watchers(watchers), m_period_ms(period_ms), m_timer(loop) {}

void RemoteFeed::start() {
  auto p = static_cast<std::uint64_t>(m_period_ms);
  m_timer.start(
      p, [this] { tick(); }, p);
}

void RemoteFeed::stop() {
  m_timer.stop();
  m_alive = std::make_shared<bool>(true);  // answers still on their way are dropped
}

void RemoteFeed::tick() {
  if (m_in_flight > 0) return;  // the previous round is still reading
  auto ids = m_watchers.watched();
  std::unordered_map<std::string, std::int64_t> seen;
  for (const auto& id : ids)
    if (auto it = m_seen.find(id); it != m_seen.end()) seen.emplace(id, it->second);
  m_seen = std::move(seen);
  for (const auto& id : ids) poll(id);
}

void RemoteFeed::poll(const std::string& leaf_id) {
  ++m_in_flight;
  std::weak_ptr<bool> alive = m_alive;
  m_store.get_leaf(leaf_id, [this, alive, leaf_id](Result<model::Leaf> l) {
    if (alive.expired()) return;
    auto it = m_seen.find(leaf_id);
    if (!l || it == m_seen.end() || l->last_seq <= it->second) {
      // First sight: start from here (the watcher read what came before), unless it ended.
      if (l && it == m_seen.end()) {
        m_seen[leaf_id] = l->last_seq;
        if (model::is_terminal(l->state)) m_watchers.publish(*l, {});
      }
      --m_in_flight;
      return;
    }
    std::int64_t after = it->second;
    it->second = l->last_seq;
    model::Leaf leaf = std::move(*l);
    store::EventQuery q{leaf.session, leaf.id, after, 0};
    m_store.read_events(q, [this, alive, leaf](Result<std::vector<model::Event>> ev) {
      if (alive.expired()) return;
      --m_in_flight;
      if (ev) m_watchers.publish(leaf, *ev);
    });
  });
}

}  // namespace harness::daemon
