// Exact argv of the podman/docker and kubectl drivers for each mode and option.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "lib/sandbox/driver.hpp"
#include "lib/sandbox/kubectl_driver.hpp"
#include "lib/sandbox/lease.hpp"
#include "lib/sandbox/podman_driver.hpp"
#include "lib/sandbox/remote_shell.hpp"

using namespace harness;
using namespace harness::sandbox;
using Argv = std::vector<std::string>;

namespace {

model::SandboxProfile podman_profile() {
  model::SandboxProfile p;
  p.name = "box";
  p.driver = "podman";
  p.global_args = {"--runtime", "runc"};
  return p;
}

// The argv up to the remote shell ("sh -c PRELUDE ...").
Argv head_of(const Argv& argv) {
  auto sh = std::find(argv.begin(), argv.end(), "sh");
  return Argv(argv.begin(), sh);
}

// The arguments after the prelude text: $0, leaf id, workdir, helper, env.
Argv tail_of(const Argv& argv) {
  auto sh = std::find(argv.begin(), argv.end(), "sh");
  REQUIRE(sh + 3 <= argv.end());
  CHECK(*(sh + 1) == "-c");
  return Argv(sh + 3, argv.end());
}

}  // namespace

TEST_CASE("podman existing container: exec -i into it, workspace /workspace/<leaf>") {
  auto p = podman_profile();
  p.container = "sandbox-0";
  p.env = {"FOO=bar"};
  PodmanDriver d(p);
  LeafContext ctx{"lf_1", "/host/ws"};
  auto argv = d.shell_argv(ctx);
  REQUIRE(argv.has_value());
  CHECK(head_of(*argv) == Argv{"podman", "--runtime", "runc", "exec", "-i", "sandbox-0"});
  CHECK(tail_of(*argv) == Argv{"sh", "lf_1", "/workspace/lf_1", "",
                               "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/workspace",
                               "LANG=C.UTF-8", "TERM=dumb", "FOO=bar"});
  CHECK(d.container_for("lf_1") == "sandbox-0");
  // Nothing is copied into an existing container: it keeps the sh protocol.
  CHECK(d.channel_protocol() == ChannelProtocol::sh);
  CHECK(PodmanDriver(p, "/opt/harness-exec").channel_protocol() == ChannelProtocol::sh);
}

TEST_CASE("podman per-leaf image: hardened run, exec into harness-<leaf>, rm -f") {
  auto p = podman_profile();
  p.image = "localhost/img:latest";
  p.create_args = {"--ulimit", "nofile=1024:1024"};
  p.memory_mb = 256;
  p.pids_max = 64;
  PodmanDriver d(p, "");
  LeafContext ctx{"lf_2", "/host/ws"};
  auto run = d.create_argv(ctx);
  Argv expect{"podman",
              "--runtime",
              "runc",
              "run",
              "-d",
              "--rm=false",
              "--name",
              "harness-lf_2",
              "--label",
              "harness.leaf=lf_2",
              "--read-only",
              "--tmpfs",
              "/tmp:rw,nosuid,nodev,mode=1777",
              "--cap-drop=ALL",
              "--security-opt",
              "no-new-privileges",
              "--network",
              "none",
              "--pids-limit",
              "64",
              "--memory",
              "256m",
              "-v",
              "/host/ws:/workspace:rw",
              "-w",
              "/workspace",
              "--ulimit",
              "nofile=1024:1024",
              "localhost/img:latest",
              "sh",
              "-c"};
  REQUIRE(run.size() == expect.size() + 1);
  CHECK(Argv(run.begin(), run.end() - 1) == expect);
  CHECK(d.remove_argv("lf_2") == Argv{"podman", "--runtime", "runc", "rm", "-f", "harness-lf_2"});
  auto argv = d.shell_argv(ctx);
  REQUIRE(argv.has_value());
  CHECK(head_of(*argv) == Argv{"podman", "--runtime", "runc", "exec", "-i", "harness-lf_2"});
  CHECK(tail_of(*argv)[2] == "/workspace");
  CHECK(tail_of(*argv)[3] == "");
  CHECK(d.workspace_path() == "/workspace");
  CHECK(d.channel_protocol() == ChannelProtocol::sh);

  SUBCASE("with harness-exec: bound read-only and started instead of sh") {
    PodmanDriver hx(p, "/opt/harness-exec");
    auto run3 = hx.create_argv(ctx);
    auto v = std::find(run3.begin(), run3.end(), "/opt/harness-exec:/run/harness/exec:ro");
    REQUIRE(v != run3.end());
    CHECK(*(v - 1) == "-v");
    CHECK(tail_of(*hx.shell_argv(ctx))[3] == "/run/harness/exec");
    CHECK(hx.channel_protocol() == ChannelProtocol::exec);
  }

  SUBCASE("network and user") {
    p.network = true;
    p.user = "1000:1000";
    p.binary = "/opt/docker";
    p.driver = "docker";
    p.global_args.clear();
    auto run2 = PodmanDriver(p, "").create_argv(ctx);
    CHECK(run2[0] == "/opt/docker");
    CHECK(std::find(run2.begin(), run2.end(), "none") == run2.end());
    auto u = std::find(run2.begin(), run2.end(), "--user");
    REQUIRE(u != run2.end());
    CHECK(*(u + 1) == "1000:1000");
  }
}

TEST_CASE("docker uses the driver name as binary by default") {
  model::SandboxProfile p;
  p.driver = "docker";
  p.container = "c";
  auto argv = *PodmanDriver(p).shell_argv(LeafContext{"lf", "/w"});
  CHECK(head_of(argv) == Argv{"docker", "exec", "-i", "c"});
}

TEST_CASE("kubectl pod: exec -i with kubeconfig, context, namespace, container, timeout") {
  model::SandboxProfile p;
  p.name = "pods";
  p.driver = "kubectl";
  p.pod = "sandbox-0";
  p.kube_namespace = "agents";
  LeaseTable leases;
  {
    KubectlDriver d(p, leases);
    auto argv = d.shell_argv(LeafContext{"lf_3", "/w"});
    REQUIRE(argv.has_value());
    CHECK(head_of(*argv) == Argv{"kubectl", "-n", "agents", "exec", "-i", "sandbox-0",
                                 "--request-timeout=30s", "--"});
    CHECK(tail_of(*argv)[2] == "/workspace/lf_3");
  }
  p.binary = "/usr/bin/kc";
  p.kubeconfig = "/etc/k";
  p.context = "prod";
  p.container = "main";
  p.request_timeout_ms = 1500;
  KubectlDriver d(p, leases);
  CHECK(d.exec_prefix("pod-a") == Argv{"/usr/bin/kc", "--kubeconfig", "/etc/k", "--context", "prod",
                                       "-n", "agents", "exec", "-i", "pod-a", "-c", "main",
                                       "--request-timeout=2s", "--"});
  p.pod.clear();
  p.selector = "app=sb";
  KubectlDriver sel(p, leases);
  CHECK(sel.list_argv() == Argv{"/usr/bin/kc", "--kubeconfig", "/etc/k", "--context", "prod", "-n",
                                "agents", "get", "pods", "-l", "app=sb",
                                "--field-selector=status.phase=Running", "-o", "name",
                                "--request-timeout=2s"});
  // No pod leased yet: no shell.
  CHECK_FALSE(sel.shell_argv(LeafContext{"lf", "/w"}).has_value());
}

TEST_CASE("make_driver picks the driver and refuses ambiguous profiles") {
  model::SandboxProfile p;
  p.driver = "podman";
  CHECK_FALSE(make_driver(p).has_value());
  p.container = "c";
  CHECK(make_driver(p).has_value());
  p.image = "i";
  CHECK_FALSE(make_driver(p).has_value());
  p.driver = "kubectl";
  CHECK_FALSE(make_driver(p).has_value());
  p.pod = "x";
  CHECK(make_driver(p).has_value());
  p.driver = "host";
  CHECK(make_driver(p).error().message == "driver host is not supported yet");
}

TEST_CASE("the remote shell refuses unsafe leaf ids; limits put the channel under the leaf") {
  CHECK_FALSE(remote_shell(LeafContext{"a b", "/w"}, "/workspace", {}).has_value());
  CHECK_FALSE(remote_shell(LeafContext{"../x", "/w"}, "/workspace", {}).has_value());
  model::SandboxProfile p;
  p.driver = "kubectl";
  CHECK(channel_limits(p, LeafContext{"lf_9", "/w"}).private_dir == "/tmp/.harness/lf_9");
  CHECK(copy_in_argv(LeafContext{"lf", "/host/ws"}, {"k", "exec", "-i", "p", "--"},
                     "/workspace/lf") ==
        Argv{"sh", "-c", "cd -- \"$0\" && tar -cf - . | \"$@\"", "/host/ws", "k", "exec", "-i", "p",
             "--", "sh", "-c", "mkdir -p \"$1\" && tar -xf - -C \"$1\"", "sh", "/workspace/lf"});
  CHECK(copy_in_fds(LeafContext{"lf", "/host/ws"}).empty());
}
