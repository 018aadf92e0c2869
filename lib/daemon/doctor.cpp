// Loop thread only. The checks run concurrently; each fills its own slot of the report, and the
// last one to finish calls `done`. Sandbox channels and the store timer are owned by the shared
// Run and freed from loop::defer, never inside their own callback's stack.
#include "lib/daemon/doctor.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "lib/base/fd_limit.hpp"
#include "lib/base/ids.hpp"
#include "lib/daemon/doctor_durability.hpp"
#include "lib/loop/defer.hpp"
#include "lib/loop/timer.hpp"
#include "lib/model/redactor.hpp"
#include "lib/model_api/replay.hpp"
#include "lib/sandbox/channel.hpp"
#include "lib/sandbox/driver.hpp"

namespace harness::daemon {
namespace {

using Json = nlohmann::json;

constexpr std::int64_t k_sandbox_timeout_ms = 10'000;
constexpr std::uint64_t k_store_timeout_ms = 5'000;
// Descriptors of a running leaf: its model call's connection and its sandbox shell's three pipes.
// The reserve covers the listeners, the store, the loop's own handles and a few clients.
constexpr std::uint64_t k_fds_per_leaf = 4;
constexpr std::uint64_t k_fds_reserved = 64;

Json check(const char* kind, const std::string& name, bool ok, std::string detail,
           std::string fix = {}) {
  return Json{{"kind", kind},
              {"name", name},
              {"ok", ok},
              {"detail", std::move(detail)},
              {"fix", fix.empty() ? Json(nullptr) : Json(std::move(fix))}};
}

// What to do about a sandbox that did not start, from the words of its error.
std::string sandbox_fix(const model::SandboxProfile& p, const std::string& why) {
  auto has = [&](const char* s) { return why.find(s) != std::string::npos; };
  std::string section = "[sandboxes." + p.name + "]";
  if (has("bwrap not found")) return "apt-get install bubblewrap, or set binary in " + section;
  if (has("not supported")) return "set driver in " + section + " to a supported driver";
  if (has("image not known") || has("No such image") || has("manifest unknown"))
    return p.driver + " pull IMAGE (or " + p.driver + " import) for the image in " + section;
  if (has("No such container") || has("no such container"))
    return "start the container named in " + section + ", or set image to create one per leaf";
  if (has("uid map") || has("namespace") || has("Operation not permitted"))
    return "allow user namespaces (sysctl kernel.unprivileged_userns_clone=1 and "
           "user.max_user_namespaces > 0) or run harnessd as root";
  if (has("seccomp")) return "install libseccomp and check that the kernel supports seccomp";
  return "check " + section + " and the daemon log";
}

std::string limits_summary(const model::SandboxProfile& p) {
  std::string s = p.network ? "network on" : "network off";
  if (p.pids_max > 0) s += ", pids " + std::to_string(p.pids_max);
  if (p.memory_mb > 0) s += ", memory " + std::to_string(p.memory_mb) + " MiB";
  if (p.file_size_mb > 0) s += ", files " + std::to_string(p.file_size_mb) + " MiB";
  if (p.cpu_seconds > 0) s += ", cpu " + std::to_string(p.cpu_seconds) + " s";
  return s;
}

bool valid_base_url(const std::string& url) {
  CURLU* u = curl_url();
  bool ok = u && curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK;
  char* scheme = nullptr;
  if (ok && curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK) {
    ok = std::string(scheme) == "http" || std::string(scheme) == "https";
    curl_free(scheme);
  }
  curl_url_cleanup(u);
  return ok;
}

Json model_check(const model::ModelProfile& p) {
  std::string section = "[models." + p.name + "]";
  if (p.provider == "replay") {
    if (p.file.empty())
      return check("model", p.name, false, "replay profile without a file",
                   "set file in " + section);
    auto r = model_api::ReplayModel::load(p.file);
    if (!r) return check("model", p.name, false, r.error().message, "fix file in " + section);
    return check("model", p.name, true,
                 "replay: " + p.file + " (" + std::to_string(r->size()) + " responses)");
  }
  if (p.provider != "anthropic" && p.provider != "openai")
    return check("model", p.name, false, "unknown provider '" + p.provider + "'",
                 "set provider in " + section + " to anthropic, openai or replay");
  if (!p.base_url.empty() && !valid_base_url(p.base_url))
    return check("model", p.name, false, "base_url '" + p.base_url + "' is not an http(s) URL",
                 "fix base_url in " + section);
  std::string where = p.provider + " " + p.model + (p.base_url.empty() ? "" : " at " + p.base_url);
  if (p.api_key_env.empty()) {
    if (p.provider == "anthropic")
      return check("model", p.name, false, where + ": no credential configured",
                   "set api_key_env in " + section + " to the variable holding the key");
    return check("model", p.name, true, where + ": no credential (keyless server)");
  }
  const char* v = std::getenv(p.api_key_env.c_str());
  if (!v || !*v)
    return check("model", p.name, false,
                 where + ": credential variable " + p.api_key_env + " is not set or empty",
                 "export " + p.api_key_env +
                     " in harnessd's environment (under systemd: /etc/harness/harnessd.env, or "
                     "LoadCredential=" +
                     p.api_key_env + ":FILE) and restart it");
  return check("model", p.name, true, where + ", credential from $" + p.api_key_env + " is set");
}

std::string lowercase(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

Json fd_check(const config::Config& cfg) {
  auto lim = fd_limit();
  if (!lim) return check("limits", "open_files", false, lim.error().message);
  std::uint64_t leaves =
      lim->soft > k_fds_reserved ? (lim->soft - k_fds_reserved) / k_fds_per_leaf : 0;
  std::string detail = "soft limit " + std::to_string(lim->soft) + " (hard " +
                       std::to_string(lim->hard) + "): room for about " + std::to_string(leaves) +
                       " leaves in flight (max_running " + std::to_string(cfg.max_running) + ")";
  if (leaves >= static_cast<std::uint64_t>(cfg.max_running))
    return check("limits", "open_files", true, detail);
  return check("limits", "open_files", false, detail,
               "raise LimitNOFILE= of harnessd.service (or ulimit -Hn before starting harnessd) "
               "to at least " +
                   std::to_string(k_fds_reserved + k_fds_per_leaf * cfg.max_running) +
                   ", or lower max_running");
}

std::string make_workspace() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "harness-doctor-XXXXXX").string();
  return mkdtemp(tmpl.data()) ? tmpl : std::string();
}

// One doctor run: the report under construction and what keeps its sandboxes alive.
struct Run : std::enable_shared_from_this<Run> {
  uv_loop_t* loop;
  std::function<void(Json)> done;
  Json daemon;
  std::vector<Json> slots;
  int pending = 0;
  std::vector<std::unique_ptr<sandbox::Driver>> drivers;
  std::vector<std::unique_ptr<sandbox::Channel>> channels;
  std::vector<std::string> workspaces;
  std::unique_ptr<loop::Timer> store_timer;
  std::string run_id = lowercase(new_id(""));

  // The sandbox's stand-in leaf id: unique per run, so two doctors (or a doctor and a leftover
  // container of an earlier one) never share a container, cgroup or lease.
  std::string leaf_id(const std::string& profile) const {
    return "doctor-" + profile + "-" + run_id;
  }

  void finish_one() {
    if (--pending > 0) return;
    bool ok = true;
    for (const auto& c : slots) ok = ok && c["ok"].get<bool>();
    Json report{{"daemon", daemon}, {"checks", Json(slots)}, {"ok", ok}};
    loop::defer(loop, [self = shared_from_this()] {
      self->channels.clear();
      self->drivers.clear();
      self->store_timer.reset();
      std::error_code ec;
      for (const auto& w : self->workspaces) std::filesystem::remove_all(w, ec);
    });
    auto cb = std::move(done);
    cb(std::move(report));
  }
};

void check_store(const std::shared_ptr<Run>& run, store::Store& store, std::size_t slot,
                 const std::string& url) {
  auto answered = std::make_shared<bool>(false);
  auto settle = [run, slot, answered](Json c) {
    if (*answered) return;
    *answered = true;
    run->store_timer->stop();
    run->slots[slot] = std::move(c);
    run->finish_one();
  };
  run->store_timer = std::make_unique<loop::Timer>(run->loop);
  run->store_timer->start(k_store_timeout_ms, [settle] {
    settle(check("store", "store", false, "no answer to a ping within 5 s",
                 "check the store's disk or Redis server, then the daemon log"));
  });
  store.ping([settle, url](Result<bool> r) {
    if (r && *r) return settle(check("store", "store", true, url + " answers"));
    settle(check("store", "store", false, r ? "ping failed" : r.error().message,
                 "check the store's disk or Redis server, then the daemon log"));
  });
}

// Redis: what an acknowledged write survives (doctor_durability.hpp). The store's command
// timeout bounds it.
void check_durability(const std::shared_ptr<Run>& run, store::Store& store, std::size_t slot) {
  store.durability([run, slot](Result<store::Durability> r) {
    run->slots[slot] = r ? durability_check(*r)
                         : check("store", "persistence", false, r.error().message,
                                 "check the Redis server, then the daemon log");
    run->finish_one();
  });
}

void report_sandbox(const std::shared_ptr<Run>& run, const model::SandboxProfile& p,
                    std::size_t slot, const Result<sandbox::ExecResult>& r, std::int64_t ms,
                    const sandbox::Driver& driver) {
  // "channel harness-exec (copied in at /tmp/.harness-exec-…)", "channel sh (sh: <why>)".
  std::string channel = sandbox::protocol_name(driver.channel_protocol());
  std::string note = driver.channel_note();
  if (note.starts_with("sh: ")) note.erase(0, 4);
  if (note.starts_with("harness-exec ")) note.erase(0, 13);
  if (!note.empty()) channel += " (" + note + ")";
  if (!r) {
    run->slots[slot] =
        check("sandbox", p.name, false, r.error().message, sandbox_fix(p, r.error().message));
  } else if (r->timed_out || r->exit_code != 0 || r->out != "ok\n") {
    std::string why = r->timed_out ? "`echo ok` timed out"
                                   : "`echo ok` answered exit " + std::to_string(r->exit_code) +
                                         ": " + r->out + r->err;
    run->slots[slot] = check("sandbox", p.name, false, why, sandbox_fix(p, why));
  } else {
    run->slots[slot] = check("sandbox", p.name, true,
                             p.driver + ": started, `echo ok` answered in " + std::to_string(ms) +
                                 " ms (" + limits_summary(p) + "; channel " + channel + ")");
  }
}

// The runner's lifecycle, for real: make_driver -> prepare -> shell_argv -> Channel -> exec ->
// finish (which removes a per-leaf container or returns a lease).
void check_sandbox(const std::shared_ptr<Run>& run, const model::SandboxProfile& p,
                   std::size_t slot) {
  auto fail = [run, p, slot](const std::string& why) {
    run->slots[slot] = check("sandbox", p.name, false, why, sandbox_fix(p, why));
    run->finish_one();
  };
  auto drv = sandbox::make_driver(p);
  if (!drv) return fail(drv.error().message);
  std::string ws = make_workspace();
  if (ws.empty()) return fail("cannot create a scratch workspace in the temp directory");
  run->workspaces.push_back(ws);
  sandbox::Driver* driver = drv->get();
  run->drivers.push_back(std::move(*drv));
  sandbox::LeafContext ctx{run->leaf_id(p.name), ws};
  auto started = std::chrono::steady_clock::now();
  driver->prepare(run->loop, ctx, [run, p, slot, ctx, driver, started, fail](Status st) {
    if (!st) return driver->finish(run->loop, [fail, st] { fail(st.error().message); });
    auto argv = driver->shell_argv(ctx);
    if (!argv) return driver->finish(run->loop, [fail, e = argv.error()] { fail(e.message); });
    auto limits = sandbox::channel_limits(p, ctx);
    limits.kill_grace_ms = 500;
    limits.backstop_grace_ms = 2'000;
    run->channels.push_back(std::make_unique<sandbox::Channel>(
        run->loop, std::move(*argv), driver->launch_env(p), limits, driver->channel_protocol(),
        driver->inherited_fds(ctx)));
    sandbox::Channel* ch = run->channels.back().get();
    sandbox::ExecRequest req;
    req.command = "echo ok";
    req.timeout_ms = k_sandbox_timeout_ms;
    ch->exec(std::move(req), [run, p, slot, driver, ch, started](Result<sandbox::ExecResult> r) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
      report_sandbox(run, p, slot, r, ms, *driver);
      // Not inside the channel's own callback: close it and finish the driver on the next tick.
      loop::defer(run->loop, [run, driver, ch] {
        ch->close();
        driver->finish(run->loop, [run] { run->finish_one(); });
      });
    });
  });
}

}  // namespace

void run_doctor(uv_loop_t* loop, const config::Config& cfg, store::Store& store,
                std::function<void(Json)> done) {
  auto run = std::make_shared<Run>();
  run->loop = loop;
  run->done = std::move(done);
  std::string store_url = model::url_without_password(cfg.store);
  run->daemon =
      Json{{"version", HARNESS_VERSION}, {"state_dir", cfg.state_dir}, {"store", store_url}};
  bool shared = store.shared();  // a network store: its server's persistence is checked too
  run->slots.resize(2 + (shared ? 1 : 0) + cfg.sandboxes.size() + cfg.models.size());
  // +1 keeps the run open until every check has been started, whatever finishes synchronously.
  run->pending = static_cast<int>(run->slots.size()) + 1;
  std::size_t slot = 0;
  check_store(run, store, slot++, store_url);
  if (shared) check_durability(run, store, slot++);
  run->slots[slot++] = fd_check(cfg);
  run->finish_one();
  for (const auto& [name, profile] : cfg.sandboxes) check_sandbox(run, profile, slot++);
  for (const auto& [name, profile] : cfg.models) {
    run->slots[slot++] = model_check(profile);
    run->finish_one();
  }
  run->finish_one();
}

}  // namespace harness::daemon
