#pragma once
// GET /metrics (docs/operations.md "Metrics"): the registry of lib/base/metrics.hpp in the
// Prometheus text format, after the gauges read at scrape time are set (leaves by state, queue
// depth, open gates, the process's memory, descriptors and start time). Loop thread only.

#include <string_view>

namespace harness::daemon {

// One HTTP request answered: by method, route pattern ("/v1/leaves/{}"; "unmatched" when no route
// matched, so raw paths never become label values) and status code.
void count_http_request(std::string_view method, std::string_view route, int status);

}  // namespace harness::daemon
