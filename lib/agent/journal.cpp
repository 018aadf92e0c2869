#include "lib/agent/journal.hpp"

#include <spdlog/spdlog.h>

#include "lib/agent/event_metrics.hpp"

namespace harness::agent {

void Journal::append(const std::string& leaf_id, std::vector<model::EventDraft> drafts,
                     store::Callback<store::AppendResult> cb) {
  // Event data carries tool output, file names and error pages: any bytes. Repairing them here
  // (before redaction matches on them) makes what followers see live the same as what the
  // store keeps.
  for (auto& d : drafts) model::repair_strings(d.data);
  if (m_redactor)
    for (auto& d : drafts) m_redactor->redact_json(d.data);
  m_store.append(leaf_id, std::move(drafts),
                 [this, cb = std::move(cb)](Result<store::AppendResult> r) {
                   if (r) publish(r->leaf, r->events);
                   if (cb) cb(std::move(r));
                 });
}

void Journal::published_submit(const model::Leaf& leaf, const model::Event& event) {
  publish(leaf, {event});
}

// The events are durable whatever a listener does: a listener that throws costs its followers
// these events (logged), never the leaf or the daemon.
void Journal::publish(const model::Leaf& leaf, const std::vector<model::Event>& events) noexcept {
  try {
    count_events(leaf, events);
    if (!m_listener) return;
    m_listener(leaf, events);
  } catch (const std::exception& e) {
    spdlog::error("leaf {}: publishing events to followers failed: {}", leaf.id, e.what());
  }
}

}  // namespace harness::agent
