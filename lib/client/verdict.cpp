#include "lib/client/verdict.hpp"

#include "lib/client/gate_format.hpp"
#include "lib/client/json_fields.hpp"

namespace harness::client {

VerdictRequest build_verdict_request(const VerdictOptions& o, Verdict verdict) {
  VerdictRequest req;
  req.path =
      "/v1/leaves/" + url_encode(o.id) + (verdict == Verdict::approve ? "/approve" : "/reject");
  req.body = Json::object();
  if (o.gate > 0) req.body["gate"] = o.gate;
  if (!o.message.empty()) req.body["message"] = o.message;
  if (verdict == Verdict::reject) req.body["stop"] = o.stop;
  return req;
}

std::string describe_verdict(const Json& answer, const std::string& leaf_id) {
  const Json& v = jf::obj(answer, "verdict");
  std::string gate = "gate " + std::to_string(jf::num(v, "gate"));
  std::string word = jf::str(v, "verdict", "decided");
  bool stop = jf::flag(v, "stop");
  if (jf::flag(answer, "already"))
    return gate + " was already " + word + (stop ? " (leaf stopped)" : "") + " by " +
           format_who(jf::obj(v, "by")) + " — nothing changed";
  std::string leaf = jf::str(jf::obj(answer, "leaf"), "id", leaf_id);
  std::string what = word + " " + gate + " of " + leaf;
  if (word == "approved") return what + " (the leaf continues)";
  if (stop)
    return what + " and stopped the leaf (now " +
           jf::str(jf::obj(answer, "leaf"), "state", "rejected") + ")";
  return what + " (the model is told no and continues)";
}

}  // namespace harness::client
