#include "lib/client/leaf_watch.hpp"

#include <time.h>

#include <algorithm>

#include "lib/client/exit_codes.hpp"
#include "lib/client/interrupt.hpp"
#include "lib/model/leaf.hpp"

namespace harness::client {
namespace {
// One long-poll asks for at most this long, so a daemon restart is noticed within a minute.
constexpr std::int64_t k_poll_s = 60;

// Sleeps ms (returns early on SIGINT, which interrupts nanosleep).
void nap(std::int64_t ms) {
  timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1'000'000};
  nanosleep(&ts, nullptr);
}

std::string leaf_path(const std::string& id) {
  return "/v1/leaves/" + url_encode(id);
}
}  // namespace

std::string field(const Json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool leaf_is_terminal(const Json& leaf) {
  auto s = model::parse_leaf_state(field(leaf, "state"));
  return s && model::is_terminal(*s);
}

int leaf_exit_code(const Json& leaf) {
  return exit_code_for_leaf(field(leaf, "state"), field(leaf, "reason"));
}

Result<Json> wait_for_leaf(ApiClient& client, const std::string& id,
                           std::optional<TimeMs> deadline) {
  for (;;) {
    if (interrupted()) return make_error(ErrorCode::internal, "interrupted");
    std::int64_t chunk = k_poll_s;
    if (deadline)
      chunk = std::clamp<std::int64_t>((*deadline - now_ms() + 999) / 1000, 0, k_poll_s);
    TimeMs asked = now_ms();
    HARNESS_TRY_ASSIGN(
        Json leaf,
        client.get(leaf_path(id) + "/wait?timeout=" + std::to_string(chunk), (chunk + 15) * 1000));
    if (leaf_is_terminal(leaf)) return leaf;
    if (chunk == 0 || (deadline && now_ms() >= *deadline)) return leaf;
    // A daemon that answers a long-poll at once must not turn this into a busy loop.
    if (now_ms() - asked < 200) nap(500);
  }
}

Result<std::optional<Json>> follow_events(ApiClient& client, const std::string& id,
                                          std::int64_t after,
                                          const std::function<void(const Json&)>& on_event) {
  std::optional<Json> end;
  bool got_any = false;
  auto on_line = [&](std::string_view line) {
    got_any = true;
    Json j = Json::parse(line, nullptr, false);
    if (!j.is_object()) return true;  // a garbled line is skipped, not fatal
    std::string type = field(j, "type");
    if (type == "heartbeat") return true;
    if (type == "end") {
      end = j.contains("leaf") && j["leaf"].is_object() ? j["leaf"] : Json::object();
      return false;
    }
    on_event(j);
    return true;
  };
  auto st = client.stream(leaf_path(id) + "/events?after=" + std::to_string(after) + "&follow=1",
                          on_line);
  if (!st) {
    // A stream that dropped after some output is reported as "ended early"; the caller falls
    // back to waiting. Errors before anything arrived (404, refused) are real errors.
    if (!got_any || interrupted() || st.error().code != ErrorCode::unavailable) return st.error();
    return std::optional<Json>{};
  }
  return end;
}

}  // namespace harness::client
