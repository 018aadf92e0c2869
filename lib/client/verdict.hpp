#pragma once
// approve / reject: the request harnessctl sends (docs/api.md, POST /v1/leaves/{id}/approve and
// /reject) and the sentence it prints about the daemon's answer. Pure functions.

#include <string>

#include "lib/client/api_client.hpp"
#include "lib/client/options.hpp"

namespace harness::client {

enum class Verdict { approve, reject };

struct VerdictRequest {
  std::string path;  // /v1/leaves/{id}/approve or /reject
  Json body;
};

// The route and body: "gate" only when --gate was given, "message" only when non-empty,
// "stop" always for reject (never for approve).
VerdictRequest build_verdict_request(const VerdictOptions& opts, Verdict verdict);

// One line on what the answer `{"leaf","verdict","already"}` means: "approved gate 2 of lf_x
// (the leaf continues)", "rejected gate 1 of lf_x and stopped the leaf (now rejected)", or for
// `"already": true` "gate 2 was already approved by alice — nothing changed".
std::string describe_verdict(const Json& answer, const std::string& leaf_id);

}  // namespace harness::client
