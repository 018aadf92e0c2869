#pragma once
// A small metrics registry rendered in the Prometheus text exposition format 0.0.4: counters,
// gauges and histograms, each a family with fixed label names and a series per label-value tuple.
// Call sites keep a function-local static family and record with one call:
//
//   static auto& calls = metrics::counter("harness_x_total", "What it counts.", {"profile"});
//   calls.inc({profile});
//
// Families are registered once and live until exit. Recording and rendering take one mutex, so
// any thread may record (everything in harnessd records on the loop thread today).

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace harness::metrics {

enum class Type { counter, gauge, histogram };

// Label values in the order of the family's label names.
using Values = std::vector<std::string>;

class Family {
 public:
  Family(Type type, std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> buckets);

  // Counters: adds `by` (>= 0; a negative step is ignored).
  void inc(const Values& values = {}, double by = 1);
  // Gauges.
  void set(const Values& values, double v);
  void set(double v) { set({}, v); }
  // Forgets every series (a gauge recomputed at each scrape drops label values that went away).
  void clear();
  // Histograms: one observation.
  void observe(const Values& values, double v);

  // The family's HELP, TYPE and sample lines. Caller holds the registry's lock.
  void render(std::string& out) const;

 private:
  struct Series {
    double value = 0;                 // counter, gauge
    std::vector<std::uint64_t> hits;  // histogram: per bucket, not cumulative
    double sum = 0;
    std::uint64_t count = 0;
  };
  Series& series(const Values& values);

  Type m_type;
  std::string m_name;
  std::string m_help;
  std::vector<std::string> m_labels;
  std::vector<double> m_buckets;  // upper bounds, ascending; +Inf is implied
  std::map<Values, Series> m_series;
};

// Registers a family (or returns the one already registered under `name`; its type, labels and
// buckets must then match).
Family& counter(std::string name, std::string help, std::vector<std::string> labels = {});
Family& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
Family& histogram(std::string name, std::string help, std::vector<std::string> labels,
                  std::vector<double> buckets);

// Bucket bounds in seconds for latencies from a millisecond to ten minutes.
const std::vector<double>& latency_buckets();

// Every registered family, in name order.
std::string render();

// The exposition format's escaping of a label value (\\, \", \n) and of HELP text (\\, \n).
std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);
// A sample value: integers without a fraction, +Inf/-Inf/NaN spelled as the format wants.
std::string format_value(double v);

}  // namespace harness::metrics
