#pragma once
// Named profiles from the config: how to reach a model, how to run tools. Plain data; the config
// table (lib/config) fills them, model_api and sandbox consume them.

#include <cstdint>
#include <string>
#include <vector>

namespace harness::model {

struct ModelProfile {
  std::string name;
  std::string provider = "anthropic";  // anthropic | openai | replay
  std::string base_url;                // anthropic: without /v1; openai: with /v1
  std::string model;                   // the provider's model name
  std::string api_key_env;             // name of the env var holding the key; empty = no key
  int max_tokens = 4096;
  std::string file;                           // replay: the recorded responses
  std::int64_t request_timeout_ms = 300'000;  // per HTTP attempt
  int max_attempts = 4;                       // including the first
  std::int64_t backoff_base_ms = 500;  // first retry delay before jitter; doubles per attempt
  std::int64_t backoff_max_ms = 30'000;
  // USD per million tokens, for budget_usd (SPEC §4); 0 = free.
  double price_input_per_mtok = 0;
  double price_output_per_mtok = 0;
  double price_cache_read_per_mtok = 0;
  double price_cache_write_per_mtok = 0;
};

// What `u` costs at `p`'s prices, in USD. Cache reads and writes are the part of input_tokens
// priced at their own rates; the rest of input_tokens at the input price.
double cost_usd(const ModelProfile& p, std::int64_t input_tokens, std::int64_t output_tokens,
                std::int64_t cache_read_tokens, std::int64_t cache_write_tokens);

struct SandboxProfile {
  std::string name;
  std::string driver = "bwrap";  // bwrap | podman | docker | kubectl (host: later)
  std::string binary;            // default: the driver's name on PATH
  bool network = false;
  std::int64_t tool_timeout_ms = 120'000;     // default per tool call; the model may ask for less
  std::int64_t output_cap_bytes = 32 * 1024;  // per stream returned to the model (head + tail)
  std::int64_t memory_mb = 2048;
  std::int64_t pids_max = 512;
  std::int64_t file_size_mb = 1024;
  std::int64_t cpu_seconds = 0;  // 0 = unlimited
  std::vector<std::string> env;  // extra NAME=VALUE set inside the sandbox (the allowlist)
  // podman/docker: global_args go right after the binary on every call; exactly one of
  // container (exec into it) or image (one container per leaf, created with create_args).
  std::vector<std::string> global_args;
  std::string container;  // podman/docker: existing container; kubectl: container in the pod
  std::string image;
  std::vector<std::string> create_args;
  std::string user;  // podman/docker --user for a per-leaf container; "" = the image's
  // kubectl: exactly one of pod or selector; leases cap leaves per pod.
  std::string kube_namespace = "default";  // config key "namespace"
  std::string pod;
  std::string selector;
  std::string context;
  std::string kubeconfig;
  std::int64_t max_leaves_per_pod = 4;
  std::int64_t request_timeout_ms = 30'000;
};

}  // namespace harness::model
