// Parsing an OpenAI Chat Completions answer of any status (lib/model_api/openai), the dialect of
// Ollama, vLLM, llama.cpp and LiteLLM too. Input: "STATUS\nBODY" (see model_response.hpp). The
// provider is called without streaming, so there is no SSE to parse.
#include "lib/model_api/openai.hpp"
#include "tests/fuzz/model_response.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto a = harness::fuzz::model_answer(data, size);
  harness::fuzz::check_response(a.status,
                                harness::model_api::parse_openai_response(a.status, a.body));
  return 0;
}
