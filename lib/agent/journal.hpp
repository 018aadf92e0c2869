#pragma once
// The one write path for leaf events: redacts them (docs/security.md "Redaction"), appends
// through the Store and, once they are durable, publishes them to in-process listeners
// (followers of `logs -f`, waiters of `wait`). Loop thread only.

#include <functional>
#include <string>
#include <vector>

#include "lib/model/redactor.hpp"
#include "lib/store/store.hpp"

namespace harness::agent {

class Journal {
 public:
  using Listener =
      std::function<void(const model::Leaf& leaf, const std::vector<model::Event>& events)>;

  // `redactor` (may be null: nothing is redacted) must outlive the Journal.
  explicit Journal(store::Store& store, const model::Redactor* redactor = nullptr)
      : m_store(store), m_redactor(redactor) {}

  // Repairs strings of the drafts' data that are not UTF-8 (U+FFFD), redacts every string,
  // appends them to the leaf's log; on success publishes them, then calls `cb` (whose events
  // hold the repaired, redacted data).
  void append(const std::string& leaf_id, std::vector<model::EventDraft> drafts,
              store::Callback<store::AppendResult> cb);
  // Publishes a leaf_submitted event the Store wrote in submit().
  void published_submit(const model::Leaf& leaf, const model::Event& event);
  // Set once by the daemon.
  void set_listener(Listener l) { m_listener = std::move(l); }
  store::Store& store() { return m_store; }

 private:
  void publish(const model::Leaf& leaf, const std::vector<model::Event>& events) noexcept;

  store::Store& m_store;
  const model::Redactor* m_redactor;
  Listener m_listener;
};

}  // namespace harness::agent
