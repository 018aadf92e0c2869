// The request body built with a model::WireCache: the same bytes as without one, with the
// unchanged prefix of the conversation taken from the cache instead of serialised again.
#include <doctest/doctest.h>

#include "lib/model_api/anthropic.hpp"
#include "lib/model_api/openai.hpp"
#include "tests/unit/model_api/fixtures.hpp"

namespace harness::model_api {
namespace {

using model::Json;

std::string body(const std::string& provider, const model::ModelRequest& req) {
  auto p = test::profile(provider, "http://h:1");
  auto r = provider == "anthropic" ? build_anthropic_request(p, "", req)
                                   : build_openai_request(p, "", req);
  REQUIRE(r.has_value());
  return r->body;
}

TEST_CASE("wire cache: the body is the same bytes with or without it, and the prefix is reused") {
  for (const std::string provider : {"anthropic", "openai"}) {
    CAPTURE(provider);
    model::ModelRequest req = test::sample_request();
    std::string plain = body(provider, req);
    // Exactly what serialising the whole body as one JSON object gives (keys sorted).
    CHECK(plain == model::dump_json(Json::parse(plain)));

    model::WireCache wire;
    req.wire = &wire;
    CHECK(body(provider, req) == plain);
    CHECK(wire.format == provider);
    CHECK(wire.messages.size() == req.messages.size());

    // The next turn: one message more; the earlier ones come from the cache (a marker put in
    // the cache shows up in the body).
    model::Message next;
    next.role = model::Role::assistant;
    next.text = "done";
    req.messages.push_back(next);
    req.wire = nullptr;
    std::string plain2 = body(provider, req);
    req.wire = &wire;
    CHECK(body(provider, req) == plain2);
    CHECK(wire.messages.size() == req.messages.size());
    std::string first = wire.messages[0];
    wire.messages[0] = "{\"marker\":1}";
    CHECK(body(provider, req).find("{\"marker\":1}") != std::string::npos);
    wire.messages[0] = first;

    // A cache of another format, or of a longer conversation, is started afresh.
    model::WireCache other{provider == "anthropic" ? "openai" : "anthropic", {"{\"x\":1}"}};
    req.wire = &other;
    CHECK(body(provider, req) == plain2);
    CHECK(other.format == provider);
    model::WireCache longer{provider, std::vector<std::string>(9, "{\"x\":1}")};
    req.wire = &longer;
    CHECK(body(provider, req) == plain2);
    CHECK(longer.messages.size() == req.messages.size());
  }
}

TEST_CASE("wire cache: no system prompt, no tools, no messages") {
  for (const std::string provider : {"anthropic", "openai"}) {
    model::ModelRequest req;
    std::string b = body(provider, req);
    CHECK(b == model::dump_json(Json::parse(b)));
    CHECK(Json::parse(b)["messages"] == Json::array());
  }
}

}  // namespace
}  // namespace harness::model_api
