#include "lib/model/tool_input.hpp"

#include <cmath>
#include <initializer_list>
#include <vector>

namespace harness::model {
namespace {

// Reads the fields of one tool's input. Every read names the field it checks, so an input
// field nobody asked for can be reported as unknown afterwards.
class Reader {
 public:
  Reader(std::string_view tool, const Json& in) : m_tool(tool), m_in(in) {}

  Result<std::string> required_string(std::string_view key) {
    const Json* v = find(key);
    if (!v) return fail("`" + std::string(key) + "` is required (a string)");
    if (!v->is_string()) return fail(must(key, "a string"));
    return v->get_ref<const std::string&>();
  }
  Result<std::optional<std::string>> optional_string(std::string_view key) {
    const Json* v = find(key);
    if (!v) return std::optional<std::string>();
    if (!v->is_string()) return fail(must(key, "a string"));
    return std::optional<std::string>(v->get_ref<const std::string&>());
  }
  Result<std::optional<std::int64_t>> optional_positive_int(std::string_view key) {
    const Json* v = find(key);
    if (!v) return std::optional<std::int64_t>();
    double d = v->is_number() ? v->get<double>() : 0;
    if (!v->is_number() || !std::isfinite(d) || d < 1 ||
        d > static_cast<double>(k_max_line_number) || std::floor(d) != d)
      return fail(must(key, "a positive integer"));
    return std::optional<std::int64_t>(static_cast<std::int64_t>(d));
  }
  Result<std::optional<double>> optional_seconds(std::string_view key) {
    const Json* v = find(key);
    if (!v) return std::optional<double>();
    double d = v->is_number() ? v->get<double>() : 0;
    if (!v->is_number() || !std::isfinite(d) || d <= 0 || d > k_max_tool_timeout_s)
      return fail(must(key, "a number of seconds greater than 0 and at most 31536000 (365 days)"));
    return std::optional<double>(d);
  }
  Result<bool> optional_bool(std::string_view key, bool fallback) {
    const Json* v = find(key);
    if (!v) return fallback;
    if (!v->is_boolean()) return fail(must(key, "true or false"));
    return v->get<bool>();
  }
  // An error for the first input field none of the reads above asked about.
  Status no_unknown_fields() const {
    for (auto it = m_in.begin(); it != m_in.end(); ++it) {
      bool known = false;
      for (std::string_view k : m_known) known = known || k == it.key();
      if (!known) return fail("unknown field `" + it.key() + "`");
    }
    return {};
  }
  Error fail(std::string what) const {
    return make_error(ErrorCode::bad_request, m_tool + ": " + what);
  }

 private:
  const Json* find(std::string_view key) {
    m_known.push_back(key);
    auto it = m_in.find(key);
    return it == m_in.end() || it->is_null() ? nullptr : &*it;
  }
  static std::string must(std::string_view key, std::string_view what) {
    return "`" + std::string(key) + "` must be " + std::string(what);
  }

  std::string m_tool;
  const Json& m_in;
  std::vector<std::string_view> m_known;
};

Result<ToolInput> bash(Reader& r) {
  BashInput b;
  HARNESS_TRY_ASSIGN(b.command, r.required_string("command"));
  HARNESS_TRY_ASSIGN(b.timeout_s, r.optional_seconds("timeout_s"));
  return ToolInput(std::move(b));
}

Result<ToolInput> read_file(Reader& r) {
  ReadFileInput f;
  HARNESS_TRY_ASSIGN(f.path, r.required_string("path"));
  HARNESS_TRY_ASSIGN(f.offset, r.optional_positive_int("offset"));
  HARNESS_TRY_ASSIGN(f.limit, r.optional_positive_int("limit"));
  return ToolInput(std::move(f));
}

Result<ToolInput> write_file(Reader& r) {
  WriteFileInput f;
  HARNESS_TRY_ASSIGN(f.path, r.required_string("path"));
  HARNESS_TRY_ASSIGN(f.content, r.required_string("content"));
  return ToolInput(std::move(f));
}

Result<ToolInput> edit_file(Reader& r) {
  EditFileInput f;
  HARNESS_TRY_ASSIGN(f.path, r.required_string("path"));
  HARNESS_TRY_ASSIGN(f.old_text, r.required_string("old"));
  HARNESS_TRY_ASSIGN(f.new_text, r.required_string("new"));
  HARNESS_TRY_ASSIGN(f.replace_all, r.optional_bool("replace_all", false));
  if (f.old_text.empty()) return r.fail("`old` must not be empty");
  if (f.old_text == f.new_text) return r.fail("`old` and `new` are identical");
  return ToolInput(std::move(f));
}

Result<ToolInput> list_files(Reader& r) {
  ListFilesInput f;
  HARNESS_TRY_ASSIGN(f.path, r.optional_string("path"));
  HARNESS_TRY_ASSIGN(f.glob, r.optional_string("glob"));
  if (f.glob && f.glob->empty()) f.glob.reset();
  return ToolInput(std::move(f));
}

Result<ToolInput> grep(Reader& r) {
  GrepInput g;
  HARNESS_TRY_ASSIGN(g.pattern, r.required_string("pattern"));
  if (g.pattern.empty()) return r.fail("`pattern` must not be empty");
  HARNESS_TRY_ASSIGN(g.path, r.optional_string("path"));
  HARNESS_TRY_ASSIGN(g.glob, r.optional_string("glob"));
  if (g.glob && g.glob->empty()) g.glob.reset();
  return ToolInput(std::move(g));
}

Result<ToolInput> request_approval(Reader& r) {
  RequestApprovalInput a;
  HARNESS_TRY_ASSIGN(a.summary, r.required_string("summary"));
  HARNESS_TRY_ASSIGN(a.proposed_action, r.required_string("proposed_action"));
  return ToolInput(std::move(a));
}

}  // namespace

Result<ToolInput> parse_tool_input(std::string_view tool, const Json& input) {
  using Parse = Result<ToolInput> (*)(Reader&);
  static constexpr std::pair<std::string_view, Parse> k_tools[] = {
      {"bash", bash},
      {"read_file", read_file},
      {"write_file", write_file},
      {"edit_file", edit_file},
      {"list_files", list_files},
      {"grep", grep},
      {"request_approval", request_approval},
  };
  for (const auto& [name, parse] : k_tools) {
    if (name != tool) continue;
    Reader r(name, input);
    if (!input.is_object()) return r.fail("the input must be a JSON object");
    HARNESS_TRY_ASSIGN(ToolInput parsed, parse(r));
    HARNESS_TRY(r.no_unknown_fields());
    return parsed;
  }
  return make_error(ErrorCode::bad_request, "unknown tool " + std::string(tool));
}

}  // namespace harness::model
