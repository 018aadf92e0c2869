// How leaves stop from the outside: cancel, a failure in a verdict or cancel continuation, and
// the daemon's shutdown (drain within shutdown_grace, or at once). Loop thread only.
#include <spdlog/spdlog.h>

#include "lib/agent/envelope.hpp"
#include "lib/agent/leaf_manager.hpp"
#include "lib/agent/workspace_changes.hpp"
#include "lib/loop/defer.hpp"

namespace harness::agent {

void LeafManager::guarded(const std::string& id, const std::function<void(Error)>& answer,
                          const std::function<void()>& body) noexcept {
  try {
    RecoverableAsserts asserts_throw;
    body();
  } catch (const std::exception& e) {
    try {
      spdlog::error("leaf {}: internal error: {}", id, e.what());
      std::string message = std::string("internal error: ") + e.what();
      end_leaf(id,
               model::finished_event(model::LeafState::failed, model::reason::internal, message),
               [](Result<model::Leaf>) {});
      if (answer) answer(make_error(ErrorCode::internal, message));
    } catch (const std::exception& again) {
      spdlog::error("leaf {}: cannot fail it cleanly: {}", id, again.what());
    }
  }
}

void LeafManager::cancel(const std::string& id, store::Callback<model::Leaf> cb) {
  end_leaf(id,
           model::finished_event(model::LeafState::cancelled, model::reason::cancelled,
                                 "cancelled by request"),
           std::move(cb));
}

// The leaf is read first: its row says whether and where to list its workspace's changes,
// which go in the same append, before the leaf_finished.
void LeafManager::end_leaf(const std::string& id, model::EventDraft draft,
                           store::Callback<model::Leaf> cb) {
  m_ctx.journal->store().get_leaf(id, [this, id, draft, cb](Result<model::Leaf> l) {
    if (!l) return cb(l.error());
    guarded(
        id, [&](Error e) { cb(std::move(e)); },
        [&] {
          // Already ended: the append answers conflict, naming how; nothing to walk for that.
          if (model::is_terminal(l->state)) return append_end(id, {draft}, cb);
          with_workspace_changes(*l, {draft}, [this, id, cb](std::vector<model::EventDraft> d) {
            guarded(
                id, [&](Error e) { cb(std::move(e)); }, [&] { append_end(id, std::move(d), cb); });
          });
        });
  });
}

void LeafManager::with_workspace_changes(const model::Leaf& leaf,
                                         std::vector<model::EventDraft> drafts,
                                         std::function<void(std::vector<model::EventDraft>)> next) {
  const auto& sandboxes = m_ctx.config->sandboxes;
  auto it = sandboxes.find(leaf.spec.sandbox);
  agent::with_workspace_changes(m_ctx.loop, leaf, it == sandboxes.end() ? nullptr : &it->second,
                                m_ctx.config->node, std::move(drafts), std::move(next));
}

void LeafManager::append_end(const std::string& id, std::vector<model::EventDraft> drafts,
                             store::Callback<model::Leaf> cb) {
  m_ctx.journal->append(id, std::move(drafts), [this, id, cb](Result<store::AppendResult> r) {
    if (!r) return cb(r.error());
    guarded(
        id, [&](Error e) { cb(std::move(e)); },
        [&] {
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
  });
}

void LeafManager::drain(std::int64_t grace_ms, std::function<void()> done) {
  m_shutting_down = true;
  m_drained = std::move(done);
  m_gate_timer.stop();
  m_claimer.stop();
  m_queue.clear();
  if (m_running.empty()) return drained();
  spdlog::info("shutdown: {} running leaves may finish their current step (shutdown_grace {})",
               m_running.size(), format_duration_ms(grace_ms));
  m_grace_timer.start(static_cast<std::uint64_t>(std::max<std::int64_t>(grace_ms, 0)), [this] {
    spdlog::warn("shutdown_grace elapsed: stopping {} leaves mid-step; they resume after restart",
                 m_running.size());
    shutdown();
  });
  auto running = m_running;  // drain() may stop a runner, which erases it
  for (auto& [id, runner] : running) runner->drain();
}

void LeafManager::shutdown() {
  m_shutting_down = true;
  m_gate_timer.stop();
  m_claimer.stop();
  m_queue.clear();
  auto running = m_running;
  for (auto& [id, runner] : running) runner->stop();
  m_running.clear();
  drained();
}

void LeafManager::drained() {
  m_grace_timer.stop();
  if (auto done = std::exchange(m_drained, nullptr)) loop::defer(m_ctx.loop, std::move(done));
}

}  // namespace harness::agent
