#include "lib/daemon/daemon.hpp"

#include <grp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <spdlog/spdlog.h>

#include "lib/agent/journal.hpp"
#include "lib/agent/leaf_manager.hpp"
#include "lib/base/fs.hpp"
#include "lib/daemon/api.hpp"
#include "lib/daemon/watchers.hpp"
#include "lib/http/client.hpp"
#include "lib/http/server.hpp"
#include "lib/loop/handle.hpp"
#include "lib/model_api/client.hpp"
#include "lib/store/store.hpp"

namespace harness::daemon {
namespace {
// systemd's readiness protocol without libsystemd: one datagram to $NOTIFY_SOCKET.
void sd_notify(const char* state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) return;
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string p(path);
  if (p[0] == '@') p[0] = '\0';  // abstract namespace
  std::memcpy(addr.sun_path, p.data(), std::min(p.size(), sizeof(addr.sun_path) - 1));
  ::sendto(fd, state, std::strlen(state), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
           static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + p.size()));
  ::close(fd);
}

Result<gid_t> group_id(const std::string& name) {
  group gr{};
  group* found = nullptr;
  std::vector<char> buf(16384);
  if (getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found)
    return make_error(ErrorCode::invalid, "[auth] socket_group '" + name +
                                              "' is not a group on this host (groupadd it)");
  return found->gr_gid;
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
  std::unique_ptr<store::Store> store;
  std::unique_ptr<agent::Journal> journal;
  std::unique_ptr<http::HttpClient> http_client;
  std::unique_ptr<model_api::ModelClient> models;
  std::unique_ptr<agent::LeafManager> leaves;
  Watchers watchers;
  std::unique_ptr<Api> api;
  std::unique_ptr<http::Server> server;
  std::vector<loop::HandlePtr<uv_signal_t>> signals;
  bool ready = false;
  bool stopping = false;
};

Daemon::Daemon(config::Config cfg) : m_cfg(std::move(cfg)) {}

Daemon::~Daemon() = default;

int Daemon::run() {
  ::signal(SIGPIPE, SIG_IGN);
  uv_loop_init(&m_loop);
  m_parts = std::make_unique<Parts>();
  Parts& p = *m_parts;

  auto fail = [&](const std::string& why) {
    spdlog::error("{}", why);
    p.server.reset();
    p.store.reset();
    uv_run(&m_loop, UV_RUN_DEFAULT);
    uv_loop_close(&m_loop);
    return 1;
  };

  if (Status s = make_dirs(m_cfg.state_dir + "/leaves", 0750); !s)
    return fail("state dir: " + s.error().message);
  store::StoreOptions store_opts;
  store_opts.connect_timeout_ms = m_cfg.redis_connect_timeout_ms;
  store_opts.command_timeout_ms = m_cfg.redis_command_timeout_ms;
  auto st = store::open_store(&m_loop, m_cfg.store, store_opts);
  if (!st) return fail("store " + store::redact_store_url(m_cfg.store) + ": " + st.error().message);
  p.store = std::move(*st);
  p.journal = std::make_unique<agent::Journal>(*p.store);
  p.journal->set_listener(
      [&p](const model::Leaf& l, const std::vector<model::Event>& e) { p.watchers.publish(l, e); });
  p.http_client = std::make_unique<http::HttpClient>(&m_loop);
  p.models = std::make_unique<model_api::ModelClient>(&m_loop, *p.http_client);
  agent::AgentContext ctx{&m_loop, &m_cfg, p.journal.get(), p.models.get()};
  p.leaves = std::make_unique<agent::LeafManager>(ctx);
  p.api = std::make_unique<Api>(Services{&m_loop, &m_cfg, p.store.get(), p.journal.get(),
                                         p.leaves.get(), &p.watchers, &p.ready});

  http::ServerOptions opts;
  opts.max_body_bytes = static_cast<size_t>(m_cfg.max_body_bytes);
  p.server = std::make_unique<http::Server>(
      &m_loop, opts, [&p](http::Request&& req, std::shared_ptr<http::Responder> res) {
        p.api->handle(std::move(req), std::move(res));
      });
  if (Status s = make_dirs(m_cfg.socket.substr(0, m_cfg.socket.rfind('/')), 0755); !s)
    return fail("socket dir: " + s.error().message);
  gid_t group = static_cast<gid_t>(-1);
  if (!m_cfg.auth.socket_group.empty()) {
    auto g = group_id(m_cfg.auth.socket_group);
    if (!g) return fail(g.error().message);
    group = *g;
  }
  if (Status s = p.server->listen_unix(m_cfg.socket, 0660, group); !s)
    return fail(s.error().message);
  spdlog::info("listening on {}", m_cfg.socket);
  if (!m_cfg.listen.empty()) {
    auto hp = split_host_port(m_cfg.listen);
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
          if (signum == SIGHUP) {
            spdlog::warn("SIGHUP: configuration reload is not supported yet; restart harnessd");
            return;
          }
          self->shutdown();
        },
        signum);
    p.signals.push_back(std::move(h));
  }

  p.leaves->recover([this, &p](Status s) {
    if (!s) {
      spdlog::error("recovery failed: {}", s.error().message);
      return shutdown();
    }
    p.ready = true;
    spdlog::info("harnessd {} ready (store {}, max_running {})", HARNESS_VERSION,
                 store::redact_store_url(m_cfg.store), m_cfg.max_running);
    sd_notify("READY=1");
  });

  uv_run(&m_loop, UV_RUN_DEFAULT);
  m_parts.reset();
  uv_run(&m_loop, UV_RUN_DEFAULT);  // let close callbacks of released handles run
  int rc = uv_loop_close(&m_loop);
  if (rc != 0) spdlog::warn("event loop closed with handles still open");
  return 0;
}

void Daemon::shutdown() {
  Parts& p = *m_parts;
  if (p.stopping) return;
  p.stopping = true;
  spdlog::info("shutting down: leaves continue after the next start");
  sd_notify("STOPPING=1");
  p.signals.clear();
  p.leaves->shutdown();
  p.server->close([this] {
    Parts& p = *m_parts;
    p.models->close();
    p.http_client->close();
    p.store->close([] {});
  });
}

}  // namespace harness::daemon
