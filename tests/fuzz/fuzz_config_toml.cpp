// Loading harnessd.toml (lib/config: toml++ through toml_reader, the key table, profiles,
// policies, auth) from any text. Whatever loads must survive the round trip the documentation
// promises for `harnessd --print-config`: parse_config(to_toml(c)) yields the same values.
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/config/config.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace harness::config;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Environment env;  // root, nothing set: the defaults do not depend on the fuzzing machine
  env.vars["HOME"] = "/root";
  const std::string source = "/etc/harness/harnessd.toml";
  auto c = parse_config(text, source, Overrides{}, env);
  if (!c) {
    FUZZ_CHECK(!c.error().message.empty());
    return 0;
  }
  std::string printed = to_toml(*c, false);
  auto again = parse_config(printed, source, Overrides{}, env);
  if (!again)
    std::fprintf(stderr, "%s\n--- printed ---\n%s\n", again.error().message.c_str(),
                 printed.c_str());
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(to_toml(*again, false) == printed);
  (void)to_toml(*c, true);
  return 0;
}
