// The channel's response parser (lib/sandbox/protocol): what the sandboxed shell prints back is
// written by whatever runs in the sandbox. Input: one byte choosing the output cap, then the
// shell's stdout. It is parsed as one read and as many small ones; both must agree, and a
// decoded result stays within the cap.
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/sandbox/protocol.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

using harness::sandbox::ExecResult;
using harness::sandbox::protocol::ResponseParser;

constexpr const char* k_nonce = "0123456789abcdef";

struct Parsed {
  bool started = false, done = false, malformed = false;
  ExecResult result;
};

template <class Reads>
Parsed parse(const Reads& reads, std::int64_t cap) {
  ResponseParser p(k_nonce, cap);
  for (std::string_view r : reads) p.feed(r);
  Parsed out{p.started(), p.done(), p.malformed(), {}};
  FUZZ_CHECK(!(out.done && out.malformed));
  if (out.done) out.result = p.result();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::int64_t cap = 1 + data[0] % 64;  // small, so inputs reach the head+tail elision
  std::string_view out(reinterpret_cast<const char*>(data) + 1, size - 1);
  Parsed whole = parse(std::initializer_list<std::string_view>{out}, cap);
  Parsed split = parse(harness::fuzz::pieces(out), cap);
  FUZZ_CHECK(whole.started == split.started && whole.done == split.done &&
             whole.malformed == split.malformed);
  if (!whole.done) return 0;
  const ExecResult& a = whole.result;
  const ExecResult& b = split.result;
  FUZZ_CHECK(a.out == b.out && a.err == b.err && a.exit_code == b.exit_code &&
             a.timed_out == b.timed_out && a.truncated == b.truncated);
  // Memory stays bounded whatever the shell prints: each of the two sections of a stream holds
  // at most the base64 of 2*cap bytes (+ padding), plus the elision marker between them. (Our
  // own shell functions send a cap-byte head and tail when eliding; the parser does not insist.)
  std::size_t section = 2 * cap + 5;
  std::size_t bound = 2 * section + harness::sandbox::protocol::elision_marker(INT64_MAX).size();
  FUZZ_CHECK(a.out.size() <= bound && a.err.size() <= bound);
  return 0;
}
