#include "lib/agent/envelope.hpp"

#include <spdlog/spdlog.h>

#include "lib/base/beneath.hpp"
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
        // Beneath the envelope's own fd, never through a symlink planted in it.
        auto fd = open_dir_no_symlinks(dir);
        Status s = fd ? write_file_beneath(fd->get(), "result.json", body) : Status(fd.error());
        if (s) s = write_file_beneath(fd->get(), "DONE", "");
        if (!s) spdlog::warn("envelope {}: {}", dir, s.error().message);
      },
      std::move(done));
}

}  // namespace harness::agent
