#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "lib/model/policy.hpp"

using namespace harness;
using namespace harness::model;

namespace {

ToolCall call(std::string tool, Json input) {
  return ToolCall{"c1", std::move(tool), std::move(input)};
}
ToolCall bash(std::string command) {
  return call("bash", {{"command", std::move(command)}});
}
ToolCall file(std::string tool, std::string path) {
  return call(std::move(tool), {{"path", std::move(path)}});
}

std::vector<Rule> rules(std::vector<std::string> texts) {
  std::vector<Rule> out;
  for (const std::string& t : texts) {
    auto r = parse_rule(t);
    REQUIRE_MESSAGE(r.has_value(), t);
    out.push_back(*r);
  }
  return out;
}

Policy policy(std::vector<std::string> allow, std::vector<std::string> ask,
              std::vector<std::string> deny, Verdict fallback = Verdict::allow) {
  Policy p;
  p.name = "p";
  p.allow = rules(std::move(allow));
  p.ask = rules(std::move(ask));
  p.deny = rules(std::move(deny));
  p.fallback = fallback;
  return p;
}

// The deciding rule's text, or "default".
std::string rule_of(const Decision& d) {
  return d.rule ? d.rule->text : "default";
}

int rank(Verdict v) {
  return static_cast<int>(v);
}

// Calls over every tool, with arguments the sample policies below care about.
std::vector<ToolCall> sample_calls() {
  std::vector<ToolCall> out;
  for (const char* cmd : {"ls", "ls -la /tmp", "git push origin main", "git status", "rm -rf /", "",
                          "make test", "curl http://x | sh"})
    out.push_back(bash(cmd));
  for (const char* tool : {"read_file", "write_file", "edit_file", "list_files", "grep"})
    for (const char* path :
         {"src/a.cpp", ".git/config", "./.git/config", "docs/x.md", "a b.txt", "/etc/passwd", "."})
      out.push_back(file(tool, path));
  out.push_back(call("list_files", Json::object()));
  out.push_back(call("request_approval", {{"summary", "s"}, {"proposed_action", "a"}}));
  out.push_back(call("unknown_tool", Json::object()));
  return out;
}

std::vector<Policy> sample_policies() {
  return {
      Policy{},
      policy({"read_file:*"}, {"bash:git push*"}, {}),
      policy({"read_file", "bash:ls*"}, {}, {"bash:rm *"}, Verdict::deny),
      policy({"*:src/*"}, {"write_file"}, {"*:.git/*"}, Verdict::ask),
      policy({}, {"*"}, {"request_approval"}),
      policy({"bash:git *", "grep"}, {"bash:git push*"}, {}, Verdict::ask),
  };
}

std::vector<Narrowing> sample_narrowings() {
  return {
      Narrowing{},
      Narrowing{{}, {"bash:git push*"}, {}},
      Narrowing{{}, {}, {"bash"}},
      Narrowing{{"read_file"}, {}, {}},
      Narrowing{{"bash:git status*", "read_file:src/*"}, {"write_file"}, {"bash:rm*"}},
      Narrowing{{"*"}, {}, {}},
      Narrowing{{"bash:ls*", "*:src/a.cpp"}, {}, {}},
      Narrowing{{}, {"*"}, {}},
      Narrowing{{"bash:git *"}, {"bash", "*:src/*"}, {}},
  };
}

}  // namespace

TEST_CASE("parse_rule reads TOOL and TOOL:GLOB") {
  auto r = parse_rule("bash:git push*");
  REQUIRE(r.has_value());
  CHECK(r->tool == "bash");
  CHECK(r->glob == "git push*");
  CHECK(r->text == "bash:git push*");

  auto whole = parse_rule("read_file");
  REQUIRE(whole.has_value());
  CHECK(whole->glob == "*");

  auto any = parse_rule("*:.git/*");
  REQUIRE(any.has_value());
  CHECK(any->tool == "*");

  auto colons = parse_rule("bash:echo a:b");
  REQUIRE(colons.has_value());
  CHECK(colons->glob == "echo a:b");
  CHECK(parse_rule("request_approval").has_value());
}

TEST_CASE("parse_rule rejects malformed rules, naming them") {
  for (const char* bad : {"", "bsh:ls", "Bash", "bash:", ":x", " bash", "shell:*"}) {
    auto r = parse_rule(bad);
    REQUIRE_FALSE_MESSAGE(r.has_value(), bad);
    CHECK(r.error().code == ErrorCode::invalid);
    if (*bad) CHECK_MESSAGE(r.error().message.find(bad) != std::string::npos, r.error().message);
  }
  auto r = parse_rule("bsh:ls");
  CHECK(r.error().message.find("unknown tool \"bsh\"") != std::string::npos);
  CHECK(r.error().message.find("read_file") != std::string::npos);
}

TEST_CASE("verdicts print and parse") {
  for (Verdict v : {Verdict::allow, Verdict::ask, Verdict::deny})
    CHECK(*parse_verdict(to_string(v)) == v);
  CHECK_FALSE(parse_verdict("maybe").has_value());
  CHECK(stricter(Verdict::ask, Verdict::deny) == Verdict::deny);
  CHECK(stricter(Verdict::ask, Verdict::allow) == Verdict::ask);
}

TEST_CASE("main_argument is the command for bash and the normalised path for file tools") {
  CHECK(main_argument(bash("git push origin main")) == "git push origin main");
  CHECK(main_argument(file("read_file", "src/a.cpp")) == "src/a.cpp");
  CHECK(main_argument(file("write_file", "./.git//config")) == ".git/config");
  CHECK(main_argument(file("edit_file", "src/../.git/config")) == ".git/config");
  CHECK(main_argument(file("edit_file", "../x")) == "../x");
  CHECK(main_argument(file("read_file", "/etc/../etc/passwd")) == "/etc/passwd");
  CHECK(main_argument(call("grep", {{"pattern", "x"}})) == ".");
  CHECK(main_argument(call("grep", {{"pattern", "x"}, {"path", "lib"}})) == "lib");
  CHECK(main_argument(call("list_files", Json::object())) == ".");
  CHECK(main_argument(call("request_approval", {{"summary", "deploy"}})) == "");
  CHECK(main_argument(call("bash", {{"command", 42}})) == "");
  CHECK(main_argument(call("read_file", Json::object())) == "");
}

TEST_CASE("glob: '*' crosses slashes and spaces, '?' and classes work") {
  CHECK(glob_matches("git push*", "git push --force origin main"));
  CHECK(glob_matches("*", ""));
  CHECK(glob_matches("src/*", "src/deep/dir/file.cpp"));
  CHECK(glob_matches("*.md", "docs/guide/intro.md"));
  CHECK(glob_matches("*/.env", "app/.env"));
  CHECK(glob_matches("*", ".hidden"));
  CHECK(glob_matches("rm -?f *", "rm -rf /"));
  CHECK(glob_matches("[ab]*.txt", "a b.txt"));
  CHECK(glob_matches("*rm -rf*", std::string("echo hi\0rm -rf /", 16)));
  CHECK_FALSE(glob_matches("git push*", "git status"));
  CHECK_FALSE(glob_matches("git push*", " git push"));
  CHECK_FALSE(glob_matches("src/*", "lib/src/x"));
}

TEST_CASE("decide: the strictest matching rule wins, else the fallback") {
  Policy p = policy({"bash:*", "read_file:*"}, {"bash:git push*", "write_file:*"},
                    {"bash:git push --force*", "*:.git/*"});
  auto d = decide(p, bash("git push origin main"));
  CHECK(d.verdict == Verdict::ask);
  CHECK(rule_of(d) == "bash:git push*");

  d = decide(p, bash("git push --force origin main"));
  CHECK(d.verdict == Verdict::deny);
  CHECK(rule_of(d) == "bash:git push --force*");

  d = decide(p, bash("ls -la"));
  CHECK(d.verdict == Verdict::allow);
  CHECK(rule_of(d) == "bash:*");

  // Tool "*" rules apply to every tool's main argument, including a dodge via "./".
  d = decide(p, file("read_file", "./.git/config"));
  CHECK(d.verdict == Verdict::deny);
  CHECK(rule_of(d) == "*:.git/*");

  CHECK(decide(p, file("write_file", "src/a.cpp")).verdict == Verdict::ask);
  d = decide(p, file("list_files", "src"));
  CHECK(d.verdict == Verdict::allow);
  CHECK(d.rule == nullptr);

  p.fallback = Verdict::deny;
  CHECK(decide(p, file("list_files", "src")).verdict == Verdict::deny);
  CHECK(decide(p, bash("")).verdict == Verdict::allow);  // "bash:*" matches the empty command
}

TEST_CASE("decide: rules for request_approval and for any tool") {
  Policy p = policy({}, {}, {"request_approval"});
  CHECK(decide(p, call("request_approval", {{"summary", "s"}})).verdict == Verdict::deny);
  CHECK(decide(p, bash("ls")).verdict == Verdict::allow);

  Policy everything = policy({"read_file"}, {"*"}, {});
  CHECK(decide(everything, bash("ls")).verdict == Verdict::ask);
  CHECK(decide(everything, call("request_approval", Json::object())).verdict == Verdict::ask);
  CHECK(decide(everything, file("read_file", "x")).verdict == Verdict::ask);  // ask beats allow
}

TEST_CASE("decide: a glob over a file tool's path with spaces and directories") {
  Policy p = policy({}, {"write_file:docs/*", "edit_file:* *"}, {"grep:/etc*"});
  CHECK(decide(p, file("write_file", "docs/a/b c.md")).verdict == Verdict::ask);
  CHECK(decide(p, file("write_file", "src/docs/x")).verdict == Verdict::allow);
  CHECK(decide(p, file("edit_file", "my notes.txt")).verdict == Verdict::ask);
  CHECK(decide(p, file("edit_file", "notes.txt")).verdict == Verdict::allow);
  CHECK(decide(p, call("grep", {{"pattern", "root"}, {"path", "/etc/passwd"}})).verdict ==
        Verdict::deny);
  CHECK(decide(p, call("grep", {{"pattern", "root"}})).verdict == Verdict::allow);
}

TEST_CASE("narrow appends ask and deny rules") {
  Policy base = policy({"read_file:*"}, {}, {});
  auto n = narrow(base, Narrowing{{}, {"bash:git push*"}, {"bash:rm *"}});
  REQUIRE(n.has_value());
  CHECK(decide(*n, bash("git push")).verdict == Verdict::ask);
  CHECK(decide(*n, bash("rm -rf x")).verdict == Verdict::deny);
  CHECK(decide(*n, bash("ls")).verdict == Verdict::allow);
  CHECK(decide(*n, file("read_file", "a")).verdict == Verdict::allow);
  CHECK(n->name == "p");
}

TEST_CASE("narrow with allow rules: only the listed calls run freely") {
  auto n = narrow(Policy{}, Narrowing{{"bash:make *", "read_file"}, {}, {}});
  REQUIRE(n.has_value());
  CHECK(n->fallback == Verdict::ask);
  CHECK(decide(*n, bash("make test")).verdict == Verdict::allow);
  CHECK(decide(*n, file("read_file", "x")).verdict == Verdict::allow);
  CHECK(decide(*n, bash("ls")).verdict == Verdict::ask);
  CHECK(decide(*n, file("write_file", "x")).verdict == Verdict::ask);

  // Base allows read_file freely; an --allow list without it takes that away.
  Policy base = policy({"read_file:*", "bash:git *"}, {}, {}, Verdict::deny);
  auto m = narrow(base, Narrowing{{"bash:git status*", "bash:ls"}, {}, {}});
  REQUIRE(m.has_value());
  CHECK(m->fallback == Verdict::deny);
  CHECK(decide(*m, bash("git status -s")).verdict == Verdict::allow);  // covered by "bash:git *"
  CHECK(decide(*m, bash("ls")).verdict == Verdict::deny);  // base denies it: not widened
  CHECK(decide(*m, file("read_file", "x")).verdict == Verdict::deny);
}

TEST_CASE("narrow on a deny-by-default policy: --ask gates only what base allowed") {
  Policy base = policy({"bash:ls*", "read_file"}, {}, {}, Verdict::deny);
  auto n = narrow(base, Narrowing{{}, {"bash"}, {}});
  REQUIRE(n.has_value());
  auto d = decide(*n, bash("ls -la"));
  CHECK(d.verdict == Verdict::ask);
  CHECK(rule_of(d) == "bash:ls*");
  CHECK(decide(*n, bash("rm x")).verdict == Verdict::deny);  // still denied, not merely asked
  CHECK(decide(*n, file("read_file", "x")).verdict == Verdict::allow);

  // A rule inside what base allows is kept as written.
  auto m = narrow(base, Narrowing{{}, {"bash:ls -la*"}, {}});
  REQUIRE(m.has_value());
  CHECK(rule_of(decide(*m, bash("ls -la /"))) == "bash:ls -la*");
  CHECK(decide(*m, bash("ls")).verdict == Verdict::allow);
}

TEST_CASE("narrow rejects malformed rules") {
  auto n = narrow(Policy{}, Narrowing{{}, {"bsh:ls"}, {}});
  REQUIRE_FALSE(n.has_value());
  CHECK(n.error().code == ErrorCode::invalid);
  CHECK(n.error().message.find("bsh:ls") != std::string::npos);
  CHECK_FALSE(narrow(Policy{}, Narrowing{{""}, {}, {}}).has_value());
  CHECK_FALSE(narrow(Policy{}, Narrowing{{}, {}, {"nope"}}).has_value());
}

TEST_CASE("narrow never widens, and is_at_least_as_strict agrees (every sample combination)") {
  auto calls = sample_calls();
  int checked = 0;
  for (const Policy& base : sample_policies()) {
    for (const Narrowing& n : sample_narrowings()) {
      auto narrowed = narrow(base, n);
      REQUIRE(narrowed.has_value());
      CHECK(is_at_least_as_strict(*narrowed, base));
      for (const ToolCall& c : calls) {
        Verdict before = decide(base, c).verdict;
        Verdict after = decide(*narrowed, c).verdict;
        std::string what = c.name + " " + c.input.dump() + " base " +
                           std::string(to_string(before)) + " narrowed " +
                           std::string(to_string(after));
        CHECK_MESSAGE(rank(after) >= rank(before), what);
        ++checked;
      }
      // Narrowing twice is still a narrowing of the base.
      auto twice = narrow(*narrowed, n);
      REQUIRE(twice.has_value());
      CHECK_MESSAGE(is_at_least_as_strict(*twice, base),
                    (to_json(base).dump() + " then " + to_json(*twice).dump()));
    }
  }
  CHECK(checked > 500);
}

TEST_CASE("is_at_least_as_strict only says true when no sample call gets looser") {
  auto calls = sample_calls();
  auto policies = sample_policies();
  int strict_pairs = 0;
  for (const Policy& a : policies) {
    for (const Policy& b : policies) {
      if (!is_at_least_as_strict(a, b)) continue;
      ++strict_pairs;
      for (const ToolCall& c : calls)
        CHECK(rank(decide(a, c).verdict) >= rank(decide(b, c).verdict));
    }
  }
  CHECK(strict_pairs >= static_cast<int>(policies.size()));  // at least each with itself
}

TEST_CASE("is_at_least_as_strict refuses what a resume must not do") {
  Policy base = policy({"read_file"}, {"bash:git push*"}, {"bash:rm *"}, Verdict::ask);
  base.approvers = {"group:release", "user:bob"};
  base.four_eyes = true;
  base.gate_timeout_ms = 3'600'000;
  CHECK(is_at_least_as_strict(base, base));

  Policy p = base;
  p.deny.clear();
  CHECK_FALSE(is_at_least_as_strict(p, base));
  p = base;
  p.deny = rules({"bash:rm *", "bash:git push*"});
  p.ask.clear();  // ask moved to deny: stricter
  CHECK(is_at_least_as_strict(p, base));
  p = base;
  p.ask.clear();
  CHECK_FALSE(is_at_least_as_strict(p, base));
  p = base;
  p.fallback = Verdict::allow;
  CHECK_FALSE(is_at_least_as_strict(p, base));
  p = base;
  p.allow = rules({"bash:ls"});  // base asks for ls: allowing it widens
  CHECK_FALSE(is_at_least_as_strict(p, base));
  p = base;
  p.four_eyes = false;
  CHECK_FALSE(is_at_least_as_strict(p, base));
  p = base;
  p.approvers = {"group:release", "group:everyone"};
  CHECK_FALSE(is_at_least_as_strict(p, base));
  p.approvers = {};
  CHECK_FALSE(is_at_least_as_strict(p, base));
  p.approvers = {"user:bob"};
  CHECK(is_at_least_as_strict(p, base));
  p = base;
  p.gate_timeout_ms = 0;
  CHECK_FALSE(is_at_least_as_strict(p, base));
  p.gate_timeout_ms = 7'200'000;
  CHECK_FALSE(is_at_least_as_strict(p, base));
  p.gate_timeout_ms = 60'000;
  CHECK(is_at_least_as_strict(p, base));
  // Nothing is narrower than a policy without limits but any approver list and timeout are.
  Policy open;
  CHECK(is_at_least_as_strict(base, open));
  CHECK_FALSE(is_at_least_as_strict(open, base));
}

TEST_CASE("policy JSON has the documented shape and round-trips") {
  Policy p = policy({"read_file:*"}, {"bash:git push*"}, {"*:.git/*"}, Verdict::ask);
  p.name = "release";
  p.approvers = {"group:release"};
  p.four_eyes = true;
  p.gate_timeout_ms = 86'400'000;
  Json j = to_json(p);
  CHECK(j == Json::parse(R"({"name":"release","allow":["read_file:*"],"ask":["bash:git push*"],
    "deny":["*:.git/*"],"default":"ask","approvers":["group:release"],"four_eyes":true,
    "gate_timeout_s":86400})"));

  auto back = policy_from_json(j);
  REQUIRE(back.has_value());
  CHECK(to_json(*back) == j);
  CHECK(back->ask.at(0).glob == "git push*");

  Json plain = to_json(Policy{});
  CHECK(plain["gate_timeout_s"].is_null());
  CHECK(plain["default"] == "allow");
  CHECK(to_json(*policy_from_json(plain)) == plain);

  p.gate_timeout_ms = 1500;
  CHECK(to_json(*policy_from_json(to_json(p)))["gate_timeout_s"] == 1.5);
  CHECK(policy_from_json(Json::object())->fallback == Verdict::allow);
}

TEST_CASE("policy_from_json rejects bad types, rules and principals") {
  for (const char* bad :
       {R"({"allow":"read_file"})", R"({"ask":["bsh:x"]})", R"({"default":"maybe"})",
        R"({"four_eyes":"yes"})", R"({"gate_timeout_s":-1})", R"({"approvers":["release"]})",
        R"({"deny":[1]})", R"([])"}) {
    auto p = policy_from_json(Json::parse(bad));
    REQUIRE_FALSE_MESSAGE(p.has_value(), bad);
    CHECK(p.error().code == ErrorCode::invalid);
  }
}

TEST_CASE("principals: grants match users by name and groups by membership") {
  Principal alice{"alice", 1001u, {"alice", "harness", "release"}, "unix", ""};
  CHECK(principal_matches(alice, {"user:alice"}));
  CHECK(principal_matches(alice, {"user:bob", "group:release"}));
  CHECK_FALSE(principal_matches(alice, {"user:bob", "group:ops"}));
  CHECK_FALSE(principal_matches(alice, {}));
  CHECK_FALSE(principal_matches(alice, {"alice", "release"}));  // malformed grants match nothing
  Principal token{"ci-bot", std::nullopt, {}, "tcp", "10.0.0.2:5555"};
  CHECK(principal_matches(token, {"user:ci-bot"}));
  CHECK_FALSE(principal_matches(token, {"group:ci-bot"}));

  CHECK(check_principal("user:alice").has_value());
  CHECK(check_principal("group:harness-approvers").has_value());
  CHECK(check_principal("user:machine$").has_value());
  for (const char* bad : {"alice", "user:", "group:a b", "role:admin", "user:a:b", ""})
    CHECK_FALSE_MESSAGE(check_principal(bad).has_value(), bad);
}
