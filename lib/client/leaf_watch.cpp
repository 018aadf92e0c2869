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
// A dropped event stream is resumed; attempts in a row that bring nothing give up after this.
constexpr int k_max_idle_reconnects = 5;
constexpr std::int64_t k_reconnect_nap_ms = 100;

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

// A stream can drop: the daemon disconnects a follower that falls too far behind
// (max_follower_buffer), or a proxy or restart cuts it. Each reconnect asks for the events after
// the last seq handed to on_event, and anything at or below it is skipped, so the caller sees
// every event exactly once. Reconnecting stops after k_max_idle_reconnects attempts in a row
// that brought no new event.
Result<std::optional<Json>> follow_events(ApiClient& client, const std::string& id,
                                          std::int64_t after,
                                          const std::function<void(const Json&)>& on_event) {
  std::optional<Json> end;
  std::int64_t last_seq = after;
  bool got_any = false;   // over all attempts
  bool progress = false;  // a new event in this attempt
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
    auto seq = j.find("seq");
    if (seq != j.end() && seq->is_number_integer()) {
      std::int64_t n = seq->get<std::int64_t>();
      if (n <= last_seq) return true;  // already shown before a reconnect
      last_seq = n;
    }
    progress = true;
    on_event(j);
    return true;
  };
  for (int idle = 0;;) {
    progress = false;
    auto st = client.stream(
        leaf_path(id) + "/events?after=" + std::to_string(last_seq) + "&follow=1", on_line);
    if (end) return end;
    if (interrupted()) return make_error(ErrorCode::internal, "interrupted");
    // Errors before anything arrived (404, refused) are real errors; later ones end the stream
    // early and the caller falls back to waiting.
    if (!st && !got_any) return st.error();
    if (!st && st.error().code != ErrorCode::unavailable) return std::optional<Json>{};
    idle = progress ? 0 : idle + 1;
    if (idle >= k_max_idle_reconnects) return std::optional<Json>{};
    if (idle > 0) nap(k_reconnect_nap_ms * idle);
  }
}

}  // namespace harness::client
