// Reading a leaf's session log, from the history cache when it can. Loop thread only.
//
// The cache holds a session's log folded up to some seq N (HistoryBuilder). A runner that finds
// its session there reads only the events after N — at least its own leaf_submitted and
// leaf_started, and whatever anyone else appended (a verdict, a cancel, another daemon on a
// shared store) — and folds them in. If those events do not continue the cached ones without
// a gap, up to this runner's own leaf_started, the cache is not trusted and the whole log is
// read. While the leaf runs, every event the runner appends is folded in too, so at the end the
// folded log is the whole session again and goes back into the cache with the wire text of the
// messages the runner sent (kept only for the messages on which both agree).
#include <spdlog/spdlog.h>

#include "lib/agent/runner.hpp"

namespace harness::agent {
namespace {
constexpr int k_all_events = 1 << 30;

bool is_transient(const Error& e) {
  return e.code == ErrorCode::unavailable || e.code == ErrorCode::timeout;
}
}  // namespace

void LeafRunner::read_log() {
  std::optional<CachedHistory> cached;
  if (m_ctx.history) cached = m_ctx.history->take(m_leaf.session);
  if (!cached) return read_whole_log();
  read_log_after(std::make_shared<CachedHistory>(std::move(*cached)));
}

void LeafRunner::read_log_after(std::shared_ptr<CachedHistory> cached) {
  std::weak_ptr<LeafRunner> weak = weak_from_this();
  std::int64_t after = cached->log.last_seq();
  store::EventQuery q{m_leaf.session, "", after, k_all_events};
  m_ctx.journal->store().read_events(q, [weak, cached, after](Result<std::vector<model::Event>> r) {
    auto self = weak.lock();
    if (!self || self->m_stopped) return;
    self->guard("after reading the session log", [&] {
      if (!r || !continues_log(*r, after, self->m_leaf.last_seq)) {
        spdlog::debug("leaf {}: cached history of session {} (to seq {}) not used: {}",
                      self->m_leaf.id, self->m_leaf.session, after,
                      r ? "the log does not continue it" : r.error().message);
        return self->read_whole_log();
      }
      self->store_ok();
      for (const auto& e : *r) cached->log.add(e);
      spdlog::debug("leaf {}: history from the cache to seq {} and {} events after it",
                    self->m_leaf.id, after, r->size());
      self->start_from(std::move(cached->log), std::move(cached->wire));
    });
  });
}

void LeafRunner::read_whole_log() {
  std::weak_ptr<LeafRunner> weak = weak_from_this();
  store::EventQuery q{m_leaf.session, "", 0, k_all_events};
  m_ctx.journal->store().read_events(q, [weak](Result<std::vector<model::Event>> r) {
    auto self = weak.lock();
    if (!self || self->m_stopped) return;
    self->guard("after reading the session log", [&] {
      if (r) {
        self->store_ok();
        return self->on_history(std::move(*r));
      }
      if (!is_transient(r.error()))
        return self->finish(model::LeafState::failed, model::reason::internal,
                            "cannot read the session log: " + r.error().message);
      self->retry_store("cannot read the session log", r.error(), [weak] {
        auto self = weak.lock();
        if (self && !self->m_stopped) self->read_whole_log();
      });
    });
  });
}

void LeafRunner::log_events(const std::vector<model::Event>& events) {
  for (const auto& e : events) {
    if (!m_log_open || m_log_frozen || e.seq <= m_log.last_seq()) continue;
    if (e.seq != m_log.last_seq() + 1 || e.session != m_leaf.session) {
      m_log_frozen = true;  // someone else wrote in between: the tail is read next time
      continue;
    }
    m_log_open = false;  // should add() throw, the half-folded log is never cached
    m_log.add(e);
    m_log_open = true;
  }
}

void LeafRunner::keep_history() {
  if (!m_ctx.history || !m_log_open) return;
  m_log_open = false;
  // m_wire is the text of m_messages; the next leaf starts from m_log's messages, of which
  // only the last may still change. Keep the text of the messages both agree on.
  const auto& logged = m_log.messages();
  size_t keep = std::min(
      {m_wire.messages.size(), m_messages.size(), logged.empty() ? size_t{0} : logged.size() - 1});
  size_t same = 0;
  while (same < keep && m_messages[same] == logged[same]) ++same;
  if (same < keep)
    spdlog::warn("leaf {}: message {} of the conversation differs from the log's", m_leaf.id, same);
  m_wire.messages.resize(same);
  m_ctx.history->put(m_leaf.session, CachedHistory{std::move(m_log), std::move(m_wire)});
}

}  // namespace harness::agent
