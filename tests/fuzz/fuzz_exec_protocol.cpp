// The harness-exec reply decoder (lib/sandbox/exec_protocol): what the helper prints back is
// written by whatever runs in the sandbox (a command can replace the helper, or kill it
// mid-frame). Input: one byte choosing the caps, then the helper's stdout. It is decoded as one
// read and as many small ones; both must agree, and a decoded result stays within the caps.
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/sandbox/exec_protocol.hpp"
#include "lib/sandbox/protocol.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

using harness::sandbox::ExecResult;
using harness::sandbox::exec_protocol::Decoder;

struct Decoded {
  bool hello = false, done = false, malformed = false;
  ExecResult result;
};

template <class Reads>
Decoded decode(const Reads& reads, std::int64_t head, std::int64_t tail) {
  Decoder d;
  d.expect(1, head, tail);
  for (std::string_view r : reads) d.feed(r);
  Decoded out{d.hello(), d.done(), d.malformed(), {}};
  FUZZ_CHECK(!out.done || out.hello);
  if (out.done) out.result = d.result();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Small caps, so inputs reach the head+tail join; head and tail may differ.
  std::int64_t head = data[0] & 15, tail = data[0] >> 4;
  std::string_view out(reinterpret_cast<const char*>(data) + 1, size - 1);
  Decoded whole = decode(std::initializer_list<std::string_view>{out}, head, tail);
  Decoded split = decode(harness::fuzz::pieces(out), head, tail);
  FUZZ_CHECK(whole.hello == split.hello && whole.done == split.done &&
             whole.malformed == split.malformed);
  if (!whole.done) return 0;
  const ExecResult& a = whole.result;
  const ExecResult& b = split.result;
  FUZZ_CHECK(a.out == b.out && a.err == b.err && a.exit_code == b.exit_code &&
             a.timed_out == b.timed_out && a.truncated == b.truncated &&
             a.out_bytes == b.out_bytes && a.err_bytes == b.err_bytes);
  // Bounded whatever the helper claims: head + tail + one marker per stream.
  std::size_t bound = static_cast<std::size_t>(head + tail) +
                      harness::sandbox::protocol::elision_marker(INT64_MAX).size();
  FUZZ_CHECK(a.out.size() <= bound && a.err.size() <= bound);
  FUZZ_CHECK(a.exit_code >= 0 && a.exit_code <= 255);
  FUZZ_CHECK(a.out_bytes >= 0 && a.err_bytes >= 0);
  return 0;
}
