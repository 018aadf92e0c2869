#include "lib/client/complete_ids.hpp"

#include <optional>
#include <set>

#include "lib/client/api_client.hpp"
#include "lib/client/json_fields.hpp"

namespace harness::client {
namespace {
constexpr std::int64_t k_timeout_ms = 2'000;  // a TAB must not hang on a daemon that is away
constexpr int k_recent = 100;

// Leaf objects of one listing page; nullopt when the daemon cannot be asked or refuses.
std::optional<Json> leaves_page(ApiClient& client, const std::string& query) {
  auto r = client.get("/v1/leaves?limit=" + std::to_string(k_recent) + query, k_timeout_ms);
  if (!r || !r->is_object()) return std::nullopt;
  auto leaves = r->find("leaves");
  return leaves != r->end() && leaves->is_array() ? *leaves : Json::array();
}
}  // namespace

int complete_ids(const std::vector<std::string>& args, Io io, const EnvLookup& env) {
  std::string what, socket, url;
  std::vector<std::string> states;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool has_value = i + 1 < args.size();
    if (a == "--state" && has_value)
      states.push_back(args[++i] == "gated" ? "awaiting_approval" : args[i]);
    else if (a == "--socket" && has_value)
      socket = args[++i];
    else if (a == "--url" && has_value)
      url = args[++i];
    else if (what.empty() && !a.starts_with("-"))
      what = a;
  }
  if (what != "leaves" && what != "sessions") return 0;
  ApiClient client(discover_endpoint(socket, url, env));
  if (what == "leaves" && states.empty())
    states = {"running", "awaiting_approval", "queued", ""};  // "" = any state, newest first
  if (what == "sessions") states = {""};
  std::set<std::string> seen;
  for (const auto& state : states) {
    auto leaves = leaves_page(client, state.empty() ? "" : "&state=" + url_encode(state));
    if (!leaves) break;  // unreachable or refused: print what we have, silently
    for (const auto& leaf : *leaves) {
      std::string id = jf::str(leaf, what == "leaves" ? "id" : "session");
      if (!id.empty() && seen.insert(id).second) io.out << id << "\n";
    }
  }
  io.out << std::flush;
  return 0;
}

}  // namespace harness::client
