#pragma once
// The HTTP API of SPEC §8 / docs/api.md: one explicit route table and a handler per route.
// Handlers answer asynchronously once the store has answered. Loop thread only.

#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/agent/leaf_manager.hpp"
#include "lib/base/clock.hpp"
#include "lib/config/config.hpp"
#include "lib/daemon/identity.hpp"
#include "lib/daemon/watchers.hpp"
#include "lib/http/server.hpp"
#include "lib/model/redactor.hpp"
#include "lib/store/schedule_store.hpp"
#include "lib/store/store.hpp"

namespace harness::daemon {

class ScheduleRunner;

// What the handlers use; owned by the Daemon and outliving the Api.
struct Services {
  uv_loop_t* loop = nullptr;
  config::ConfigPtr config;  // replaced by a reload (set_config)
  store::Store* store = nullptr;
  agent::Journal* journal = nullptr;
  agent::LeafManager* leaves = nullptr;
  Watchers* watchers = nullptr;
  const bool* ready = nullptr;                // recovery done
  const model::Redactor* redactor = nullptr;  // applied to what a submit writes
  ScheduleRunner* scheduler = nullptr;        // null: the store keeps no schedules
  const Clock* clock = nullptr;               // the scheduler's clock
};

class Api {
 public:
  explicit Api(Services s) : m_s(s) {}
  // Authenticates, routes and answers one request.
  void handle(http::Request&& req, std::shared_ptr<http::Responder> res);
  // The server's head check: routes and authenticates a request from its head alone, so an
  // unknown route (404), a wrong method (405 with Allow), a missing or bad bearer token (401) or
  // a missing role (403) is answered before any body is read. nullopt lets it through.
  std::optional<http::EarlyAnswer> check_head(const http::Request& head) const;
  // A reload: requests from now on see `config` (auth, models, policies, limits).
  void set_config(config::ConfigPtr config) { m_s.config = std::move(config); }

 private:
  using Res = std::shared_ptr<http::Responder>;
  using Params = std::vector<std::string>;
  using Fn = void (Api::*)(const http::Request&, const Res&, const Params&, const Caller&);
  // The role a route needs; `any` = any role at all, `none` = open (health checks). Reading a
  // leaf also needs the right to read that leaf (access.hpp), checked by the handler.
  enum class Need { none, any, submit, approve, admin, metrics };
  struct Route {
    std::string_view method;
    std::string_view pattern;  // "{}" matches one path segment
    Need need;
    Fn fn;
  };
  static const std::vector<Route>& routes();
  // The route for the request's method and path, with its path parameters; when none matches,
  // null and `allow` lists the methods the path does have ("" = unknown path).
  struct Lookup {
    const Route* route = nullptr;
    Params params;
    std::string allow;
  };
  static Lookup find_route(const http::Request& req);
  // The refusal for a request no route takes: 405 with Allow, or 404.
  static http::EarlyAnswer no_route(const http::Request& req, const Lookup& found);
  // 401/403 with a message naming what is missing, or ok.
  static Status check_access(const Caller& caller, Need need);

  void healthz(const http::Request&, const Res&, const Params&, const Caller&);
  void readyz(const http::Request&, const Res&, const Params&, const Caller&);
  void version(const http::Request&, const Res&, const Params&, const Caller&);
  void submit(const http::Request&, const Res&, const Params&, const Caller&);
  void resume(const http::Request&, const Res&, const Params&, const Caller&);
  void fork(const http::Request&, const Res&, const Params&, const Caller&);  // fork_routes.cpp
  void list_leaves(const http::Request&, const Res&, const Params&, const Caller&);
  void get_leaf(const http::Request&, const Res&, const Params&, const Caller&);
  void events(const http::Request&, const Res&, const Params&, const Caller&);
  void wait(const http::Request&, const Res&, const Params&, const Caller&);
  void cancel(const http::Request&, const Res&, const Params&, const Caller&);
  void get_session(const http::Request&, const Res&, const Params&, const Caller&);

  void doctor(const http::Request&, const Res&, const Params&, const Caller&);
  void metrics(const http::Request&, const Res&, const Params&, const Caller&);  // metrics_route
  void approvals(const http::Request&, const Res&, const Params&, const Caller&);
  void approve(const http::Request&, const Res&, const Params&, const Caller&);
  void reject(const http::Request&, const Res&, const Params&, const Caller&);

  // Schedules (schedule_routes.cpp).
  void create_schedule(const http::Request&, const Res&, const Params&, const Caller&);
  void list_schedules(const http::Request&, const Res&, const Params&, const Caller&);
  void get_schedule(const http::Request&, const Res&, const Params&, const Caller&);
  void delete_schedule(const http::Request&, const Res&, const Params&, const Caller&);
  void pause_schedule(const http::Request&, const Res&, const Params&, const Caller&);
  void resume_schedule(const http::Request&, const Res&, const Params&, const Caller&);
  void run_schedule(const http::Request&, const Res&, const Params&, const Caller&);
  void set_paused(const Res& res, const std::string& name, bool paused, const Caller& caller);
  // Reads the schedule and calls `then` with it if `caller` may change it (owner or admin).
  void with_own_schedule(const std::string& name, const Res& res, const Caller& caller,
                         std::function<void(store::ScheduleRecord)> then);

  // A fork's "seq" (none: the last point where no tool call waits; fork_routes.hpp).
  struct ForkAt {
    std::optional<std::int64_t> seq;
  };
  // Submit, resume (session_path set) and fork (`fork` set too).
  void submit_plan(const http::Request& req, const Res& res, const std::string& session_path,
                   const Caller& caller, std::optional<ForkAt> fork = std::nullopt);
  void verdict(const http::Request& req, const Res& res, const std::string& leaf_id, bool approve,
               const Caller& caller);
  void follow(const model::Leaf& leaf, std::int64_t after, const Res& res);
  void wait_for(const std::string& leaf_id, std::int64_t timeout_s, const Res& res);
  // Reads the leaf and calls `then` with it if `caller` may read it; else answers the error.
  void with_readable_leaf(const std::string& id, const Res& res, const Caller& caller,
                          std::function<void(model::Leaf)> then);

  Services m_s;
};

}  // namespace harness::daemon
