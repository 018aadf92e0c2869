// When the daemon lists an ending leaf's workspace changes, and where the event goes.
#include <doctest/doctest.h>
#include <uv.h>

#include <filesystem>
#include <fstream>

#include "lib/agent/workspace_changes.hpp"
#include "lib/base/time.hpp"

namespace harness::agent {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  uv_loop_t loop{};
  fs::path ws;
  model::Leaf leaf;
  model::SandboxProfile bwrap;
  std::optional<std::vector<model::EventDraft>> out;
  Fixture() {
    uv_loop_init(&loop);
    std::string tmpl = (fs::temp_directory_path() / "harness-wschanges-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    ws = tmpl;
    leaf.id = "lf_test";
    leaf.started_at = now_ms() - 60'000;
    leaf.spec.workspace = ws.string();
    std::ofstream(ws / "made.txt") << "hi";
  }
  ~Fixture() {
    CHECK(uv_loop_close(&loop) == 0);
    std::error_code ec;
    fs::remove_all(ws, ec);
  }
  // Runs with_workspace_changes to its end; returns the drafts handed to `next`.
  std::vector<std::string> types(const model::SandboxProfile* profile, const std::string& node) {
    std::vector<model::EventDraft> drafts{
        model::finished_event(model::LeafState::cancelled, "cancelled", "")};
    with_workspace_changes(&loop, leaf, profile, node, drafts,
                           [this](std::vector<model::EventDraft> d) { out = std::move(d); });
    uv_run(&loop, UV_RUN_DEFAULT);
    REQUIRE(out.has_value());
    std::vector<std::string> t;
    for (const auto& d : *out) t.push_back(d.type);
    return t;
  }
};

const std::vector<std::string> k_both{"workspace_changes", "leaf_finished"};
const std::vector<std::string> k_end_only{"leaf_finished"};

}  // namespace

TEST_CASE("workspace changes: listed before leaf_finished for a workspace on this host") {
  Fixture f;
  CHECK(f.types(&f.bwrap, "") == k_both);
  const model::Json& d = f.out->front().data;
  REQUIRE(d["files"].size() == 1);
  CHECK(d["files"][0]["path"] == "made.txt");
  CHECK(d["files"][0]["size"] == 2);
  CHECK(d["count"] == 1);
  CHECK(d["truncated"] == false);
}

TEST_CASE("workspace changes: nothing where the workspace is not this host's to walk") {
  Fixture f;
  SUBCASE("kubectl: the workspace lives in the pod") {
    model::SandboxProfile k;
    k.driver = "kubectl";
    CHECK(f.types(&k, "") == k_end_only);
  }
  SUBCASE("podman exec into an existing container: a copy lives there") {
    model::SandboxProfile p;
    p.driver = "podman";
    p.container = "sandbox-0";
    CHECK(f.types(&p, "") == k_end_only);
  }
  SUBCASE("podman with an image mounts the host workspace") {
    model::SandboxProfile p;
    p.driver = "podman";
    p.image = "debian";
    CHECK(f.types(&p, "") == k_both);
  }
  SUBCASE("an unknown profile") {
    CHECK(f.types(nullptr, "") == k_end_only);
  }
  SUBCASE("a leaf that never started") {
    f.leaf.started_at = 0;
    CHECK(f.types(&f.bwrap, "") == k_end_only);
  }
  SUBCASE("a leaf another daemon ran") {
    f.leaf.node = "node-b";
    CHECK(f.types(&f.bwrap, "node-a") == k_end_only);
    CHECK(f.types(&f.bwrap, "node-b") == k_both);
  }
}

TEST_CASE("workspace changes: a workspace that is gone ends the leaf without the event") {
  Fixture f;
  f.leaf.spec.workspace = (f.ws / "missing").string();
  CHECK(f.types(&f.bwrap, "") == k_end_only);
}

}  // namespace harness::agent
