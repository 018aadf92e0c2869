#include <doctest/doctest.h>

#include "lib/base/base64.hpp"
#include "lib/sandbox/protocol.hpp"

using namespace harness;
using namespace harness::sandbox;
using namespace harness::sandbox::protocol;

namespace {

std::string wrapped_b64(std::string_view bytes) {
  std::string b64 = base64_encode(bytes), out;
  for (size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\n";
  return out;
}

// What __h_run prints for one command, as the shell would.
std::string fake_reply(const std::string& nonce, int rc, bool to, const std::string& out,
                       const std::string& err, std::int64_t cap) {
  std::string s = "\n__HARNESS_ACK_" + nonce + "\n";
  s += "__HARNESS_RES_" + nonce + " " + std::to_string(rc) + " " + (to ? "1" : "0") + " " +
       std::to_string(out.size()) + " " + std::to_string(err.size()) + "\n";
  for (const auto* stream : {&out, &err}) {
    auto size = static_cast<std::int64_t>(stream->size());
    if (size > 2 * cap) {
      s += wrapped_b64(stream->substr(0, cap)) + ".\n";
      s += wrapped_b64(stream->substr(stream->size() - cap)) + ".\n";
    } else {
      s += wrapped_b64(*stream) + ".\n.\n";
    }
  }
  return s + "__HARNESS_END_" + nonce + "\n";
}

// The payload of the heredoc named `name` in an encoded command frame.
std::string heredoc_payload(const std::string& frame, const std::string& name) {
  auto start = frame.find("__h_put " + name + " <<'");
  REQUIRE(start != std::string::npos);
  auto body = frame.find('\n', start) + 1;
  auto term_start = frame.find("<<'", start) + 3;
  std::string term = frame.substr(term_start, frame.find('\'', term_start) - term_start);
  auto end = frame.find("\n" + term + "\n", body - 1);
  REQUIRE(end != std::string::npos);
  std::string b64 = frame.substr(body, end - body);
  for (auto line_end = b64.find('\n'); line_end != std::string::npos;
       line_end = b64.find('\n', line_end + 1)) {
    CHECK(line_end <= 76 + b64.rfind('\n', line_end - 1) + 1);
  }
  CHECK(b64.find('_') == std::string::npos);
  return *base64_decode(b64);
}

}  // namespace

TEST_CASE("protocol: nonces are 16 hex chars and differ") {
  auto a = new_nonce(), b = new_nonce();
  CHECK(a.size() == 16);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != b);
}

TEST_CASE("protocol: a command frame carries command and stdin binary-safe in heredocs") {
  ExecRequest req;
  req.command = "printf '%s' \"$X\"\n__HARNESS_n1\necho done";
  req.stdin_data = std::string("\0\1\2 binary\xff\n", 13) + std::string(500, 'z');
  req.timeout_ms = 4500;
  req.output_cap = 100;
  std::string frame = encode_command("n1", req);
  CHECK(heredoc_payload(frame, "c.n1") == req.command);
  CHECK(heredoc_payload(frame, "i.n1") == req.stdin_data);
  CHECK(frame.substr(frame.size() - 19) == "__h_run n1 5 100 1\n");

  req.stdin_data.clear();
  std::string no_stdin = encode_command("n2", req);
  CHECK(no_stdin.find("i.n2") == std::string::npos);
  CHECK(no_stdin.substr(no_stdin.size() - 19) == "__h_run n2 5 100 0\n");
}

TEST_CASE("protocol: the parser decodes a reply fed in any split, ignoring other output") {
  std::string out("bin\0ary\n__HARNESS_END_abc\n", 26);
  std::string reply = "junk before\n__HARNESS_RES_other 9 0 1 1\n" +
                      fake_reply("abc", 3, false, out, "warn\n", 1000) + "trailing junk";
  for (size_t step : {size_t{1}, size_t{7}, reply.size()}) {
    ResponseParser p("abc", 1000);
    for (size_t i = 0; i < reply.size(); i += step) p.feed(std::string_view(reply).substr(i, step));
    REQUIRE(p.done());
    auto r = p.result();
    CHECK(r.exit_code == 3);
    CHECK(r.out == out);
    CHECK(r.err == "warn\n");
    CHECK_FALSE(r.timed_out);
    CHECK_FALSE(r.truncated);
  }
}

TEST_CASE("protocol: started() only after the command's own acknowledgement") {
  ResponseParser p("abc", 10);
  p.feed("__HARNESS_ACK_other\n__HARNESS_ACK_ab");
  CHECK_FALSE(p.started());
  p.feed("c\n");
  CHECK(p.started());
  CHECK_FALSE(p.done());
}

TEST_CASE("protocol: over 2*cap, head and tail are joined by the elision marker") {
  std::string out = std::string(10, 'h') + std::string(50, '-') + std::string(10, 't');
  ResponseParser p("n", 10);
  p.feed(fake_reply("n", 0, true, out, "", 10));
  REQUIRE(p.done());
  auto r = p.result();
  CHECK(r.truncated);
  CHECK(r.timed_out);
  CHECK(r.out_bytes == 70);
  CHECK(r.out == std::string(10, 'h') + "\n…[50 bytes elided]…\n" + std::string(10, 't'));
  CHECK(elision_marker(50) == "\n…[50 bytes elided]…\n");
}

TEST_CASE("protocol: replies larger than the cap allows, or out of order, are malformed") {
  ResponseParser big("n", 3);
  big.feed(fake_reply("n", 0, false, std::string(600, 'x'), "", 300));
  CHECK(big.malformed());

  ResponseParser early("n", 10);
  early.feed("__HARNESS_RES_n 0 0 1 0\nYQ==\n.\n__HARNESS_END_n\n");
  CHECK(early.malformed());

  ResponseParser bad_res("n", 10);
  bad_res.feed("__HARNESS_RES_n zero 0 1 0\n");
  CHECK(bad_res.malformed());
}

TEST_CASE("protocol: an overlong junk line is dropped without growing memory") {
  ResponseParser p("n", 10);
  p.feed(std::string(200 * 1024, 'j'));
  p.feed("\n" + fake_reply("n", 0, false, "ok", "", 10));
  REQUIRE(p.done());
  CHECK(p.result().out == "ok");
}

TEST_CASE("protocol: the bootstrap sets the profile's ulimits and a private dir") {
  ChannelLimits lim;
  lim.memory_mb = 2048;
  lim.file_size_mb = 10;
  lim.cpu_seconds = 0;
  std::string s = bootstrap_script(lim, "chan1");
  CHECK(s.find("ulimit -v 2097152") != std::string::npos);
  CHECK(s.find("ulimit -f 20480") != std::string::npos);
  CHECK(s.find("ulimit -t") == std::string::npos);
  CHECK(s.find("__h='/tmp/.harness/chan1'") != std::string::npos);
}
