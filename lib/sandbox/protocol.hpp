#pragma once
// The channel's wire format as pure functions: what the daemon writes to the sandbox shell's
// stdin, and a parser for what it prints back. No I/O; the protocol is described in channel.cpp.

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/sandbox/exec.hpp"

namespace harness::sandbox::protocol {

// A fresh random nonce (16 lowercase hex chars) for one command or one channel.
std::string new_nonce();

// The script sent once when the shell starts: ulimits, the private dir <private_dir>/<channel_id>,
// and the functions __h_put / __h_run that every command frame calls.
std::string bootstrap_script(const ChannelLimits& limits, std::string_view channel_id);

// The text that runs one command: its (and its stdin's) base64 in heredocs, then __h_run.
std::string encode_command(std::string_view nonce, const ExecRequest& req);

// "…[N bytes elided]…" between newlines: what replaces the middle of a capped stream.
std::string elision_marker(std::int64_t elided_bytes);

// Incremental parser of the shell's stdout for one command's nonce. Lines that are not this
// nonce's markers are ignored; memory stays bounded by the cap whatever the shell prints.
class ResponseParser {
 public:
  ResponseParser(std::string nonce, std::int64_t output_cap);
  void feed(std::string_view data);
  bool started() const { return m_started; }  // the shell acknowledged the command
  bool done() const { return m_state == State::done; }
  bool malformed() const { return m_state == State::malformed; }
  // The decoded result (duration_ms not set). Only when done().
  ExecResult result() const;

 private:
  enum class State { waiting, sections, done, malformed };
  void on_line(std::string_view line);
  void on_result_line(std::string_view rest);

  std::string m_nonce;
  std::int64_t m_cap;
  std::size_t m_section_limit;
  State m_state = State::waiting;
  bool m_started = false;
  bool m_skip_line = false;  // dropping the rest of an overlong line
  std::string m_line;
  int m_section = 0;  // 0 out head, 1 out tail, 2 err head, 3 err tail
  std::string m_sections[4];
  int m_exit_code = 0;
  bool m_timed_out = false;
  std::int64_t m_out_bytes = 0;
  std::int64_t m_err_bytes = 0;
};

}  // namespace harness::sandbox::protocol
