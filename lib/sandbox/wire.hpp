#pragma once
// The channel's protocol seam: what a Channel writes to its shell and how it reads the answer,
// for the POSIX sh protocol (protocol.hpp) and harness-exec (exec_protocol.hpp). One Wire per
// started shell; one command at a time. No I/O.

#include <memory>
#include <string>
#include <string_view>

#include "lib/base/result.hpp"
#include "lib/sandbox/exec.hpp"

namespace harness::sandbox {

class Wire {
 public:
  virtual ~Wire() = default;
  // Written once, right after the shell started (the sh bootstrap, harness-exec's SETUP).
  virtual std::string greeting() = 0;
  // The bytes that run `req`; from now on feed() decodes its answer. invalid when `req` cannot
  // be framed (too large).
  virtual harness::Result<std::string> begin(const ExecRequest& req) = 0;
  // Everything the shell prints on stdout, as it arrives.
  virtual void feed(std::string_view data) = 0;
  // The current command reached the sandbox (sh: its ack; harness-exec: the helper's hello). A
  // shell dying before that is reopened and the command resent.
  virtual bool started() const = 0;
  // done: the current command's answer is complete. malformed: the shell printed something the
  // protocol does not allow (possibly after a complete answer, which then still stands); the
  // shell is not to be used again.
  virtual bool done() const = 0;
  virtual bool malformed() const = 0;
  // The current command's result (duration_ms not set). Only when done().
  virtual ExecResult result() const = 0;
};

std::unique_ptr<Wire> make_wire(ChannelProtocol protocol, const ChannelLimits& limits);

}  // namespace harness::sandbox
