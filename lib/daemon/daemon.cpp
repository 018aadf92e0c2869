#include "lib/daemon/daemon.hpp"

#include <grp.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include <spdlog/spdlog.h>

#include "lib/agent/journal.hpp"
#include "lib/agent/leaf_manager.hpp"
#include "lib/agent/notifier.hpp"
#include "lib/agent/redaction.hpp"
#include "lib/base/fd_limit.hpp"
#include "lib/base/fs.hpp"
#include "lib/daemon/api.hpp"
#include "lib/daemon/config_schedules.hpp"
#include "lib/daemon/pod_leases.hpp"
#include "lib/daemon/reload.hpp"
#include "lib/daemon/remote_feed.hpp"
#include "lib/daemon/schedule_fire.hpp"
#include "lib/daemon/schedule_runner.hpp"
#include "lib/daemon/state_dir.hpp"
#include "lib/daemon/systemd.hpp"
#include "lib/daemon/watchers.hpp"
#include "lib/http/client.hpp"
#include "lib/http/server.hpp"
#include "lib/loop/defer.hpp"
#include "lib/loop/handle.hpp"
#include "lib/model_api/client.hpp"
#include "lib/store/store.hpp"

namespace harness::daemon {
namespace {

// How often a daemon on a shared store looks for events of watched leaves run elsewhere.
constexpr std::int64_t k_feed_period_ms = 250;

Result<gid_t> group_id(const std::string& name) {
  group gr{};
  group* found = nullptr;
  std::vector<char> buf(16384);
  if (getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found)
    return make_error(ErrorCode::invalid, "[auth] socket_group '" + name +
                                              "' is not a group on this host (groupadd it)");
  return found->gr_gid;
}

http::ServerOptions server_options(const config::Config& cfg) {
  http::ServerOptions o;
  o.max_body_bytes = static_cast<size_t>(cfg.max_body_bytes);
  o.request_timeout_ms = cfg.request_timeout_ms;
  o.max_buffered_bytes = static_cast<size_t>(cfg.max_buffered_bytes);
  o.max_connections = static_cast<size_t>(cfg.max_connections);
  o.max_stream_buffer_bytes = static_cast<size_t>(cfg.max_follower_buffer);
  if (cfg.max_buffered_bytes < cfg.max_body_bytes)
    spdlog::warn(
        "max_buffered_bytes ({}) is below max_body_bytes ({}): a body near the cap is "
        "dropped with 503 while it is received",
        cfg.max_buffered_bytes, cfg.max_body_bytes);
  return o;
}

// main() raised the soft open-files limit to the hard one; say so when max_connections cannot
// fit under it (sockets plus the store, sandboxes and children).
void check_fd_limit(std::uint64_t connections) {
  constexpr std::uint64_t k_reserve = 1024;
  auto lim = fd_limit();
  if (lim && lim->soft < connections + k_reserve)
    spdlog::warn("open files limit is {} (hard {}); max_connections {} needs about {}", lim->soft,
                 lim->hard, connections, connections + k_reserve);
}

Result<std::pair<std::string, int>> split_host_port(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size())
    return make_error(ErrorCode::invalid, "listen address '" + listen + "' must be HOST:PORT");
  int port = std::atoi(listen.c_str() + colon + 1);
  if (port <= 0 || port > 65535)
    return make_error(ErrorCode::invalid, "listen address '" + listen + "' has a bad port");
  return std::make_pair(listen.substr(0, colon), port);
}
}  // namespace

struct Daemon::Parts {
  model::Redactor redactor;  // built once; the Journal and the Api hold pointers to it
  std::unique_ptr<Systemd> systemd;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<StorePodLeases> pod_leases;  // shared stores: kubectl pod leases in the store
  std::unique_ptr<agent::Journal> journal;
  std::unique_ptr<http::HttpClient> http_client;
  std::unique_ptr<model_api::ModelClient> models;
  std::unique_ptr<agent::Notifier> notifier;  // after http_client: destroyed before it
  agent::PrestartBudget prestarts;            // before leaves: outlives the runners
  std::unique_ptr<agent::LeafManager> leaves;
  Watchers watchers;
  SystemClock clock;
  std::unique_ptr<ScheduleRunner> scheduler;
  std::unique_ptr<RemoteFeed> feed;  // shared stores: events of leaves run elsewhere
  std::unique_ptr<Api> api;
  std::unique_ptr<http::Server> server;
  std::vector<loop::HandlePtr<uv_signal_t>> signals;
  bool ready = false;
  bool stopping = false;
  bool reloading = false;  // a SIGHUP's config is being read; another one waits for it
  bool reload_again = false;
  bool closed = false;           // the shutdown got as far as closing the store: a clean stop
  bool recovery_failed = false;  // then exit 1, so a supervisor restarts the daemon
};

Daemon::Daemon(config::Config cfg, ConfigLoader loader)
    : m_cfg(std::make_shared<const config::Config>(std::move(cfg))), m_loader(std::move(loader)) {}

Daemon::~Daemon() = default;

int Daemon::run() {
  ::signal(SIGPIPE, SIG_IGN);
  uv_loop_init(&m_loop);
  m_parts = std::make_unique<Parts>();
  Parts& p = *m_parts;
  p.systemd = std::make_unique<Systemd>(&m_loop);

  auto fail = [&](const std::string& why) {
    spdlog::error("{}", why);
    p.server.reset();
    p.store.reset();
    uv_run(&m_loop, UV_RUN_DEFAULT);
    uv_loop_close(&m_loop);
    return 1;
  };

  if (Status s = make_dirs(m_cfg->state_dir + "/leaves", 0750); !s)
    return fail("state dir: " + s.error().message);
  // Before anything else touches the state dir, the socket or the store.
  auto lock = StateLock::acquire(m_cfg->state_dir);
  if (!lock) return fail(lock.error().message);
  auto built = agent::build_redactor(*m_cfg, config::Environment::from_process());
  if (!built) return fail("[redaction]: " + built.error().message);
  for (const auto& w : built->warnings) spdlog::warn("redaction: {}", w);
  p.redactor = std::move(built->redactor);
  // The store URL may carry a password: it is never logged.
  std::string store_name = model::url_without_password(m_cfg->store);
  store::StoreOptions store_opts;
  store_opts.connect_timeout_ms = m_cfg->redis_connect_timeout_ms;
  store_opts.command_timeout_ms = m_cfg->redis_command_timeout_ms;
  auto st = store::open_store(&m_loop, m_cfg->store, store_opts);
  if (!st) return fail("store " + store_name + ": " + p.redactor.redacted(st.error().message));
  p.store = std::move(*st);
  if (p.store->shared()) {
    p.pod_leases = std::make_unique<StorePodLeases>(&m_loop, *p.store, m_cfg->lease_ttl_ms);
    sandbox::set_process_pod_leases(p.pod_leases.get());
  }
  p.journal = std::make_unique<agent::Journal>(*p.store, &p.redactor);
  p.journal->set_listener(
      [&p](const model::Leaf& l, const std::vector<model::Event>& e) { p.watchers.publish(l, e); });
  p.http_client = std::make_unique<http::HttpClient>(&m_loop);
  p.models = std::make_unique<model_api::ModelClient>(&m_loop, *p.http_client);
  p.notifier = std::make_unique<agent::Notifier>(&m_loop, *p.http_client, *p.journal, m_cfg);
  agent::AgentContext ctx{&m_loop, m_cfg, p.journal.get(), p.models.get(), nullptr};
  ctx.notifier = p.notifier.get();
  ctx.prestarts = &p.prestarts;
  p.leaves = std::make_unique<agent::LeafManager>(ctx);
  auto configured = config_schedules(*m_cfg, p.clock.now_ms());
  if (!configured) return fail(configured.error().message);
  if (!configured->empty() && !p.store->schedules())
    return fail("store " + store_name + " keeps no schedules; remove [schedules.*] or use sqlite:");
  // Services as of now: a firing sees the config in force when it fires (a reload replaces it).
  auto services = [this, &p] {
    Services s{&m_loop,        m_cfg,       p.store.get(), p.journal.get(),
               p.leaves.get(), &p.watchers, &p.ready,      &p.redactor};
    s.clock = &p.clock;
    s.scheduler = p.scheduler.get();
    return s;
  };
  ScheduleRunnerOptions sched_opts;
  sched_opts.grace_ms = m_cfg->schedule_grace_ms;
  p.scheduler = std::make_unique<ScheduleRunner>(
      &m_loop, *p.store, p.clock,
      [services](const store::ScheduleRecord& rec, TimeMs scheduled,
                 std::function<void(Result<std::string>)> done) {
        fire_schedule(services(), rec, scheduled, std::move(done));
      },
      sched_opts);
  if (p.store->shared()) {
    p.feed = std::make_unique<RemoteFeed>(&m_loop, *p.store, p.watchers, k_feed_period_ms);
    p.feed->start();
  }
  p.api = std::make_unique<Api>(services());

  p.server = std::make_unique<http::Server>(
      &m_loop, server_options(*m_cfg),
      [&p](http::Request&& req, std::shared_ptr<http::Responder> res) {
        p.api->handle(std::move(req), std::move(res));
      });
  p.server->set_head_check([&p](const http::Request& head) { return p.api->check_head(head); });
  check_fd_limit(static_cast<std::uint64_t>(m_cfg->max_connections));
  if (Status s = make_dirs(m_cfg->socket.substr(0, m_cfg->socket.rfind('/')), 0755); !s)
    return fail("socket dir: " + s.error().message);
  gid_t group = static_cast<gid_t>(-1);
  if (!m_cfg->auth.socket_group.empty()) {
    auto g = group_id(m_cfg->auth.socket_group);
    if (!g) return fail(g.error().message);
    group = *g;
  }
  if (Status s = p.server->listen_unix(m_cfg->socket, 0660, group); !s)
    return fail(s.error().message);
  spdlog::info("listening on {}", m_cfg->socket);
  if (!m_cfg->listen.empty()) {
    auto hp = split_host_port(m_cfg->listen);
    if (!hp) return fail(hp.error().message);
    if (Status s = p.server->listen_tcp(hp->first, hp->second); !s) return fail(s.error().message);
    spdlog::info("listening on tcp {}:{}", hp->first, p.server->tcp_port());
  }

  for (int signum : {SIGTERM, SIGINT, SIGHUP}) {
    loop::HandlePtr<uv_signal_t> h(new uv_signal_t);
    uv_signal_init(&m_loop, h.get());
    h->data = this;
    uv_signal_start(
        h.get(),
        [](uv_signal_t* sig, int signum) noexcept {
          auto* self = static_cast<Daemon*>(sig->data);
          if (!self) return;
          if (signum == SIGHUP) return self->reload();
          self->shutdown();
        },
        signum);
    p.signals.push_back(std::move(h));
  }

  // Taken (and removed) only now that start-up can no longer fail: a crash from here on must
  // read as one to the next start.
  bool was_clean = take_clean_shutdown_marker(m_cfg->state_dir);
  auto how = was_clean ? agent::StartKind::after_shutdown : agent::StartKind::after_crash;
  p.leaves->recover(how, [this, &p, store_name, configured](Status s) mutable {
    if (!s) {
      spdlog::error("recovery failed: {}", s.error().message);
      p.recovery_failed = true;
      return shutdown();
    }
    if (p.store->schedules()) {
      sync_config_schedules(*p.store->schedules(), std::move(*configured), [&p](Status s) {
        if (!s) spdlog::error("config schedules: {}", s.error().message);
        if (!p.stopping) p.scheduler->start();
      });
    }
    p.ready = true;
    spdlog::info("harnessd {} ready (store {}, max_running {})", HARNESS_VERSION, store_name,
                 m_cfg->max_running);
    p.systemd->ready("serving on " + m_cfg->socket);
  });

  uv_run(&m_loop, UV_RUN_DEFAULT);
  // A stop before recovery ran must not turn an earlier crash into a clean shutdown.
  bool clean = p.closed && (p.ready || was_clean);
  bool recovery_failed = p.recovery_failed;
  sandbox::set_process_pod_leases(nullptr);
  m_parts.reset();
  uv_run(&m_loop, UV_RUN_DEFAULT);  // let close callbacks of released handles run
  int rc = uv_loop_close(&m_loop);
  if (rc != 0) spdlog::warn("event loop closed with handles still open");
  if (clean) {
    if (Status s = write_clean_shutdown_marker(m_cfg->state_dir); !s)
      spdlog::warn(
          "cannot record the clean shutdown ({}); the next start recovers as after a "
          "crash",
          s.error().message);
  }
  return recovery_failed ? 1 : 0;
}

// SIGTERM/SIGINT: stop accepting, let the leaves finish the model or tool call in flight (up to
// shutdown_grace) so its result is persisted, then close the model client and the store. A
// second signal stops the leaves where they are.
void Daemon::shutdown() {
  Parts& p = *m_parts;
  if (p.stopping) {
    spdlog::info("second signal: stopping the leaves where they are");
    p.leaves->shutdown();
    return;
  }
  p.stopping = true;
  spdlog::info("shutting down: leaves continue after the next start");
  p.scheduler->stop();  // no new firings; one claimed but not submitted is resubmitted later
  p.systemd->stopping();
  auto pending = std::make_shared<int>(2);
  auto then = [this, pending] {
    if (--*pending == 0) close_services();
  };
  p.server->close(then);
  p.leaves->drain(m_cfg->shutdown_grace_ms, then);
}

void Daemon::close_services() {
  Parts& p = *m_parts;
  p.signals.clear();
  if (p.feed) p.feed->stop();
  p.models->close();
  p.notifier->close();
  p.http_client->close();
  p.store->close([&p] { p.closed = true; });
}

// SIGHUP: read the config off the loop; apply it on the loop, or keep the old one if it has
// errors. A SIGHUP during a reload reads the file once more afterwards.
void Daemon::reload() {
  Parts& p = *m_parts;
  if (p.stopping || !m_loader) return;
  if (p.reloading) {
    p.reload_again = true;
    return;
  }
  p.reloading = true;
  p.systemd->reloading();
  spdlog::info("SIGHUP: reloading the config");
  // The config and its [schedules.*] as records (reads prompt and zone files): off the loop.
  struct Read {
    Result<config::Config> cfg = make_error(ErrorCode::internal, "");
    Result<std::vector<store::ScheduleRecord>> schedules = std::vector<store::ScheduleRecord>{};
  };
  auto read = std::make_shared<Read>();
  loop::run_blocking(
      &m_loop,
      [read, load = m_loader, now = p.clock.now_ms()] {
        read->cfg = load();
        if (read->cfg) read->schedules = config_schedules(*read->cfg, now);
      },
      [this, read] {
        Parts& p = *m_parts;
        p.reloading = false;
        if (p.stopping) return;
        apply_reload(std::move(read->cfg), std::move(read->schedules));
        if (std::exchange(p.reload_again, false)) reload();
      });
}

void Daemon::apply_reload(Result<config::Config> loaded,
                          Result<std::vector<store::ScheduleRecord>> schedules) {
  Parts& p = *m_parts;
  auto refuse = [&](const std::string& why) {
    spdlog::error("SIGHUP: the config was not reloaded, the old one stays: {}", why);
    p.systemd->ready("reload refused: " + why);
  };
  if (!loaded) return refuse(loaded.error().message);
  if (!schedules) return refuse(schedules.error().message);
  auto built = agent::build_redactor(*loaded, config::Environment::from_process());
  if (!built) return refuse("[redaction]: " + built.error().message);
  ReloadPlan plan = plan_reload(*m_cfg, std::move(*loaded));
  for (const auto& key : plan.need_restart)
    spdlog::warn("SIGHUP: {} changed; it takes effect at the next restart", key);
  for (const auto& w : built->warnings) spdlog::warn("redaction: {}", w);
  p.redactor = std::move(built->redactor);
  m_cfg = std::move(plan.next);
  spdlog::set_level(spdlog::level::from_str(m_cfg->log_level));
  p.api->set_config(m_cfg);
  p.leaves->set_config(m_cfg);
  p.notifier->set_config(m_cfg);
  // [schedules.*] added, changed or removed take effect at the scheduler's next pass.
  if (p.store->schedules())
    sync_config_schedules(*p.store->schedules(), std::move(*schedules), [](Status s) {
      if (!s) spdlog::error("SIGHUP: config schedules: {}", s.error().message);
    });
  spdlog::info("SIGHUP: config reloaded{}{} ({} models, {} sandboxes, {} policies, max_running {})",
               m_cfg->source.empty() ? "" : " from ", m_cfg->source, m_cfg->models.size(),
               m_cfg->sandboxes.size(), m_cfg->policies.size(), m_cfg->max_running);
  std::string status = "serving on " + m_cfg->socket;
  if (!plan.need_restart.empty()) {
    std::string keys;
    for (const auto& k : plan.need_restart) keys += (keys.empty() ? "" : ", ") + k;
    status += "; restart to apply " + keys;
  }
  p.systemd->ready(status);
}

}  // namespace harness::daemon
