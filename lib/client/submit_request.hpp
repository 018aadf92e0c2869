#pragma once
// Turns submit/run/resume/fork options into the HTTP request: route, JSON body, headers. Reads the
// prompt file, stdin (only for "-") and --input files; all local problems are bad_request, which
// harnessctl reports as a usage error (exit 2).

#include <istream>
#include <string>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/client/api_client.hpp"
#include "lib/client/options.hpp"

namespace harness::client {

struct SubmitRequest {
  std::string path;  // /v1/leaves, /v1/sessions/{id}/leaves or /v1/sessions/{id}/fork
  Json body;
  Headers headers;  // Idempotency-Key when given
  // Things the user should know, for stderr (e.g. a prompt file that was not UTF-8 was repaired).
  std::vector<std::string> notes;
};

// Builds the request; `in` is read only when the prompt is "-" (or -f -).
// `cwd` makes --workdir absolute (tests pass their own). A prompt read from a file or stdin
// that is not UTF-8 is repaired (U+FFFD) with a note; a prompt argument or an absolute workdir
// that is not UTF-8 is a usage error.
Result<SubmitRequest> build_submit_request(const SubmitOptions& opts, std::istream& in,
                                           const std::string& cwd);

// The current working directory, or "" when it cannot be determined.
std::string current_dir();

}  // namespace harness::client
