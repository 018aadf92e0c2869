// follow_events against a fake daemon whose event stream drops: it reconnects from the last seq
// it handed out, so every event arrives exactly once.
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <vector>

#include "lib/client/leaf_watch.hpp"
#include "tests/unit/client/test_server.hpp"

using namespace harness;
using namespace harness::client;
using namespace harness::client::testing;

namespace {
std::string event_line(int seq) {
  return Json{{"type", "tool_finished"}, {"seq", seq}, {"data", Json::object()}}.dump() + "\n";
}

std::int64_t after_of(const std::string& target) {
  auto at = target.find("after=");
  return at == std::string::npos ? -1 : std::atoll(target.c_str() + at + 6);
}
}  // namespace

TEST_CASE("follow_events: a dropped stream resumes after the last seq, no gap, no duplicate") {
  std::atomic<int> streams{0};
  // Each stream sends a few events from `after` on (one repeated, as a server replaying its
  // last event would) and drops in the middle of a line; the fourth ends properly.
  TestServer server([&](const Request& r, int fd) {
    int n = ++streams;
    auto after = static_cast<int>(after_of(r.target));
    begin_chunks(fd);
    if (after > 0) send_chunk(fd, event_line(after));
    for (int seq = after + 1; seq <= after + 3; ++seq) send_chunk(fd, event_line(seq));
    if (n < 4) {
      send_chunk(fd, event_line(after + 4).substr(0, 10));  // cut mid-line
      return;                                               // closed without the last chunk
    }
    send_chunk(
        fd,
        Json{{"type", "end"}, {"leaf", {{"id", "lf_1"}, {"state", "succeeded"}}}}.dump() + "\n");
    end_chunks(fd);
  });
  Endpoint ep;
  ep.socket_path = server.socket_path();
  ApiClient client(ep);
  std::vector<std::int64_t> seen;
  auto end = follow_events(client, "lf_1", 0,
                           [&](const Json& e) { seen.push_back(e["seq"].get<std::int64_t>()); });
  REQUIRE(end);
  REQUIRE(*end);
  CHECK((**end)["state"] == "succeeded");
  CHECK(seen == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 4);
  CHECK(after_of(reqs[0].target) == 0);
  CHECK(after_of(reqs[1].target) == 3);
  CHECK(after_of(reqs[3].target) == 9);
}

TEST_CASE("follow_events: a stream that keeps dropping without news gives up") {
  std::atomic<int> streams{0};
  TestServer server([&](const Request&, int fd) {
    ++streams;
    begin_chunks(fd);
    send_chunk(fd, R"({"type":"heartbeat"})"
                   "\n");
  });
  Endpoint ep;
  ep.socket_path = server.socket_path();
  ApiClient client(ep);
  auto end = follow_events(client, "lf_1", 0, [](const Json&) {});
  REQUIRE(end);
  CHECK_FALSE(*end);  // the caller falls back to waiting
  CHECK(streams == 5);
}
