#include "lib/agent/leaf_manager.hpp"

#include <spdlog/spdlog.h>

#include "lib/agent/envelope.hpp"

namespace harness::agent {
namespace {
constexpr std::int64_t k_gate_expiry_retry_ms = 5000;
}  // namespace

LeafManager::LeafManager(AgentContext ctx)
    : m_ctx(ctx),
      m_gate_timer(ctx.loop),
      m_grace_timer(ctx.loop),
      m_claimer(ctx, Claimer::Hooks{[this] {
                                      return std::max(1, m_ctx.config->max_running) -
                                             static_cast<int>(m_running.size());
                                    },
                                    [this](store::Claim c) { on_claimed(std::move(c)); },
                                    [this](const std::string& id) { on_lost(id); }}) {}

void LeafManager::recover(StartKind how, std::function<void(Status)> done) {
  if (shared()) return recover_shared(std::move(done));
  m_ctx.journal->store().list_unfinished(
      [this, how, done = std::move(done)](Result<std::vector<model::Leaf>> r) {
        if (!r) return done(r.error());
        size_t resumed = 0, queued = 0;
        // Leaves that were mid-run go first; they already held a slot before the crash.
        size_t parked = 0;
        for (const auto& leaf : *r) {
          if (leaf.state == model::LeafState::queued) continue;
          if (leaf.state == model::LeafState::awaiting_approval) {
            watch_gate(leaf);  // holds nothing until a verdict
            ++parked;
            continue;
          }
          m_queue.push_back(Waiting{leaf, how});
          ++resumed;
        }
        if (parked) spdlog::info("recovery: {} leaves await approval", parked);
        for (const auto& leaf : *r) {
          if (leaf.state != model::LeafState::queued) continue;
          m_queue.push_back(Waiting{leaf, StartKind::fresh});
          ++queued;
        }
        if (resumed || queued)
          spdlog::info("recovery: {} leaves resume from their logs (after a {}), {} queued",
                       resumed, how == StartKind::after_shutdown ? "shutdown" : "crash", queued);
        pump();
        done({});
      });
}

// Shared store: register the node name, watch the open gates (any daemon may time them out:
// the first verdict wins), then claim.
void LeafManager::recover_shared(std::function<void(Status)> done) {
  m_claimer.register_node([this, done](Status s) {
    if (!s) return done(s);
    m_ctx.journal->store().list_unfinished([this, done](Result<std::vector<model::Leaf>> r) {
      if (!r) return done(r.error());
      for (const auto& leaf : *r)
        if (leaf.state == model::LeafState::awaiting_approval) watch_gate(leaf);
      spdlog::info("node {}: claiming leaves from the shared queue (lease_ttl {})",
                   m_ctx.config->node, format_duration_ms(m_ctx.config->lease_ttl_ms));
      m_claimer.start();
      done({});
    });
  });
}

void LeafManager::on_claimed(store::Claim c) {
  if (m_shutting_down || m_running.count(c.leaf.id)) return;
  StartKind how = StartKind::fresh;
  if (c.leaf.state != model::LeafState::queued && !c.after_gate)
    how = c.released ? StartKind::after_shutdown : StartKind::after_crash;
  if (how == StartKind::after_crash)
    spdlog::info("leaf {}: taken over (its lease expired; fencing token {})", c.leaf.id, c.fence);
  start(Waiting{std::move(c.leaf), how});
}

void LeafManager::on_lost(const std::string& leaf_id) {
  auto it = m_running.find(leaf_id);
  if (it == m_running.end()) return;
  spdlog::warn(
      "leaf {}: no longer this daemon's (cancelled elsewhere or lease lost); stopped "
      "here without writing",
      leaf_id);
  auto runner = it->second;  // stop() calls back into m_running.erase
  runner->stop();
}

void LeafManager::enqueue(const model::Leaf& leaf) {
  if (shared()) return m_claimer.kick();  // the store's queue holds it
  m_queue.push_back(Waiting{leaf, StartKind::fresh});
  pump();
}

void LeafManager::set_config(config::ConfigPtr config) {
  m_ctx.config = std::move(config);
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
  auto runner = std::make_shared<LeafRunner>(
      m_ctx, std::move(w.leaf), [this](const std::string& leaf_id) { runner_done(leaf_id); });
  m_running[id] = runner;
  runner->start(w.how);
}

void LeafManager::runner_done(const std::string& leaf_id) {
  auto it = m_running.find(leaf_id);
  if (it == m_running.end()) return;
  if (it->second->leaf().state == model::LeafState::awaiting_approval && !m_shutting_down)
    watch_gate(it->second->leaf());
  m_running.erase(it);
  // Shared store: a leaf that stopped here unfinished (shutdown, or its store write failed) is
  // given back for any daemon to claim at once; a no-op once it ended, parked or lost its lease.
  if (shared()) m_ctx.journal->store().release(leaf_id, [](Result<bool>) {});
  if (m_shutting_down && m_running.empty()) return drained();
  pump();
  if (shared()) m_claimer.kick();
}

void LeafManager::watch_gate(const model::Leaf& leaf) {
  if (!leaf.gate.is_object()) return;
  std::string expires = model::str_at(leaf.gate, "expires_at");
  if (expires.empty()) return;
  auto at = parse_rfc3339(expires);
  if (!at) return;
  m_gate_deadlines.emplace(*at, std::make_pair(leaf.id, leaf.open_gate));
  arm_gate_timer();
}

void LeafManager::arm_gate_timer() {
  if (m_gate_deadlines.empty() || m_shutting_down) return m_gate_timer.stop();
  std::int64_t wait = m_gate_deadlines.begin()->first - now_ms();
  m_gate_timer.start(static_cast<std::uint64_t>(std::max<std::int64_t>(wait, 0)),
                     [this] { expire_gates(); });
}

void LeafManager::expire_gates() {
  TimeMs now = now_ms();
  while (!m_gate_deadlines.empty() && m_gate_deadlines.begin()->first <= now) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    std::string leaf_id = m_gate_deadlines.begin()->second.first;
    int gate = m_gate_deadlines.begin()->second.second;
    m_gate_deadlines.erase(m_gate_deadlines.begin());
    VerdictRequest req;
    req.gate = gate;
    req.stop = true;
    req.message = "gate " + std::to_string(gate) + " expired before anyone decided";
    req.by = model::Json{{"name", "gate_timeout"}, {"uid", nullptr}, {"transport", "daemon"}};
    // The store may fail for now (disk full): then the expiry is tried again a bit later.
    auto again = [this, leaf_id, gate](const Error& e) {
      if (e.code != ErrorCode::unavailable || m_shutting_down) return;
      spdlog::warn("leaf {}: cannot expire gate {} yet: {}", leaf_id, gate, e.message);
      m_gate_deadlines.emplace(now_ms() + k_gate_expiry_retry_ms, std::make_pair(leaf_id, gate));
      arm_gate_timer();
    };
    m_ctx.journal->store().get_leaf(leaf_id, [this, req, leaf_id, again](Result<model::Leaf> l) {
      if (!l) return again(l.error());
      decide(*l, req, [leaf_id, again](Result<VerdictResult> r) {
        // conflict: decided or cancelled meanwhile, nothing to expire.
        if (!r) return again(r.error());
        if (!r->already) spdlog::info("leaf {}: gate timed out, leaf rejected", leaf_id);
      });
    });
  }
  arm_gate_timer();
}

void LeafManager::decide(const model::Leaf& leaf, VerdictRequest req,
                         store::Callback<VerdictResult> cb) {
  const std::string& leaf_id = leaf.id;
  int gate = req.gate ? req.gate : leaf.open_gate;
  if (gate == 0 && leaf.gates == 0)
    return cb(make_error(ErrorCode::conflict, "leaf " + leaf_id + " has no gate; it is " +
                                                  std::string(model::to_string(leaf.state))));
  if (gate == 0) gate = leaf.gates;  // the last gate, to explain how it was decided
  if (leaf.state != model::LeafState::awaiting_approval || gate != leaf.open_gate)
    return explain_decided(leaf_id, req, gate, cb);
  model::Json verdict{{"gate", gate},
                      {"verdict", req.approve ? "approved" : "rejected"},
                      {"stop", !req.approve && req.stop},
                      {"message", req.message},
                      {"by", req.by},
                      {"at", format_rfc3339(now_ms())}};
  std::vector<model::EventDraft> drafts{{std::string(model::event::gate_decided), verdict}};
  bool stop = !req.approve && req.stop;
  if (stop) {
    std::string who = model::str_at(req.by, "name", "someone");
    drafts.push_back(model::finished_event(model::LeafState::rejected, model::reason::rejected,
                                           "rejected at gate " + std::to_string(gate) + " by " +
                                               who +
                                               (req.message.empty() ? "" : ": " + req.message)));
  }
  auto append = [this, leaf_id, req, gate, verdict, stop, cb](std::vector<model::EventDraft> d) {
    guarded(
        leaf_id, [&](Error e) { cb(std::move(e)); },
        [&] { append_verdict(leaf_id, std::move(d), req, gate, verdict, stop, cb); });
  };
  if (stop) return with_workspace_changes(leaf, std::move(drafts), append);
  append(std::move(drafts));
}

void LeafManager::append_verdict(const std::string& leaf_id, std::vector<model::EventDraft> drafts,
                                 const VerdictRequest& req, int gate, const model::Json& verdict,
                                 bool stop, store::Callback<VerdictResult> cb) {
  m_ctx.journal->append(
      leaf_id, std::move(drafts),
      [this, leaf_id, req, gate, verdict, stop, cb](Result<store::AppendResult> a) {
        if (!a) {
          if (a.error().code == ErrorCode::conflict) return explain_decided(leaf_id, req, gate, cb);
          return cb(a.error());
        }
        guarded(
            leaf_id, [&](Error e) { cb(std::move(e)); },
            [&] {
              model::Leaf now = a->leaf;
              VerdictResult out{now, verdict, false};
              if (stop) return write_envelope(m_ctx.loop, now, [cb, out] { cb(out); });
              enqueue(now);
              cb(out);
            });
      });
}

// The gate is not open: find how it was decided, to answer "already" or explain the conflict.
void LeafManager::explain_decided(const std::string& leaf_id, const VerdictRequest& req, int gate,
                                  store::Callback<VerdictResult> cb) {
  m_ctx.journal->store().get_leaf(leaf_id, [this, leaf_id, req, gate, cb](Result<model::Leaf> l) {
    if (!l) return cb(l.error());
    model::Leaf leaf = *l;
    store::EventQuery q{leaf.session, leaf.id, 0, 0};
    m_ctx.journal->store().read_events(
        q, [this, leaf, req, gate, cb](Result<std::vector<model::Event>> ev) {
          if (!ev) return cb(ev.error());
          guarded(
              leaf.id, [&](Error e) { cb(std::move(e)); },
              [&] { explain_verdicts(leaf, req, gate, *ev, cb); });
        });
  });
}

void LeafManager::explain_verdicts(const model::Leaf& leaf, const VerdictRequest& req, int gate,
                                   const std::vector<model::Event>& events,
                                   const store::Callback<VerdictResult>& cb) {
  std::string state(model::to_string(leaf.state));
  for (const auto& e : events) {
    if (e.type != model::event::gate_decided || model::int_at(e.data, "gate") != gate) continue;
    std::string verdict = model::str_at(e.data, "verdict");
    bool approved = verdict == "approved";
    bool same = approved == req.approve && (approved || model::bool_at(e.data, "stop") == req.stop);
    if (same) return cb(VerdictResult{leaf, e.data, true});
    std::string who = model::str_at(model::object_at(e.data, "by"), "name", "someone");
    return cb(make_error(ErrorCode::conflict, "gate " + std::to_string(gate) + " of " + leaf.id +
                                                  " was already " + verdict + " by " + who +
                                                  " at " + model::str_at(e.data, "at") +
                                                  "; the leaf is " + state));
  }
  if (gate > leaf.gates)
    return cb(make_error(ErrorCode::conflict, "leaf " + leaf.id + " has no gate " +
                                                  std::to_string(gate) + "; it is " + state));
  cb(make_error(ErrorCode::conflict, "gate " + std::to_string(gate) + " of " + leaf.id +
                                         " is not open; the leaf is " + state));
}

}  // namespace harness::agent
