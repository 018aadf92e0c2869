#include "lib/sandbox/exec_protocol.hpp"

#include <doctest/doctest.h>

#include "lib/sandbox/exec_wire.h"
#include "lib/sandbox/protocol.hpp"

using namespace harness;
using namespace harness::sandbox;
using namespace harness::sandbox::exec_protocol;

namespace {

void put_u32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>(v >> (8 * i));
}
void put_u64(std::string& s, std::uint64_t v) {
  put_u32(s, static_cast<std::uint32_t>(v));
  put_u32(s, static_cast<std::uint32_t>(v >> 32));
}
void put_str(std::string& s, std::string_view v) {
  put_u32(s, static_cast<std::uint32_t>(v.size()));
  s.append(v);
}
std::string frame(std::uint32_t tag, const std::string& body) {
  std::string s;
  put_u32(s, tag);
  put_u32(s, static_cast<std::uint32_t>(body.size()));
  return s + body;
}
std::string hello(std::uint32_t version = HX_VERSION) {
  std::string b;
  put_u32(b, version);
  return frame(HX_TAG_HELLO, b);
}

struct Reply {
  std::uint64_t id = 1;
  std::uint32_t flags = 0;
  std::int32_t code = 0;
  std::uint64_t out_total = 0, err_total = 0;
  std::string out_head, out_tail, err_head, err_tail;
  std::string bytes() const {
    std::string b;
    put_u64(b, id);
    put_u32(b, flags);
    put_u32(b, static_cast<std::uint32_t>(code));
    put_u64(b, out_total);
    put_u64(b, err_total);
    for (const auto* s : {&out_head, &out_tail, &err_head, &err_tail}) put_str(b, *s);
    return frame(HX_TAG_RESULT, b);
  }
};

std::uint32_t u32_at(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return v;
}

Decoder awaiting(std::int64_t cap = 100, std::uint64_t id = 1) {
  Decoder d;
  d.expect(id, cap, cap);
  d.feed(hello());
  return d;
}

}  // namespace

TEST_CASE("exec protocol: SETUP carries the kill grace and the limits in bytes") {
  ChannelLimits lim;
  lim.kill_grace_ms = 1500;
  lim.memory_mb = 512;
  lim.file_size_mb = 2;
  lim.cpu_seconds = 30;
  lim.pids_max = 0;
  auto s = encode_setup(lim);
  REQUIRE(s.size() == HX_FRAME_HEADER + HX_SETUP_BODY);
  CHECK(u32_at(s, 0) == HX_TAG_SETUP);
  CHECK(u32_at(s, 4) == HX_SETUP_BODY);
  CHECK(u32_at(s, 8) == 1500);
  CHECK(u32_at(s, 12) == 512u << 20);
  CHECK(u32_at(s, 20) == 2u << 20);
  CHECK(u32_at(s, 28) == 30);
  CHECK(u32_at(s, 36) == 0);
}

TEST_CASE("exec protocol: REQUEST frames the command, cwd and stdin bytes as they are") {
  ExecRequest req;
  req.command = std::string("printf 'a\\0b'\n", 13);
  req.stdin_data = std::string("\0\xff", 2);
  req.timeout_ms = 2500;
  req.output_cap = 1000;
  auto f = encode_request(7, req, "/w");
  REQUIRE(f.has_value());
  CHECK(u32_at(*f, 0) == HX_TAG_REQUEST);
  CHECK(u32_at(*f, 4) == f->size() - HX_FRAME_HEADER);
  CHECK(u32_at(*f, 8) == 7);
  CHECK(u32_at(*f, 16) == 2500);
  CHECK(u32_at(*f, 20) == 1000);
  CHECK(u32_at(*f, 24) == 1000);
  CHECK(u32_at(*f, 28) == req.command.size());
  CHECK(f->substr(32, req.command.size()) == req.command);
  CHECK(f->substr(f->size() - 2) == req.stdin_data);
}

TEST_CASE("exec protocol: requests that cannot be framed are invalid") {
  ExecRequest req;
  req.output_cap = -1;
  CHECK(encode_request(1, req).error().code == ErrorCode::invalid);
  req.output_cap = std::int64_t(HX_MAX_CAP) + 1;
  CHECK(encode_request(1, req).error().code == ErrorCode::invalid);
  req.output_cap = 10;
  req.stdin_data.assign(HX_MAX_REQUEST_BODY, 'x');
  CHECK(encode_request(1, req).error().code == ErrorCode::invalid);
}

TEST_CASE("exec protocol: a result decodes whole and byte by byte alike") {
  Reply r;
  r.code = 3;
  r.out_total = 6;
  r.out_head = "hello\n";
  r.err_total = 4;
  r.err_head = std::string("e\0r\n", 4);
  std::string wire = hello() + r.bytes();
  Decoder whole, bytewise;
  for (auto* d : {&whole, &bytewise}) d->expect(1, 100, 100);
  whole.feed(wire);
  for (char c : wire) bytewise.feed(std::string_view(&c, 1));
  for (auto* d : {&whole, &bytewise}) {
    REQUIRE(d->done());
    CHECK(d->hello());
    auto res = d->result();
    CHECK(res.exit_code == 3);
    CHECK(res.out == "hello\n");
    CHECK(res.err == r.err_head);
    CHECK(res.out_bytes == 6);
    CHECK_FALSE(res.truncated);
    CHECK_FALSE(res.timed_out);
  }
}

TEST_CASE("exec protocol: hello alone means started, not done") {
  Decoder d;
  d.expect(1, 10, 10);
  CHECK_FALSE(d.hello());
  d.feed(hello().substr(0, 5));
  CHECK_FALSE(d.hello());
  d.feed(hello().substr(5));
  CHECK(d.hello());
  CHECK_FALSE(d.done());
  CHECK_FALSE(d.malformed());
}

TEST_CASE("exec protocol: elided bytes become the marker between head and tail") {
  auto d = awaiting(4);
  Reply r;
  r.out_total = 1'000'000;
  r.out_head = "HEAD";
  r.out_tail = "TAIL";
  r.flags = HX_TIMED_OUT | HX_SIGNALED;
  r.code = 15;
  d.feed(r.bytes());
  REQUIRE(d.done());
  auto res = d.result();
  CHECK(res.out == "HEAD" + protocol::elision_marker(1'000'000 - 8) + "TAIL");
  CHECK(res.truncated);
  CHECK(res.timed_out);
  CHECK(res.exit_code == 128 + 15);
  CHECK(res.out_bytes == 1'000'000);
}

TEST_CASE("exec protocol: a head and tail that cover the stream join without a marker") {
  auto d = awaiting(4);
  Reply r;
  r.out_total = 6;
  r.out_head = "abcd";
  r.out_tail = "ef";
  d.feed(r.bytes());
  REQUIRE(d.done());
  CHECK(d.result().out == "abcdef");
  CHECK_FALSE(d.result().truncated);
}

TEST_CASE("exec protocol: successive requests, each answered by its own id") {
  auto d = awaiting(10, 1);
  Reply r;
  d.feed(r.bytes());
  REQUIRE(d.done());
  d.expect(2, 10, 10);
  CHECK_FALSE(d.done());
  r.id = 2;
  r.code = 9;
  d.feed(r.bytes());
  REQUIRE(d.done());
  CHECK(d.result().exit_code == 9);
}

TEST_CASE("exec protocol: anything but the awaited frame is malformed for good") {
  Reply ok;
  SUBCASE("a result before the hello") {
    Decoder d;
    d.expect(1, 10, 10);
    d.feed(ok.bytes());
    CHECK(d.malformed());
  }
  SUBCASE("another version's hello") {
    Decoder d;
    d.feed(hello(HX_VERSION + 1));
    CHECK(d.malformed());
  }
  SUBCASE("a second hello") {
    auto d = awaiting();
    d.feed(hello());
    CHECK(d.malformed());
  }
  SUBCASE("another request's id") {
    auto d = awaiting(10, 5);
    d.feed(ok.bytes());
    CHECK(d.malformed());
  }
  SUBCASE("a result nobody awaits") {
    auto d = awaiting();
    d.feed(ok.bytes());
    REQUIRE(d.done());
    d.feed(ok.bytes());
    CHECK(d.malformed());
  }
  SUBCASE("bytes after a complete result: the result stands") {
    auto d = awaiting();
    d.feed(ok.bytes() + "junk-bytes");
    CHECK(d.done());
    CHECK(d.malformed());
    CHECK(d.result().exit_code == 0);
  }
  SUBCASE("an unknown tag") {
    auto d = awaiting();
    d.feed(frame(HX_TAG('x', 'x', 'x', 'x'), ""));
    CHECK(d.malformed());
  }
  SUBCASE("a head over its cap") {
    auto d = awaiting(3);
    Reply r;
    r.out_total = 4;
    r.out_head = "abcd";
    d.feed(r.bytes());
    CHECK(d.malformed());
  }
  SUBCASE("fewer bytes in total than came back") {
    auto d = awaiting();
    Reply r;
    r.out_total = 1;
    r.out_head = "ab";
    d.feed(r.bytes());
    CHECK(d.malformed());
  }
  SUBCASE("an exit status or signal out of range") {
    auto d = awaiting();
    Reply r;
    r.code = 256;
    d.feed(r.bytes());
    CHECK(d.malformed());
    auto d2 = awaiting();
    r.code = 0;
    r.flags = HX_SIGNALED;
    d2.feed(r.bytes());
    CHECK(d2.malformed());
  }
  SUBCASE("unknown flags") {
    auto d = awaiting();
    Reply r;
    r.flags = 4;
    d.feed(r.bytes());
    CHECK(d.malformed());
  }
  SUBCASE("trailing bytes inside the frame") {
    auto d = awaiting();
    std::string b = ok.bytes() + "x";
    b[4] = static_cast<char>(b[4] + 1);
    d.feed(b);
    CHECK(d.malformed());
  }
}

TEST_CASE("exec protocol: a frame longer than the caps allow is refused from its header") {
  auto d = awaiting(10);
  std::string h;
  put_u32(h, HX_TAG_RESULT);
  put_u32(h, HX_RESULT_FIXED + 16 + 4 * 10 + 1);
  d.feed(h);
  CHECK(d.malformed());  // before any of the body arrived: nothing of it is buffered
  Decoder idle;
  idle.feed(hello());
  std::string huge;
  put_u32(huge, HX_TAG_RESULT);
  put_u32(huge, 0xffffffffu);
  idle.feed(huge);
  CHECK(idle.malformed());
}
