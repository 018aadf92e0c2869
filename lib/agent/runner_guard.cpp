// How a leaf survives its own failures and the store's. Loop thread only.
//
// guard(): every continuation of a leaf runs inside it. An exception, or a failed
// HARNESS_ASSERT (which throws inside the guard's RecoverableAsserts scope), ends that leaf
// failed/internal with the message; the daemon and every other leaf go on.
//
// Store retries: a write refused with `unavailable` (disk full, database locked, I/O error) did
// not happen, so the same drafts are appended again after a backoff of 100 ms doubling to 5 s,
// for as long as it takes; the leaf continues by itself once the store works again. Reads of the
// session log are retried the same way. `conflict` means someone else ended the leaf (cancel),
// so the runner just stops; any other error fails the leaf `internal`.
#include <spdlog/spdlog.h>

#include "lib/agent/envelope.hpp"
#include "lib/agent/runner.hpp"

namespace harness::agent {
namespace {
using model::EventDraft;
using model::LeafState;

constexpr std::uint64_t k_first_retry_ms = 100;
constexpr std::uint64_t k_max_retry_ms = 5000;
bool is_transient(const Error& e) {
  return e.code == ErrorCode::unavailable || e.code == ErrorCode::timeout;
}

std::uint64_t retry_delay_ms(int failures) {
  std::uint64_t d = k_first_retry_ms;
  for (int i = 1; i < failures && d < k_max_retry_ms; ++i) d *= 2;
  return std::min(d, k_max_retry_ms);
}
}  // namespace

void LeafRunner::guard(std::string_view step, const std::function<void()>& body) noexcept {
  try {
    RecoverableAsserts asserts_throw;
    if (m_ctx.on_continue) m_ctx.on_continue(m_leaf.id, step);
    body();
  } catch (const std::exception& e) {
    fail_internal(step, e.what());
  } catch (...) {
    fail_internal(step, "unknown exception");
  }
}

void LeafRunner::fail_internal(std::string_view step, std::string_view what) noexcept {
  try {
    spdlog::error("leaf {}: internal error {}: {}", m_leaf.id, step, what);
    // Already ending (or stopped): nothing more to record, but its slot must be freed.
    if (m_stopped) return stop();
    finish(LeafState::failed, model::reason::internal,
           "internal error " + std::string(step) + ": " + std::string(what));
  } catch (const std::exception& e) {
    spdlog::error("leaf {}: cannot fail it cleanly: {}", m_leaf.id, e.what());
    try {
      stop();
    } catch (...) {
      // Nothing else can be done; the leaf is recovered after the next start.
    }
  }
}

void LeafRunner::append(std::vector<EventDraft> drafts,
                        std::function<void(const model::Leaf&)> next) {
  HARNESS_ASSERT(!drafts.empty());
  try_append(std::make_shared<const std::vector<EventDraft>>(std::move(drafts)), std::move(next));
}

void LeafRunner::try_append(Drafts drafts, std::function<void(const model::Leaf&)> next) {
  std::weak_ptr<LeafRunner> weak = weak_from_this();
  m_ctx.journal->append(m_leaf.id, *drafts, [weak, drafts, next](Result<store::AppendResult> r) {
    auto self = weak.lock();
    if (!self || self->m_stopped) return;
    const std::string& type = drafts->front().type;
    self->guard("after " + type, [&] {
      if (r) {
        self->store_ok();
        self->m_leaf = r->leaf;
        self->log_events(r->events);
        self->m_appended = std::move(r->events);
        return next(r->leaf);
      }
      const Error& e = r.error();
      if (e.code == ErrorCode::conflict) return self->stop();  // ended by someone else
      if (!is_transient(e))
        return self->finish(LeafState::failed, model::reason::internal,
                            "cannot persist " + type + ": " + e.message);
      self->retry_store("cannot persist " + type, e, [weak, drafts, next] {
        auto self = weak.lock();
        if (self && !self->m_stopped) self->try_append(drafts, next);
      });
    });
  });
}

void LeafRunner::record_end(Drafts drafts) {
  auto self = shared_from_this();  // alive until its end is recorded (or given up)
  m_ctx.journal->append(m_leaf.id, *drafts, [self, drafts](Result<store::AppendResult> r) {
    if (self->m_released) return;  // stopped meanwhile (shutdown): recovered after the restart
    self->guard("recording the leaf's end", [&] {
      if (!r) {
        const Error& e = r.error();
        if (e.code == ErrorCode::conflict) return self->release();
        if (!is_transient(e)) {
          spdlog::error("leaf {}: cannot record its end: {}", self->m_leaf.id, e.message);
          return self->release();
        }
        std::weak_ptr<LeafRunner> weak = self;
        return self->retry_store("cannot record its end", e, [weak, drafts] {
          auto self = weak.lock();
          if (self && !self->m_released) self->record_end(drafts);
        });
      }
      self->store_ok();
      self->m_leaf = r->leaf;
      self->log_events(r->events);
      self->keep_history();
      spdlog::info("leaf {} {} ({})", self->m_leaf.id, model::to_string(self->m_leaf.state),
                   self->m_leaf.reason);
      write_envelope(self->m_ctx.loop, self->m_leaf, [self] { self->release(); });
    });
  });
}

void LeafRunner::retry_store(std::string_view what, const Error& e, std::function<void()> again) {
  // Shutting down: stop here; the leaf resumes from its log after the restart.
  if (m_draining) return stop();
  std::uint64_t delay = retry_delay_ms(++m_store_failures);
  if (m_store_failures == 1)
    spdlog::warn("leaf {}: {}: {}; retrying until the store works again", m_leaf.id, what,
                 e.message);
  else
    spdlog::debug("leaf {}: {} (attempt {}): {}; next try in {} ms", m_leaf.id, what,
                  m_store_failures, e.message, delay);
  std::weak_ptr<LeafRunner> weak = weak_from_this();
  m_retry.start(delay, [weak, again = std::move(again)] {
    if (auto self = weak.lock()) self->guard("retrying the store", again);
  });
}

void LeafRunner::store_ok() {
  if (m_store_failures == 0) return;
  spdlog::info("leaf {}: the store works again after {} failed attempts", m_leaf.id,
               m_store_failures);
  m_store_failures = 0;
}

}  // namespace harness::agent
