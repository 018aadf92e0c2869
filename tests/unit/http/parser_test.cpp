// The request parser and target decoding, fed by hand.
#include <doctest/doctest.h>

#include "lib/http/parser.hpp"
#include "lib/http/response.hpp"
#include "lib/http/url.hpp"

using namespace harness;
using namespace harness::http;

TEST_CASE("http parser: stops after each pipelined message and resumes after take()") {
  RequestParser p(ParseLimits{});
  std::string in =
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "GET /b HTTP/1.0\r\n\r\n";
  auto r = p.feed(in);
  REQUIRE(r.status == ParseStatus::complete);
  auto a = p.take();
  CHECK(a.method == "POST");
  CHECK(a.target == "/a");
  CHECK(a.body == "abc");
  CHECK(a.keep_alive);
  auto r2 = p.feed(std::string_view(in).substr(r.consumed));
  REQUIRE(r2.status == ParseStatus::complete);
  CHECK(r.consumed + r2.consumed == in.size());
  auto b = p.take();
  CHECK(b.target == "/b");
  CHECK(b.http_minor == 0);
  CHECK_FALSE(b.keep_alive);  // HTTP/1.0 without keep-alive
}

TEST_CASE("http parser: header names split across reads are joined and lower-cased") {
  RequestParser p(ParseLimits{});
  std::string in = "GET / HTTP/1.1\r\nX-Long-Na";
  CHECK(p.feed(in).status == ParseStatus::need_more);
  CHECK(p.in_message());
  CHECK_FALSE(p.headers_done());
  CHECK(p.feed("me: va").status == ParseStatus::need_more);
  CHECK(p.feed("lue\r\nConnection: close\r\n\r\n").status == ParseStatus::complete);
  auto req = p.take();
  REQUIRE(req.headers.size() == 2);
  CHECK(req.headers[0] == std::pair<std::string, std::string>{"x-long-name", "value"});
  CHECK_FALSE(req.keep_alive);
}

TEST_CASE("http parser: limits and malformed input") {
  RequestParser small(ParseLimits{64, 10});
  CHECK(small.feed("GET /" + std::string(100, 'a') + " HTTP/1.1\r\n\r\n").status ==
        ParseStatus::error);
  CHECK(small.error().status == 431);

  RequestParser body(ParseLimits{1024, 10});
  CHECK(body.feed("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n").status == ParseStatus::error);
  CHECK(body.error().status == 413);
  CHECK(body.error().message.find("10 bytes") != std::string::npos);

  RequestParser junk(ParseLimits{});
  CHECK(junk.feed("\x01\x02 nonsense\r\n\r\n").status == ParseStatus::error);
  CHECK(junk.error().status == 400);

  RequestParser both(ParseLimits{});  // CVE-2019-15605: TE and CL together are refused
  CHECK(both.feed("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")
            .status == ParseStatus::error);
}

TEST_CASE("http parser: Expect: 100-continue is reported once, only while the body is due") {
  RequestParser p(ParseLimits{});
  auto r = p.feed("PUT / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n");
  CHECK(r.send_continue);
  auto r2 = p.feed("o");
  CHECK_FALSE(r2.send_continue);
  CHECK(p.feed("k").status == ParseStatus::complete);
  CHECK(p.take().body == "ok");

  RequestParser q(ParseLimits{});
  auto all = q.feed("PUT / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
  CHECK(all.status == ParseStatus::complete);
  CHECK_FALSE(all.send_continue);  // the body is already here
}

TEST_CASE("http targets: percent-decoding, query splitting, rejects") {
  auto t = parse_target("/v1/leaves/lf%5F1/events?after=3&follow=1&label=a%3Db+c&flag");
  REQUIRE(t);
  CHECK(t->path == "/v1/leaves/lf_1/events");
  CHECK(t->query.at("after") == "3");
  CHECK(t->query.at("label") == "a=b c");
  CHECK(t->query.at("flag").empty());
  CHECK(parse_target("/a+b%zz")->path == "/a+b%zz");  // '+' is literal in paths; bad escapes kept
  CHECK(parse_target("http://localhost/x?y=1")->path == "/x");
  CHECK_FALSE(parse_target("*").has_value());
  CHECK_FALSE(parse_target("/a%00b").has_value());
}

TEST_CASE("http responses: heads, chunks and header injection") {
  HeaderList extra{{"X-Id", "a\r\nSet-Cookie: evil"}};
  ResponseHead h;
  h.status = 201;
  h.content_type = "application/json";
  h.extra = &extra;
  h.content_length = 2;
  auto head = format_head(h);
  CHECK(head ==
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
        "X-Id: a  Set-Cookie: evil\r\n\r\n");
  CHECK(format_chunk("hello, world!!!!!") == "11\r\nhello, world!!!!!\r\n");
  CHECK(format_chunk("").empty());
}
