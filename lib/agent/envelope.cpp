#include "lib/agent/envelope.hpp"

#include <spdlog/spdlog.h>

#include "lib/base/fs.hpp"
#include "lib/loop/defer.hpp"

namespace harness::agent {

void write_envelope(uv_loop_t* loop, const model::Leaf& leaf, std::function<void()> done) {
  std::string dir = leaf.spec.envelope;
  if (dir.empty()) {
    if (done) done();
    return;
  }
  model::Json j = model::to_json(leaf);
  j["schema"] = 1;
  std::string body = model::dump_json(j, 2) + "\n";
  loop::run_blocking(
      loop,
      [dir, body] {
        if (Status s = write_file_atomic(dir + "/result.json", body); !s)
          spdlog::warn("envelope: {}", s.error().message);
        else if (Status d = write_file_atomic(dir + "/DONE", ""); !d)
          spdlog::warn("envelope: {}", d.error().message);
      },
      std::move(done));
}

}  // namespace harness::agent
