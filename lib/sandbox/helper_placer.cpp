// Loop thread only: the probe and the copy are ChildRuns chained through loop callbacks.
#include "lib/sandbox/helper_placer.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "lib/loop/defer.hpp"

namespace harness::sandbox {
namespace {

HelperDecision sh_because(std::string why) {
  return {ChannelProtocol::sh, "", "sh: " + std::move(why)};
}

}  // namespace

HelperPlacer::HelperPlacer(HelperPlacements& table, std::string key, std::string what)
    : m_table(table), m_key(std::move(key)), m_what(std::move(what)) {}

HelperPlacer::~HelperPlacer() {
  if (m_wait_id) m_table.cancel_wait(m_wait_id);
  m_child.reset();
  if (m_owner) m_table.abandon(m_key);
}

void HelperPlacer::place(uv_loop_t* loop, std::vector<std::string> exec_prefix, Done done) {
  m_loop = loop;
  m_prefix = std::move(exec_prefix);
  m_done = std::move(done);
  attempt();
}

void HelperPlacer::attempt() {
  if (const HelperDecision* d = m_table.find(m_key)) {
    auto done = std::move(m_done);
    return done(*d);
  }
  if (m_table.busy(m_key)) {
    // Another leaf is placing it in this container: continue (on a later turn) once it decided.
    m_wait_id = m_table.wait(m_key, [this] {
      m_wait_id = 0;
      auto token = std::weak_ptr<int>(m_token);
      loop::defer(m_loop, [this, token] {
        if (!token.expired()) attempt();
      });
    });
    return;
  }
  m_table.begin(m_key);
  m_owner = true;
  const auto& id = helper_identity();
  if (!id) return settle(sh_because("harness-exec is not installed beside harnessd"));
  auto argv = m_prefix;
  auto probe = probe_command(*id);
  argv.insert(argv.end(), probe.begin(), probe.end());
  run(std::move(argv), &HelperPlacer::on_probe);
}

void HelperPlacer::run(std::vector<std::string> argv,
                       void (HelperPlacer::*next)(harness::Result<ChildResult>)) {
  m_child = std::make_unique<ChildRun>(m_loop);
  m_child->start(std::move(argv), client_env(), [this, next](harness::Result<ChildResult> r) {
    loop::defer_destroy(m_loop, std::move(m_child));
    (this->*next)(std::move(r));
  });
  // Nothing to read: an exec client forwarding stdin must not keep the command waiting on it.
  if (m_child) m_child->close_stdin();
}

void HelperPlacer::on_probe(harness::Result<ChildResult> r) {
  const auto& id = *helper_identity();
  if (!r) return settle(sh_because("cannot look for harness-exec: " + r.error().message));
  if (r->exit_code != 0)
    return settle(sh_because("cannot look for harness-exec: " + failure_text(*r)));
  auto reading = read_probe(r->out);
  switch (reading.answer) {
    case ProbeAnswer::present:
      return settle({ChannelProtocol::exec, id.in_container,
                     "harness-exec found at " + id.in_container + " (placed before)"});
    case ProbeAnswer::other_arch:
      return settle(sh_because("the container's architecture is " + reading.arch +
                               ", harness-exec is built for " + id.arch));
    case ProbeAnswer::unreadable:
      return settle(sh_because("cannot look for harness-exec: unexpected answer '" +
                               r->out.substr(0, 80) + "'"));
    case ProbeAnswer::absent:
      break;
  }
  // The binary goes on the exec client's stdin; the host shell only redirects it.
  std::vector<std::string> argv{"sh", "-c", "exec \"$@\" <\"$0\"", id.host_path};
  argv.insert(argv.end(), m_prefix.begin(), m_prefix.end());
  auto install = install_command(id);
  argv.insert(argv.end(), install.begin(), install.end());
  run(std::move(argv), &HelperPlacer::on_install);
}

void HelperPlacer::on_install(harness::Result<ChildResult> r) {
  const auto& id = *helper_identity();
  if (r && r->exit_code != 0 && r->err.empty() && r->out.empty()) {
    // The reason may have been dropped by the exec client (write_check_command): ask again.
    m_install_status = r->exit_code;
    auto argv = m_prefix;
    auto check = write_check_command(id);
    argv.insert(argv.end(), check.begin(), check.end());
    return run(std::move(argv), &HelperPlacer::on_write_check);
  }
  std::string why = !r ? r.error().message : r->exit_code != 0 ? failure_text(*r) : "";
  if (r && r->exit_code == 0 && r->out != "placed\n") why = "unexpected answer";
  if (!why.empty())
    return settle(sh_because("cannot place harness-exec at " + id.in_container + ": " + why));
  spdlog::info("sandbox {}: copied harness-exec in at {}", m_what, id.in_container);
  settle({ChannelProtocol::exec, id.in_container, "harness-exec copied in at " + id.in_container});
}

void HelperPlacer::on_write_check(harness::Result<ChildResult> r) {
  const auto& id = *helper_identity();
  std::string why =
      r && r->exit_code != 0 ? failure_text(*r) : "exit status " + std::to_string(m_install_status);
  settle(sh_because("cannot place harness-exec at " + id.in_container + ": " + why));
}

void HelperPlacer::settle(HelperDecision d) {
  if (d.protocol == ChannelProtocol::sh)
    spdlog::warn("sandbox {}: speaking the sh protocol ({})", m_what, d.note.substr(4));
  m_owner = false;
  m_table.settle(m_key, d);
  auto done = std::move(m_done);
  done(std::move(d));
}

}  // namespace harness::sandbox
