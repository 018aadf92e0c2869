#pragma once
// The envelope: a leaf's directory on the daemon's host. When a leaf ends, `result.json` (the
// leaf object) and then an empty `DONE` marker are written atomically, so file-driven
// orchestrators can poll a path instead of the API.

#include <uv.h>

#include <functional>

#include "lib/model/leaf.hpp"

namespace harness::agent {

// Writes result.json + DONE for a terminal leaf off the loop thread, then calls `done` on the
// loop. Failures are logged (the leaf's state in the store is what counts).
void write_envelope(uv_loop_t* loop, const model::Leaf& leaf, std::function<void()> done);

}  // namespace harness::agent
