#include "lib/model/profiles.hpp"

#include <algorithm>

namespace harness::model {

double cost_usd(const ModelProfile& p, std::int64_t input_tokens, std::int64_t output_tokens,
                std::int64_t cache_read_tokens, std::int64_t cache_write_tokens) {
  // A provider that reports more cache tokens than input tokens is believed on the cache split;
  // the plain input part never goes negative.
  std::int64_t plain =
      std::max<std::int64_t>(0, input_tokens - cache_read_tokens - cache_write_tokens);
  double micro = static_cast<double>(plain) * p.price_input_per_mtok +
                 static_cast<double>(output_tokens) * p.price_output_per_mtok +
                 static_cast<double>(cache_read_tokens) * p.price_cache_read_per_mtok +
                 static_cast<double>(cache_write_tokens) * p.price_cache_write_per_mtok;
  return micro / 1e6;
}

}  // namespace harness::model
