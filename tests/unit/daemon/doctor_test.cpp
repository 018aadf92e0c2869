// run_doctor on a real loop with a real SQLite store and real bwrap sandboxes.
#include "lib/daemon/doctor.hpp"

#include <doctest/doctest.h>

#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "tests/unit/sandbox/sandbox_fixture.hpp"

namespace harness::daemon {
namespace {

using Json = nlohmann::json;

struct DoctorFixture {
  uv_loop_t loop{};
  std::string dir = sandbox::testing::make_temp_dir();
  config::Config cfg;
  std::unique_ptr<store::Store> store;

  DoctorFixture() {
    uv_loop_init(&loop);
    cfg.state_dir = dir;
    cfg.store = "sqlite:" + dir + "/harness.db";
    auto s = store::open_store(&loop, cfg.store);
    REQUIRE(s.has_value());
    store = std::move(*s);
  }
  ~DoctorFixture() {
    bool closed = false;
    store->close([&] { closed = true; });
    while (!closed) uv_run(&loop, UV_RUN_ONCE);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  Json run() {
    std::optional<Json> out;
    run_doctor(&loop, cfg, *store, [&](Json j) { out = std::move(j); });
    while (!out) uv_run(&loop, UV_RUN_ONCE);
    return *out;
  }
};

const Json& find(const Json& report, const std::string& kind, const std::string& name) {
  for (const auto& c : report["checks"])
    if (c["kind"] == kind && c["name"] == name) return c;
  FAIL("no check " << kind << "/" << name);
  static const Json none;
  return none;
}

TEST_CASE("doctor: a working sandbox is ready, a broken one and a missing replay file say why") {
  SKIP_WITHOUT_BWRAP();
  DoctorFixture f;
  model::SandboxProfile good;
  good.name = "default";
  model::SandboxProfile broken;
  broken.name = "broken";
  broken.binary = "/nonexistent";
  f.cfg.sandboxes = {{"default", good}, {"broken", broken}};
  model::ModelProfile replay;
  replay.name = "canned";
  replay.provider = "replay";
  replay.file = f.dir + "/missing.json";
  model::ModelProfile keyed;
  keyed.name = "claude";
  keyed.api_key_env = "HARNESS_DOCTOR_TEST_KEY";
  setenv("HARNESS_DOCTOR_TEST_KEY", "sk-secret-value-1234", 1);
  f.cfg.models = {{"canned", replay}, {"claude", keyed}};

  Json r = f.run();
  INFO(r.dump(2));
  CHECK(r["ok"] == false);
  CHECK(r["daemon"]["state_dir"] == f.dir);
  CHECK(r["checks"].size() == 6);
  CHECK(r["checks"][0]["kind"] == "store");
  CHECK(r["checks"][0]["ok"] == true);
  const Json& ok = find(r, "sandbox", "default");
  CHECK(ok["ok"] == true);
  CHECK(ok["fix"].is_null());
  const Json& bad = find(r, "sandbox", "broken");
  CHECK(bad["ok"] == false);
  CHECK(bad["detail"].get<std::string>().find("/nonexistent") != std::string::npos);
  CHECK(bad["fix"].get<std::string>().find("apt-get install bubblewrap") != std::string::npos);
  const Json& canned = find(r, "model", "canned");
  CHECK(canned["ok"] == false);
  CHECK(canned["detail"].get<std::string>().find("missing.json") != std::string::npos);
  CHECK(find(r, "model", "claude")["ok"] == true);
  CHECK(r.dump().find("sk-secret-value-1234") == std::string::npos);

  unsetenv("HARNESS_DOCTOR_TEST_KEY");
  Json again = f.run();
  CHECK(find(again, "model", "claude")["ok"] == false);
  CHECK(find(again, "model", "claude")["fix"].get<std::string>().find("export") == 0);
}

TEST_CASE("doctor: everything configured and working is ok") {
  SKIP_WITHOUT_BWRAP();
  DoctorFixture f;
  model::SandboxProfile good;
  good.name = "default";
  f.cfg.sandboxes = {{"default", good}};
  std::ofstream(f.dir + "/replay.json") << R"({"responses":[{"text":"done"}]})";
  model::ModelProfile replay;
  replay.name = "canned";
  replay.provider = "replay";
  replay.file = f.dir + "/replay.json";
  f.cfg.models = {{"canned", replay}};
  Json r = f.run();
  INFO(r.dump(2));
  CHECK(r["ok"] == true);
  CHECK(r["checks"].size() == 4);
}

TEST_CASE("doctor: the open-files limit says how many leaves in flight it allows") {
  DoctorFixture f;
  f.cfg.sandboxes.clear();
  rlimit saved{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  rlimit low = saved;
  low.rlim_cur = 100;  // room for (100 - 64) / 4 = 9 leaves
  REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
  f.cfg.max_running = 50;
  Json tight = f.run();
  f.cfg.max_running = 9;
  Json fits = f.run();
  REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);

  INFO(tight.dump(2));
  const Json& c = find(tight, "limits", "open_files");
  CHECK(c["ok"] == false);
  CHECK(c["detail"].get<std::string>().find("soft limit 100") != std::string::npos);
  CHECK(c["detail"].get<std::string>().find("about 9 leaves in flight") != std::string::npos);
  CHECK(c["fix"].get<std::string>().find("LimitNOFILE=") != std::string::npos);
  CHECK(tight["ok"] == false);
  CHECK(find(fits, "limits", "open_files")["ok"] == true);
}

}  // namespace
}  // namespace harness::daemon
