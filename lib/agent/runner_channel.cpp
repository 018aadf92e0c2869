// LeafRunner's sandbox channel: made once per leaf, on the first tool call or ahead of it
// (prestart.hpp), by one opening that later callers wait for. Loop thread.

#include <utility>

#include "lib/agent/event_metrics.hpp"
#include "lib/agent/runner.hpp"

namespace harness::agent {

void LeafRunner::with_channel(std::function<void(Status)> next) {
  if (m_channel) return next({});
  m_channel_waiters.push_back(std::move(next));
  if (m_channel_waiters.size() > 1) return;  // an opening is under way
  open_channel([this](Status st) {
    auto waiters = std::exchange(m_channel_waiters, {});
    for (auto& w : waiters) {
      if (m_stopped) return;
      w(st);
    }
  });
}

// Makes the driver, lets it prepare the leaf's sandbox (create a container, lease a pod: may
// take a while, async), then creates the channel. `done` is not called if the runner stopped.
void LeafRunner::open_channel(std::function<void(Status)> done) {
  if (!m_workspace.valid()) return open_workspace(std::move(done));
  done = [driver = m_sandbox->driver, done = std::move(done)](Status st) {
    count_sandbox_start(driver, st);
    done(std::move(st));
  };
  auto drv = sandbox::make_driver(*m_sandbox);
  if (!drv)
    return done(
        make_error(drv.error().code, "sandbox '" + m_sandbox->name + "': " + drv.error().message));
  m_driver = std::move(*drv);
  sandbox::LeafContext lc{m_leaf.id, m_leaf.spec.workspace, m_leaf.spec.run_as, m_workspace.get()};
  std::weak_ptr<LeafRunner> weak = weak_from_this();
  m_driver->prepare(m_ctx.loop, lc, [weak, lc, done = std::move(done)](Status st) {
    auto self = weak.lock();
    if (!self || self->m_stopped) return;
    self->guard("after preparing the sandbox", [&] {
      if (!st) return done(st);
      auto argv = self->m_driver->shell_argv(lc);
      if (!argv)
        return done(make_error(argv.error().code,
                               "sandbox '" + self->m_sandbox->name + "': " + argv.error().message));
      self->m_channel = std::make_unique<sandbox::Channel>(
          self->m_ctx.loop, std::move(*argv), self->m_driver->launch_env(*self->m_sandbox),
          sandbox::channel_limits(*self->m_sandbox, lc), self->m_driver->channel_protocol(),
          self->m_driver->inherited_fds(lc));
      done({});
    });
  });
}

void LeafRunner::prestart() {
  if (std::exchange(m_prestart_tried, true) || m_channel || !m_ctx.prestarts) return;
  // Only bwrap: its start is local and cheap to waste. A container or a pod lease is not.
  if (!m_sandbox || m_sandbox->driver != "bwrap" || !m_ctx.prestarts->take()) return;
  m_prestart_slot = true;
  std::weak_ptr<LeafRunner> weak = weak_from_this();
  with_channel([weak](Status st) {
    auto self = weak.lock();
    if (!self || self->m_stopped || !st || !self->m_channel) return;
    self->m_channel->start();
  });
}

void LeafRunner::give_back_prestart() {
  if (!std::exchange(m_prestart_slot, false)) return;
  m_ctx.prestarts->give_back();
}

}  // namespace harness::agent
