// Parsing an Anthropic Messages answer of any status (lib/model_api/anthropic): a model gateway,
// a proxy or the model itself may send anything. Input: "STATUS\nBODY" (see model_response.hpp).
// The provider is called without streaming, so there is no SSE to parse.
#include "lib/model_api/anthropic.hpp"
#include "tests/fuzz/model_response.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto a = harness::fuzz::model_answer(data, size);
  harness::fuzz::check_response(a.status,
                                harness::model_api::parse_anthropic_response(a.status, a.body));
  return 0;
}
