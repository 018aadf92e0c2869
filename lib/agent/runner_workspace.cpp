// LeafRunner::open_workspace: the leaf's workspace directory is opened once, off the loop,
// without following a symlink anywhere on its path (the path was resolved and checked at submit;
// a symlink there now means someone swapped a component since). The sandbox then binds exactly
// that directory (Driver::inherited_fds). Loop thread, except the open itself.

#include "lib/agent/runner.hpp"
#include "lib/base/beneath.hpp"
#include "lib/loop/defer.hpp"

namespace harness::agent {

void LeafRunner::open_workspace(std::function<void(Status)> next) {
  auto opened = std::make_shared<Result<UniqueFd>>(Error{});
  std::string path = m_leaf.spec.workspace;
  std::weak_ptr<LeafRunner> weak = weak_from_this();
  loop::run_blocking(
      m_ctx.loop, [opened, path] { *opened = open_dir_no_symlinks(path); },
      [weak, opened, path, next = std::move(next)]() mutable {
        auto self = weak.lock();
        if (!self || self->m_stopped) return;
        self->guard("after opening the workspace", [&] {
          if (!*opened)
            return next(make_error(ErrorCode::unavailable,
                                   "workspace " + path + ": " + opened->error().message));
          self->m_workspace = std::move(**opened);
          self->open_channel(std::move(next));
        });
      });
}

}  // namespace harness::agent
