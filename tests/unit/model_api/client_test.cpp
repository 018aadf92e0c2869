// ModelClient end to end: a real uv loop, the real HttpClient, and a scripted HTTP server on a
// real TCP socket speaking the providers' wire formats.

#include "lib/model_api/client.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "tests/unit/http/scripted_server.hpp"

namespace harness::model_api {
namespace {

using harness::test::ScriptedResponse;
using harness::test::ScriptedServer;
using model::Json;

constexpr const char* k_anthropic_ok =
    R"({"type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"hello"}],"stop_reason":"end_turn","usage":{"input_tokens":7,"output_tokens":2}})";
constexpr const char* k_overloaded =
    R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})";

model::ModelProfile fast_profile(const std::string& provider, const std::string& base) {
  model::ModelProfile p;
  p.name = "t";
  p.provider = provider;
  p.base_url = base;
  p.model = "m";
  p.max_attempts = 3;
  p.backoff_base_ms = 5;
  p.backoff_max_ms = 50;
  p.request_timeout_ms = 5'000;
  return p;
}

model::ModelRequest hello() {
  model::ModelRequest req;
  req.messages.push_back(model::Message{model::Role::user, "hi", {}, {}});
  return req;
}

struct Outcome {
  std::optional<Result<model::ModelResponse>> result;
  std::vector<AttemptFailure> failures;
  int done_calls = 0;
  bool done_inside_complete = false;
  std::int64_t took_ms = 0;
};

// Runs one complete() on a fresh loop until it settles; ends with uv_loop_close() == 0.
// `after_start` may act on the client (cancel...) right after complete() returned.
Outcome run_call(const model::ModelProfile& p,
                 std::function<void(ModelClient&, std::uint64_t)> on_failure = nullptr) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  Outcome o;
  auto started = std::chrono::steady_clock::now();
  {
    http::HttpClient http(&loop);
    ModelClient client(&loop, http);
    bool inside = true;
    std::uint64_t id = 0;
    id = client.complete(
        p, hello(),
        [&](const AttemptFailure& f) {
          o.failures.push_back(f);
          if (on_failure) on_failure(client, id);
        },
        [&](Result<model::ModelResponse> r) {
          o.done_inside_complete = inside;
          ++o.done_calls;
          o.result.emplace(std::move(r));
        });
    inside = false;
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(client.in_flight() == 0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  o.took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
  CHECK(o.done_calls == 1);
  CHECK_FALSE(o.done_inside_complete);
  REQUIRE(o.result.has_value());
  return o;
}

TEST_CASE("ModelClient: anthropic success sends the key from the environment") {
  ScriptedServer server;
  server.push({200, k_anthropic_ok});
  ::setenv("HARNESS_TEST_ANTHROPIC_KEY", "sk-test-1", 1);
  auto p = fast_profile("anthropic", server.url());
  p.api_key_env = "HARNESS_TEST_ANTHROPIC_KEY";
  auto o = run_call(p);
  REQUIRE(o.result->has_value());
  CHECK((*o.result)->message.text == "hello");
  CHECK((*o.result)->usage.output_tokens == 2);
  CHECK(o.failures.empty());
  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].path == "/v1/messages");
  CHECK(seen[0].header("x-api-key") == "sk-test-1");
  CHECK(Json::parse(seen[0].body)["messages"][0]["content"][0]["text"] == "hi");
}

TEST_CASE("ModelClient: openai success") {
  ScriptedServer server;
  server.push(
      {200,
       R"({"model":"q","choices":[{"message":{"role":"assistant","content":"yo"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}})"});
  auto o = run_call(fast_profile("openai", server.url() + "/v1"));
  REQUIRE(o.result->has_value());
  CHECK((*o.result)->message.text == "yo");
  CHECK(server.requests().at(0).path == "/v1/chat/completions");
  CHECK_FALSE(server.requests().at(0).has_header("authorization"));
}

TEST_CASE("ModelClient: a 529 is retried and then succeeds") {
  ScriptedServer server;
  server.push({529, k_overloaded});
  server.push({200, k_anthropic_ok});
  auto o = run_call(fast_profile("anthropic", server.url()));
  REQUIRE(o.result->has_value());
  CHECK((*o.result)->message.text == "hello");
  REQUIRE(o.failures.size() == 1);
  CHECK(o.failures[0].attempt == 1);
  CHECK(o.failures[0].status == 529);
  CHECK(o.failures[0].message.find("Overloaded") != std::string::npos);
  CHECK(o.failures[0].retry_in_ms >= 0);
  CHECK(o.failures[0].retry_in_ms <= 50);
  CHECK(server.requests().size() == 2);
}

TEST_CASE("ModelClient: retry-after is honoured") {
  ScriptedServer server;
  server.push({429,
               R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"}})",
               {{"retry-after", "1"}}});
  server.push({200, k_anthropic_ok});
  auto p = fast_profile("anthropic", server.url());
  p.backoff_max_ms = 5'000;
  auto o = run_call(p);
  REQUIRE(o.result->has_value());
  REQUIRE(o.failures.size() == 1);
  CHECK(o.failures[0].retry_in_ms == 1000);
  auto at = server.arrivals();
  REQUIRE(at.size() == 2);
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(at[1] - at[0]).count() >= 950);
}

TEST_CASE("ModelClient: retry-after is capped by backoff_max_ms") {
  ScriptedServer server;
  server.push({503, "busy", {{"retry-after", "30"}}});
  server.push({200, k_anthropic_ok});
  auto o = run_call(fast_profile("anthropic", server.url()));
  REQUIRE(o.result->has_value());
  REQUIRE(o.failures.size() == 1);
  CHECK(o.failures[0].retry_in_ms == 50);
  CHECK(o.took_ms < 5000);
}

TEST_CASE("ModelClient: a 400 is not retried and carries the API's message") {
  ScriptedServer server;
  server.push(
      {400,
       R"({"type":"error","error":{"type":"invalid_request_error","message":"messages: text content blocks must be non-empty"}})"});
  auto o = run_call(fast_profile("anthropic", server.url()));
  REQUIRE_FALSE(o.result->has_value());
  CHECK(o.result->error().code == ErrorCode::bad_request);
  CHECK(o.result->error().message.find("text content blocks must be non-empty") !=
        std::string::npos);
  REQUIRE(o.failures.size() == 1);
  CHECK(o.failures[0].retry_in_ms == -1);
  CHECK(server.requests().size() == 1);
}

TEST_CASE("ModelClient: connection refused is retried, then fails with a clear message") {
  auto url = "http://127.0.0.1:" + std::to_string(ScriptedServer::closed_port());
  auto o = run_call(fast_profile("anthropic", url));
  REQUIRE_FALSE(o.result->has_value());
  CHECK(o.result->error().code == ErrorCode::unavailable);
  const auto& msg = o.result->error().message;
  CHECK(msg.find(url + "/v1/messages") != std::string::npos);
  CHECK(msg.find("gave up after 3 attempts") != std::string::npos);
  REQUIRE(o.failures.size() == 3);
  CHECK(o.failures[0].status == 0);
  CHECK(o.failures[0].retry_in_ms >= 0);
  CHECK(o.failures[2].attempt == 3);
  CHECK(o.failures[2].retry_in_ms == -1);
}

TEST_CASE("ModelClient: the per-request timeout applies to each attempt") {
  ScriptedServer server;
  server.push({200, k_anthropic_ok, {}, 3000});
  auto p = fast_profile("anthropic", server.url());
  p.request_timeout_ms = 200;
  p.max_attempts = 1;
  auto o = run_call(p);
  REQUIRE_FALSE(o.result->has_value());
  CHECK(o.result->error().code == ErrorCode::timeout);
  CHECK(o.took_ms < 2000);
}

TEST_CASE("ModelClient: a missing API key env var fails at once, naming the variable") {
  ::unsetenv("HARNESS_TEST_MISSING_KEY");
  auto p = fast_profile("anthropic", "http://127.0.0.1:9");
  p.api_key_env = "HARNESS_TEST_MISSING_KEY";
  auto o = run_call(p);
  REQUIRE_FALSE(o.result->has_value());
  CHECK(o.result->error().code == ErrorCode::invalid);
  CHECK(o.result->error().message.find("HARNESS_TEST_MISSING_KEY") != std::string::npos);
  CHECK(o.failures.empty());
}

TEST_CASE("ModelClient: replay profiles answer from the file without HTTP") {
  std::string path = "/tmp/harness_modelclient_replay_" + std::to_string(::getpid()) + ".json";
  std::ofstream(path)
      << R"({"responses":[{"text":"","tool_calls":[{"name":"bash","input":{"command":"true"}}]}]})";
  auto p = fast_profile("replay", "");
  p.file = path;
  auto o = run_call(p);
  REQUIRE(o.result->has_value());
  CHECK((*o.result)->message.tool_calls.at(0).id == "replay_0_0");
  std::remove(path.c_str());
  auto missing = run_call(p);
  REQUIRE_FALSE(missing.result->has_value());
  CHECK(missing.result->error().code == ErrorCode::not_found);
}

TEST_CASE("ModelClient: cancel during backoff stops further attempts") {
  ScriptedServer server;
  server.push({529, k_overloaded, {{"retry-after", "10"}}});
  server.push({200, k_anthropic_ok});
  auto p = fast_profile("anthropic", server.url());
  p.backoff_max_ms = 10'000;
  auto o = run_call(p, [](ModelClient& c, std::uint64_t id) { c.cancel(id); });
  REQUIRE_FALSE(o.result->has_value());
  CHECK(o.result->error().message == "model call cancelled");
  CHECK(o.failures.size() == 1);
  CHECK(server.requests().size() == 1);
  CHECK(o.took_ms < 5000);
}

TEST_CASE("ModelClient: close() fails a call in flight and the loop finishes") {
  ScriptedServer server;
  server.push({200, k_anthropic_ok, {}, 2000});
  uv_loop_t loop;
  uv_loop_init(&loop);
  int calls = 0;
  {
    http::HttpClient http(&loop);
    ModelClient client(&loop, http);
    client.complete(fast_profile("anthropic", server.url()), hello(), nullptr,
                    [&](Result<model::ModelResponse> r) {
                      ++calls;
                      CHECK_FALSE(r.has_value());
                    });
    for (int i = 0; i < 5; ++i) uv_run(&loop, UV_RUN_NOWAIT);  // the attempt is under way
    client.close();
    CHECK(calls == 1);
    CHECK(client.in_flight() == 0);
    http.close();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  CHECK(calls == 1);
}

}  // namespace
}  // namespace harness::model_api
