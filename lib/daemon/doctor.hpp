#pragma once
// `harnessctl doctor` on the daemon side (GET /v1/doctor): checks the store, starts every sandbox
// profile for real and runs `echo ok` in it, and checks every model profile's configuration.
// Loop thread only; nothing blocks the loop except reading replay files (small, local).

#include <uv.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "lib/config/config.hpp"
#include "lib/store/store.hpp"

namespace harness::daemon {

// Runs all checks concurrently and calls `done` once, on the loop thread, with
//   {"daemon":{"version","state_dir","store"},
//    "checks":[{"kind":"store|limits|sandbox|model","name","ok","detail","fix":string|null,
//               "warning":bool (optional: ok, but with a fix worth doing)}],
//    "ok":bool}
// in a stable order: the store, on Redis its persistence (doctor_durability.hpp), the open-files
// limit (limits/open_files: how many leaves in flight it leaves room for), then sandboxes and
// models by name. Never prints a credential. `cfg` and `store` must outlive the call; a sandbox
// check gives up after about 15 s.
void run_doctor(uv_loop_t* loop, const config::Config& cfg, store::Store& store,
                std::function<void(nlohmann::json)> done);

}  // namespace harness::daemon
