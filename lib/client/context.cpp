#include "lib/client/context.hpp"

#include "lib/client/exit_codes.hpp"
#include "lib/client/interrupt.hpp"

namespace harness::client {

int report_error(Context& ctx, const Error& error) {
  if (interrupted()) {
    ctx.io.err << "harnessctl: interrupted (the leaf keeps running)\n";
    return exit_code::interrupted;
  }
  ctx.io.err << "harnessctl: " << error.message << "\n";
  return exit_code_for_error(error.code);
}

void print_json(std::ostream& out, Json value, bool compact) {
  if (value.is_object()) value["schema"] = 1;
  // Tool output may hold any bytes; never throw on invalid UTF-8 while printing.
  out << dump_json(value, compact ? -1 : 2) << "\n";
}

}  // namespace harness::client
