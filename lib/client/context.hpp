#pragma once
// What every command gets: the global flags, the streams it talks through, and where the daemon
// is. Tests build one over string streams and a temp socket.

#include <iostream>
#include <string>

#include "lib/base/result.hpp"
#include "lib/client/api_client.hpp"
#include "lib/client/endpoint.hpp"
#include "lib/client/format.hpp"
#include "lib/client/options.hpp"

namespace harness::client {

// Streams of one harnessctl invocation: data on `out`, messages on `err`.
struct Io {
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  bool out_tty = false;
  bool err_tty = false;
};

struct Context {
  GlobalOptions global;
  Io io;
  Endpoint endpoint;
  bool color_allowed = false;  // neither --no-color nor $NO_COLOR

  bool json() const { return global.output == "json"; }
  Style out_style() const { return Style{color_allowed && io.out_tty}; }
  Style err_style() const { return Style{color_allowed && io.err_tty}; }
};

// Prints "harnessctl: MESSAGE" on stderr and returns the error's exit code; 130 with a note
// that the leaf keeps running when the failure came from Ctrl-C.
int report_error(Context& ctx, const Error& error);
// Prints `value` with "schema": 1 added at top level (pretty; `compact` for NDJSON lines).
void print_json(std::ostream& out, Json value, bool compact = false);

}  // namespace harness::client
