#pragma once
// Places harness-exec into one container for a driver's leaf (helper_placement.hpp): the daemon's
// decision for the container if there is one, else (once per container, other leaves wait) a
// probe through the driver's exec client and, if the helper is absent, the copy. Never fails:
// whatever goes wrong becomes the sh protocol with the reason, logged once per container.
// Loop thread only; destroying the placer cancels it (done is then not called).

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/sandbox/child.hpp"
#include "lib/sandbox/helper_placement.hpp"

namespace harness::sandbox {

class HelperPlacer {
 public:
  using Done = std::function<void(HelperDecision)>;
  // `key` names the container among all the daemon's (HelperPlacements); `what` names it in
  // log lines ("container sandbox-0", "pod p1").
  HelperPlacer(HelperPlacements& table, std::string key, std::string what);
  HelperPlacer(const HelperPlacer&) = delete;
  HelperPlacer& operator=(const HelperPlacer&) = delete;
  ~HelperPlacer();

  // `exec_prefix` runs a command in the container with stdin ("podman exec -i C"). `done` may
  // be called before place() returns.
  void place(uv_loop_t* loop, std::vector<std::string> exec_prefix, Done done);
  // The decision made for this container, if any (a leaf that found the helper gone forgets it).
  const HelperDecision* known() const { return m_table.find(m_key); }
  void forget() { m_table.forget(m_key); }

 private:
  void attempt();
  void on_probe(harness::Result<ChildResult> r);
  void on_install(harness::Result<ChildResult> r);
  void on_write_check(harness::Result<ChildResult> r);
  void settle(HelperDecision d);
  void run(std::vector<std::string> argv, void (HelperPlacer::*next)(harness::Result<ChildResult>));

  HelperPlacements& m_table;
  std::string m_key;
  std::string m_what;
  uv_loop_t* m_loop = nullptr;
  std::vector<std::string> m_prefix;
  Done m_done;
  bool m_owner = false;  // this placer holds the key (begin) and must settle or abandon
  std::uint64_t m_wait_id = 0;
  std::unique_ptr<ChildRun> m_child;
  int m_install_status = 0;  // of a failed install that gave no reason (on_write_check)
  std::shared_ptr<int> m_token = std::make_shared<int>(0);  // expires with the placer
};

}  // namespace harness::sandbox
