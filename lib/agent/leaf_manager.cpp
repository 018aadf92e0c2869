#include "lib/agent/leaf_manager.hpp"

#include <spdlog/spdlog.h>

#include "lib/agent/envelope.hpp"

namespace harness::agent {

LeafManager::LeafManager(AgentContext ctx) : m_ctx(ctx) {}

void LeafManager::recover(std::function<void(Status)> done) {
  m_ctx.journal->store().list_unfinished(
      [this, done = std::move(done)](Result<std::vector<model::Leaf>> r) {
        if (!r) return done(r.error());
        size_t resumed = 0, queued = 0;
        // Leaves that were mid-run go first; they already held a slot before the crash.
        for (const auto& leaf : *r) {
          if (leaf.state == model::LeafState::queued) continue;
          m_queue.push_back(Waiting{leaf, true});
          ++resumed;
        }
        for (const auto& leaf : *r) {
          if (leaf.state != model::LeafState::queued) continue;
          m_queue.push_back(Waiting{leaf, false});
          ++queued;
        }
        if (resumed || queued)
          spdlog::info("recovery: {} leaves resume from their logs, {} queued", resumed, queued);
        pump();
        done({});
      });
}

void LeafManager::enqueue(const model::Leaf& leaf) {
  m_queue.push_back(Waiting{leaf, false});
  pump();
}

void LeafManager::pump() {
  int cap = std::max(1, m_ctx.config->max_running);
  while (!m_shutting_down && !m_queue.empty() && m_running.size() < static_cast<size_t>(cap)) {
    Waiting w = std::move(m_queue.front());
    m_queue.pop_front();
    start(std::move(w));
  }
}

void LeafManager::start(Waiting w) {
  std::string id = w.leaf.id;
  auto runner =
      std::make_shared<LeafRunner>(m_ctx, std::move(w.leaf), [this](const std::string& leaf_id) {
        m_running.erase(leaf_id);
        pump();
      });
  m_running[id] = runner;
  runner->start(w.recovered);
}

void LeafManager::cancel(const std::string& id, store::Callback<model::Leaf> cb) {
  auto draft = model::finished_event(model::LeafState::cancelled, model::reason::cancelled,
                                     "cancelled by request");
  m_ctx.journal->append(id, {draft}, [this, id, cb = std::move(cb)](Result<store::AppendResult> r) {
    if (!r) return cb(r.error());
    for (auto it = m_queue.begin(); it != m_queue.end(); ++it) {
      if (it->leaf.id == id) {
        m_queue.erase(it);
        break;
      }
    }
    if (auto it = m_running.find(id); it != m_running.end()) {
      auto runner = it->second;  // stop() calls back into m_running.erase
      runner->stop();
    }
    model::Leaf leaf = r->leaf;
    write_envelope(m_ctx.loop, leaf, [cb, leaf] { cb(leaf); });
  });
}

void LeafManager::shutdown() {
  m_shutting_down = true;
  m_queue.clear();
  auto running = m_running;
  for (auto& [id, runner] : running) runner->stop();
  m_running.clear();
}

}  // namespace harness::agent
