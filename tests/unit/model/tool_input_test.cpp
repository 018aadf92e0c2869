#include "lib/model/tool_input.hpp"

#include <doctest/doctest.h>

#include <limits>

using namespace harness;
using namespace harness::model;

namespace {
std::string error_of(std::string_view tool, const char* input) {
  auto r = parse_tool_input(tool, Json::parse(input));
  return r ? "<ok>" : r.error().message;
}
}  // namespace

TEST_CASE("tool input: each tool's fields become its typed struct") {
  auto bash = parse_tool_input("bash", Json::parse(R"({"command": "ls", "timeout_s": 2.5})"));
  REQUIRE(bash.has_value());
  CHECK(std::get<BashInput>(*bash).command == "ls");
  CHECK(*std::get<BashInput>(*bash).timeout_s == 2.5);
  auto read =
      parse_tool_input("read_file", Json::parse(R"({"path": "a", "offset": 3, "limit": null})"));
  REQUIRE(read.has_value());
  CHECK(*std::get<ReadFileInput>(*read).offset == 3);
  CHECK_FALSE(std::get<ReadFileInput>(*read).limit.has_value());
  auto edit = parse_tool_input(
      "edit_file", Json::parse(R"({"path": "a", "old": "x", "new": "y", "replace_all": true})"));
  REQUIRE(edit.has_value());
  CHECK(std::get<EditFileInput>(*edit).replace_all);
  auto list = parse_tool_input("list_files", Json::object());
  REQUIRE(list.has_value());
  CHECK_FALSE(std::get<ListFilesInput>(*list).path.has_value());
  auto grep = parse_tool_input("grep", Json::parse(R"({"pattern": "p", "glob": ""})"));
  REQUIRE(grep.has_value());
  CHECK_FALSE(std::get<GrepInput>(*grep).glob.has_value());
  auto ask = parse_tool_input("request_approval",
                              Json::parse(R"({"summary": "s", "proposed_action": "a"})"));
  REQUIRE(ask.has_value());
  CHECK(std::get<RequestApprovalInput>(*ask).proposed_action == "a");
  CHECK(parse_tool_input("write_file", Json::parse(R"({"path": "a", "content": ""})")));
}

TEST_CASE("tool input: a missing or wrongly typed field is an error naming tool and field") {
  CHECK(error_of("bash", R"({"command": null})") == "bash: `command` is required (a string)");
  CHECK(error_of("bash", R"({"command": 5})") == "bash: `command` must be a string");
  CHECK(error_of("request_approval", R"({"summary": 5, "proposed_action": "x"})") ==
        "request_approval: `summary` must be a string");
  CHECK(error_of("request_approval", R"({"summary": "s"})") ==
        "request_approval: `proposed_action` is required (a string)");
  CHECK(error_of("read_file", R"({"path": "a", "offset": 0})") ==
        "read_file: `offset` must be a positive integer");
  CHECK(error_of("read_file", R"({"path": "a", "limit": 1.5})") ==
        "read_file: `limit` must be a positive integer");
  CHECK(error_of("read_file", R"({"path": "a", "limit": 1e300})") ==
        "read_file: `limit` must be a positive integer");
  CHECK(error_of("write_file", R"({"path": "a", "content": {"x": 1}})") ==
        "write_file: `content` must be a string");
  CHECK(error_of("edit_file", R"({"path": "a", "old": "x", "new": "y", "replace_all": "yes"})") ==
        "edit_file: `replace_all` must be true or false");
  CHECK(error_of("edit_file", R"({"path": "a", "old": "", "new": "y"})") ==
        "edit_file: `old` must not be empty");
  CHECK(error_of("edit_file", R"({"path": "a", "old": "x", "new": "x"})") ==
        "edit_file: `old` and `new` are identical");
  CHECK(error_of("list_files", R"({"path": ["a"]})") == "list_files: `path` must be a string");
  CHECK(error_of("grep", R"({"pattern": ""})") == "grep: `pattern` must not be empty");
  CHECK(error_of("grep", R"({"pattern": "x", "glob": 3})") == "grep: `glob` must be a string");
  CHECK(error_of("bash", R"({"command": "ls", "cmd": "x"})") == "bash: unknown field `cmd`");
  CHECK(error_of("bash", R"([1, 2])") == "bash: the input must be a JSON object");
  // fuzz_tool_input, corpus regress_input_not_object: a JSON string as the whole input.
  CHECK(error_of("edit_file", R"("{")") == "edit_file: the input must be a JSON object");
  CHECK(error_of("nope", R"({})") == "unknown tool nope");
}

TEST_CASE("tool input: bash timeout_s must be finite, positive and at most 365 days") {
  const std::string msg =
      "bash: `timeout_s` must be a number of seconds greater than 0 and at most 31536000 (365 "
      "days)";
  CHECK(error_of("bash", R"({"command": "x", "timeout_s": 0})") == msg);
  CHECK(error_of("bash", R"({"command": "x", "timeout_s": -3})") == msg);
  CHECK(error_of("bash", R"({"command": "x", "timeout_s": "10"})") == msg);
  CHECK(error_of("bash", R"({"command": "x", "timeout_s": 1e300})") == msg);
  CHECK(error_of("bash", R"({"command": "x", "timeout_s": 31536001})") == msg);
  // JSON has no NaN or Infinity literals, but a value built in code may hold them.
  Json inf{{"command", "x"}, {"timeout_s", std::numeric_limits<double>::infinity()}};
  CHECK_FALSE(parse_tool_input("bash", inf).has_value());
  Json nan{{"command", "x"}, {"timeout_s", std::numeric_limits<double>::quiet_NaN()}};
  CHECK_FALSE(parse_tool_input("bash", nan).has_value());
  CHECK(error_of("bash", R"({"command": "x", "timeout_s": 31536000})") == "<ok>");
}

TEST_CASE("tool input: any JSON value for any tool is a value or an error, never a throw") {
  const char* values[] = {"null",
                          "1",
                          "\"s\"",
                          "[]",
                          "{}",
                          R"({"command": []})",
                          R"({"path": {}, "content": 1, "old": null})",
                          R"({"summary": true})"};
  for (std::string_view tool : {"bash", "read_file", "write_file", "edit_file", "list_files",
                                "grep", "request_approval", "other"})
    for (const char* v : values) CHECK_NOTHROW((void)parse_tool_input(tool, Json::parse(v)));
}
