#include "lib/base/metrics.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <string>

using namespace harness;

namespace {
// The lines of the rendered registry that start with `prefix`, joined.
std::string lines_of(const std::string& prefix) {
  std::string all = metrics::render(), out;
  size_t pos = 0;
  while (pos < all.size()) {
    size_t end = all.find('\n', pos);
    std::string line = all.substr(pos, end - pos);
    if (line.rfind(prefix, 0) == 0) out += line + "\n";
    pos = end + 1;
  }
  return out;
}
}  // namespace

TEST_CASE("metrics: a counter renders HELP, TYPE and one line per label set, in order") {
  auto& c = metrics::counter("t_requests_total", "Requests.\nBy code \\ route.", {"code"});
  c.inc({"200"});
  c.inc({"200"}, 2);
  c.inc({"404"});
  c.inc({"404"}, -5);  // ignored: counters only go up
  CHECK(lines_of("# HELP t_requests_total") ==
        "# HELP t_requests_total Requests.\\nBy code \\\\ route.\n");
  CHECK(lines_of("# TYPE t_requests_total") == "# TYPE t_requests_total counter\n");
  CHECK(lines_of("t_requests_total{") ==
        "t_requests_total{code=\"200\"} 3\nt_requests_total{code=\"404\"} 1\n");
}

TEST_CASE("metrics: label values are escaped") {
  auto& g = metrics::gauge("t_escaped", "Escaping.", {"v"});
  g.set({"a\"b\\c\nd"}, 1.5);
  CHECK(lines_of("t_escaped{") == "t_escaped{v=\"a\\\"b\\\\c\\nd\"} 1.5\n");
  g.clear();
  CHECK(lines_of("t_escaped{").empty());
}

TEST_CASE("metrics: a family without labels shows 0 before anything happened") {
  metrics::counter("t_plain_total", "Plain.");
  CHECK(lines_of("t_plain_total") == "t_plain_total 0\n");
}

TEST_CASE("metrics: histogram buckets are cumulative and end with +Inf, _sum and _count") {
  auto& h = metrics::histogram("t_latency_seconds", "Latency.", {"op"}, {0.5, 1, 10});
  h.observe({"get"}, 0.25);
  h.observe({"get"}, 0.5);  // a bound is inclusive (le)
  h.observe({"get"}, 5);
  h.observe({"get"}, 100);
  CHECK(lines_of("t_latency_seconds") ==
        "t_latency_seconds_bucket{op=\"get\",le=\"0.5\"} 2\n"
        "t_latency_seconds_bucket{op=\"get\",le=\"1\"} 2\n"
        "t_latency_seconds_bucket{op=\"get\",le=\"10\"} 3\n"
        "t_latency_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
        "t_latency_seconds_sum{op=\"get\"} 105.75\n"
        "t_latency_seconds_count{op=\"get\"} 4\n");
  CHECK(lines_of("# TYPE t_latency_seconds") == "# TYPE t_latency_seconds histogram\n");
}

TEST_CASE("metrics: registering a name again returns the same family") {
  auto& a = metrics::counter("t_same_total", "Same.", {"x"});
  auto& b = metrics::counter("t_same_total", "Same.", {"x"});
  CHECK(&a == &b);
}

TEST_CASE("metrics: values are formatted as the format wants") {
  CHECK(metrics::format_value(3) == "3");
  CHECK(metrics::format_value(0.25) == "0.25");
  CHECK(metrics::format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(metrics::format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(metrics::format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}
