// The workdir rules, checked with a real account's permissions (nobody). Needs root, as the
// daemon that applies them; skipped otherwise.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "lib/daemon/workdir_rules.hpp"
#include "tests/unit/prerequisite.hpp"

namespace harness::daemon {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t k_nobody = 65534;

struct Tree {
  fs::path root;  // 0755: nobody may enter
  Tree() {
    std::string tmpl = (fs::temp_directory_path() / "harness-workdir-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    root = tmpl;
    REQUIRE(chmod(root.c_str(), 0755) == 0);
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  fs::path owned(const std::string& name, const fs::path& parent = {}) {
    fs::path p = (parent.empty() ? root : parent) / name;
    fs::create_directories(p);
    REQUIRE(chown(p.c_str(), k_nobody, k_nobody) == 0);
    return p;
  }
};

#define SKIP_UNLESS_ROOT() SKIP_UNLESS(geteuid() == 0, "needs root to act as nobody");

Account nobody() {
  return Account{k_nobody, k_nobody, {k_nobody}, "nobody"};
}

bool has(const Error& e, const std::string& part) {
  return e.message.find(part) != std::string::npos;
}

TEST_CASE("workdir rules: the account's own directory, also through its symlink") {
  SKIP_UNLESS_ROOT();
  Tree t;
  fs::path mine = t.owned("mine");
  auto r = check_workdir(mine.string(), nobody(), {});
  REQUIRE(r.has_value());
  CHECK(*r == mine.string());
  fs::create_directory_symlink(mine, t.root / "link");
  CHECK(*check_workdir((t.root / "link").string(), nobody(), {}) == mine.string());
  CHECK(*check_workdir((t.root / "link/../mine/.").string(), nobody(), {}) == mine.string());
}

TEST_CASE("workdir rules: what the account may not write or reach is forbidden, naming the rule") {
  SKIP_UNLESS_ROOT();
  Tree t;
  auto etc = check_workdir("/etc", nobody(), {});
  REQUIRE_FALSE(etc.has_value());
  CHECK(etc.error().code == ErrorCode::forbidden);
  CHECK(has(etc.error(), "nobody may not write it"));
  CHECK(has(etc.error(), "a workdir must be a directory its account can write"));
  // A symlink the account may create does not help: the real path is what is checked.
  fs::path mine = t.owned("mine");
  fs::create_directory_symlink("/etc", mine / "etc-link");
  auto via = check_workdir((mine / "etc-link").string(), nobody(), {});
  REQUIRE_FALSE(via.has_value());
  CHECK(has(via.error(), "workdir /etc: nobody may not write it"));
  // Its own directory behind one it cannot search.
  fs::path locked = t.root / "locked";
  fs::create_directory(locked);
  REQUIRE(chmod(locked.c_str(), 0700) == 0);
  fs::path inner = t.owned("inner", locked);
  auto hidden = check_workdir(inner.string(), nobody(), {});
  REQUIRE_FALSE(hidden.has_value());
  CHECK(hidden.error().code == ErrorCode::forbidden);
  CHECK(has(hidden.error(), "nobody cannot reach it"));
  // Root may write anywhere but the roots still apply.
  CHECK(check_workdir("/etc", Account{}, {}).has_value());
}

TEST_CASE("workdir rules: workdir_roots narrow it; missing and non-directories are invalid") {
  SKIP_UNLESS_ROOT();
  Tree t;
  fs::path inside = t.owned("srv/ci/job", t.root);
  fs::path other = t.owned("elsewhere");
  std::vector<std::string> roots{(t.root / "srv/ci").string(), "/home"};
  CHECK(check_workdir(inside.string(), nobody(), roots).has_value());
  auto out = check_workdir(other.string(), nobody(), roots);
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code == ErrorCode::forbidden);
  CHECK(has(out.error(), "outside [auth] workdir_roots (" + roots[0] + ", /home)"));
  // A prefix that is not a path component does not count.
  fs::path sibling = t.owned("srv/ci-other", t.root);
  CHECK_FALSE(check_workdir(sibling.string(), nobody(), roots).has_value());
  CHECK(check_workdir((t.root / "nope").string(), nobody(), {}).error().code == ErrorCode::invalid);
  CHECK(check_workdir("relative", nobody(), {}).error().code == ErrorCode::invalid);
  fs::create_directory_symlink(t.root / "loop", t.root / "loop");
  CHECK(check_workdir((t.root / "loop").string(), nobody(), {}).error().code == ErrorCode::invalid);
}

TEST_CASE("workdir rules: a caller without an account may only use fresh workspaces") {
  SubmitPlan plan;
  plan.fresh_only = "token 'ci' has no run_as";
  CHECK(apply_workdir_rules(plan, {}).has_value());
  plan.spec.workdir = "/tmp";
  auto r = apply_workdir_rules(plan, {});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::forbidden);
  CHECK(r.error().message ==
        "token 'ci' has no run_as: its leaves may only use fresh workspaces (no --workdir)");
}

}  // namespace
}  // namespace harness::daemon
