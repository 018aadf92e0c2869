#include "lib/agent/claims.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "lib/agent/journal.hpp"
#include "lib/base/ids.hpp"

namespace harness::agent {
namespace {
constexpr std::int64_t k_register_retry_ms = 500;
}

Claimer::Claimer(AgentContext ctx, Hooks hooks)
    : m_ctx(ctx),
      m_hooks(std::move(hooks)),
      m_instance(new_id("inst_")),
      m_timer(ctx.loop),
      m_retry(ctx.loop) {}

std::int64_t Claimer::tick_ms() const {
  return std::clamp<std::int64_t>(m_ctx.config->lease_ttl_ms / 4, 50, 250);
}

void Claimer::register_node(std::function<void(Status)> done) {
  try_register(now_ms() + m_ctx.config->lease_ttl_ms + k_register_retry_ms, std::move(done));
}

void Claimer::try_register(TimeMs give_up, std::function<void(Status)> done) {
  store::NodeRequest req{m_ctx.config->node, m_instance, m_ctx.config->lease_ttl_ms};
  std::weak_ptr<bool> alive = m_alive;
  m_ctx.journal->store().register_node(req, [this, alive, give_up, done](Result<bool> r) {
    if (alive.expired()) return;
    if (r) return done({});
    if (r.error().code != ErrorCode::conflict || now_ms() >= give_up) return done(r.error());
    if (!m_warned)
      spdlog::warn(
          "node {}: the name is held by another harnessd; waiting up to {} for it to "
          "expire (a killed daemon's name does)",
          m_ctx.config->node, format_duration_ms(give_up - now_ms()));
    m_warned = true;
    m_retry.start(k_register_retry_ms, [this, give_up, done] { try_register(give_up, done); });
  });
}

void Claimer::start() {
  m_running = true;
  auto period = static_cast<std::uint64_t>(tick_ms());
  m_timer.start(
      0, [this] { tick(); }, period);
}

void Claimer::kick() {
  if (!m_running) return;
  if (m_in_flight) {
    m_again = true;
    return;
  }
  tick();
}

void Claimer::stop() {
  m_running = false;
  m_timer.stop();
  m_retry.stop();
}

void Claimer::tick() {
  if (!m_running) return;
  if (m_in_flight) {
    m_again = true;
    return;
  }
  m_in_flight = true;
  m_again = false;
  store::ClaimRequest req{m_ctx.config->node, m_instance, std::max(0, m_hooks.free_slots()),
                          m_ctx.config->lease_ttl_ms};
  std::weak_ptr<bool> alive = m_alive;
  m_ctx.journal->store().claim(req, [this, alive](Result<store::ClaimResult> r) {
    if (alive.expired()) return;
    m_in_flight = false;
    if (!r) {
      // Unreachable store: the leases lapse on their own; writes are fenced meanwhile.
      if (!m_warned) spdlog::warn("claims: {}", r.error().message);
      m_warned = true;
      return;
    }
    m_warned = false;
    for (const auto& id : r->lost) {
      if (m_running) m_hooks.lost(id);
    }
    for (auto& c : r->claimed) {
      if (m_running)
        m_hooks.claimed(std::move(c));
      else
        m_ctx.journal->store().release(c.leaf.id, [](Result<bool>) {});
    }
    if (m_again || !r->claimed.empty()) kick();
  });
}

}  // namespace harness::agent
