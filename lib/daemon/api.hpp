#pragma once
// The HTTP API of SPEC §8 / docs/api.md: one explicit route table and a handler per route.
// Handlers answer asynchronously once the store has answered. Loop thread only.

#include <uv.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/agent/leaf_manager.hpp"
#include "lib/config/config.hpp"
#include "lib/daemon/watchers.hpp"
#include "lib/http/server.hpp"
#include "lib/store/store.hpp"

namespace harness::daemon {

// What the handlers use; owned by the Daemon and outliving the Api.
struct Services {
  uv_loop_t* loop = nullptr;
  const config::Config* config = nullptr;
  store::Store* store = nullptr;
  agent::Journal* journal = nullptr;
  agent::LeafManager* leaves = nullptr;
  Watchers* watchers = nullptr;
  const bool* ready = nullptr;  // recovery done
};

class Api {
 public:
  explicit Api(Services s) : m_s(s) {}
  // Authenticates, routes and answers one request.
  void handle(http::Request&& req, std::shared_ptr<http::Responder> res);

 private:
  using Res = std::shared_ptr<http::Responder>;
  using Params = std::vector<std::string>;
  using Fn = void (Api::*)(const http::Request&, const Res&, const Params&);
  struct Route {
    std::string_view method;
    std::string_view pattern;  // "{}" matches one path segment
    Fn fn;
  };
  static const std::vector<Route>& routes();

  bool authorized(const http::Request& req) const;

  void healthz(const http::Request&, const Res&, const Params&);
  void readyz(const http::Request&, const Res&, const Params&);
  void version(const http::Request&, const Res&, const Params&);
  void submit(const http::Request&, const Res&, const Params&);
  void resume(const http::Request&, const Res&, const Params&);
  void list_leaves(const http::Request&, const Res&, const Params&);
  void get_leaf(const http::Request&, const Res&, const Params&);
  void events(const http::Request&, const Res&, const Params&);
  void wait(const http::Request&, const Res&, const Params&);
  void cancel(const http::Request&, const Res&, const Params&);
  void get_session(const http::Request&, const Res&, const Params&);

  void submit_plan(const http::Request& req, const Res& res, const std::string& session_path);
  void follow(const model::Leaf& leaf, std::int64_t after, const Res& res);

  Services m_s;
};

}  // namespace harness::daemon
