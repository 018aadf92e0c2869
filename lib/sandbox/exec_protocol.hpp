#pragma once
// The daemon's side of the harness-exec wire format (exec_wire.h) as pure functions: the frames
// the channel writes, and an incremental decoder of what the helper prints back. No I/O.

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/base/result.hpp"
#include "lib/sandbox/exec.hpp"

namespace harness::sandbox::exec_protocol {

// The SETUP frame: the kill grace and the limits every command's process starts with.
std::string encode_setup(const ChannelLimits& limits);

// The REQUEST frame running `req` as request `id`, its stdout and stderr each capped at
// output_cap head + output_cap tail bytes. `cwd` "" = the helper's own working directory.
// invalid when command + stdin exceed the frame limit or output_cap is out of range.
harness::Result<std::string> encode_request(std::uint64_t id, const ExecRequest& req,
                                            std::string_view cwd = {});

// Incremental decoder of the helper's stdout: its HELLO, then one RESULT per request. Memory
// stays bounded by the caps of the awaited request whatever the helper prints; anything that is
// not the expected frame makes it malformed for good (done() stays true if the awaited result
// was complete before: that result stands).
class Decoder {
 public:
  // Awaits the RESULT of request `id` with these caps (clears the previous result).
  void expect(std::uint64_t id, std::int64_t head_cap, std::int64_t tail_cap);
  void feed(std::string_view data);
  bool hello() const { return m_hello; }  // the helper is running (its HELLO arrived)
  bool done() const { return m_done; }    // the awaited RESULT arrived
  bool malformed() const { return m_malformed; }
  // The decoded result (duration_ms not set), head and tail joined by an elision marker when
  // bytes were elided. Only when done().
  ExecResult result() const;

 private:
  void on_frame(std::uint32_t tag, std::string_view body);
  bool on_result(std::string_view body);

  std::string m_buf;  // the current frame, header included
  bool m_hello = false;
  bool m_done = false;
  bool m_malformed = false;
  bool m_expecting = false;
  std::uint64_t m_id = 0;
  std::int64_t m_head_cap = 0;
  std::int64_t m_tail_cap = 0;
  ExecResult m_result;
};

}  // namespace harness::sandbox::exec_protocol
