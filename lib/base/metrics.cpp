#include "lib/base/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>

#include "lib/base/assert.hpp"

namespace harness::metrics {
namespace {

struct Registry {
  std::mutex mutex;
  std::deque<Family> families;  // stable addresses
  std::map<std::string, Family*> by_name;
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: families outlive every caller
  return *r;
}

Family& add(Type type, std::string name, std::string help, std::vector<std::string> labels,
            std::vector<double> buckets) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (auto it = r.by_name.find(name); it != r.by_name.end()) return *it->second;
  Family& f =
      r.families.emplace_back(type, name, std::move(help), std::move(labels), std::move(buckets));
  r.by_name.emplace(std::move(name), &f);
  return f;
}

std::string_view type_name(Type t) {
  switch (t) {
    case Type::counter:
      return "counter";
    case Type::gauge:
      return "gauge";
    case Type::histogram:
      return "histogram";
  }
  return "untyped";
}

// {a="x",b="y"} plus an optional extra label (le); "" when there are none.
std::string label_set(const std::vector<std::string>& names, const Values& values,
                      std::string_view extra_name = {}, std::string_view extra_value = {}) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + escape_label_value(i < values.size() ? values[i] : "") + "\"";
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += std::string(extra_name) + "=\"" + std::string(extra_value) + "\"";
  }
  if (!out.empty()) out += "}";
  return out;
}

}  // namespace

Family::Family(Type type, std::string name, std::string help, std::vector<std::string> labels,
               std::vector<double> buckets)
    : m_type(type),
      m_name(std::move(name)),
      m_help(std::move(help)),
      m_labels(std::move(labels)),
      m_buckets(std::move(buckets)) {
  // A family without labels has its one series from the start: it shows 0 before any event.
  if (m_labels.empty()) series({});
}

Family::Series& Family::series(const Values& values) {
  HARNESS_ASSERT(values.size() == m_labels.size());
  auto [it, fresh] = m_series.try_emplace(values);
  if (fresh && m_type == Type::histogram) it->second.hits.assign(m_buckets.size() + 1, 0);
  return it->second;
}

void Family::inc(const Values& values, double by) {
  if (!(by >= 0)) return;
  std::lock_guard lock(registry().mutex);
  series(values).value += by;
}

void Family::set(const Values& values, double v) {
  std::lock_guard lock(registry().mutex);
  series(values).value = v;
}

void Family::clear() {
  std::lock_guard lock(registry().mutex);
  m_series.clear();
  if (m_labels.empty()) series({});
}

void Family::observe(const Values& values, double v) {
  std::lock_guard lock(registry().mutex);
  Series& s = series(values);
  size_t i = 0;
  while (i < m_buckets.size() && v > m_buckets[i]) ++i;
  ++s.hits[i];
  s.sum += v;
  ++s.count;
}

void Family::render(std::string& out) const {
  out += "# HELP " + m_name + " " + escape_help(m_help) + "\n";
  out += "# TYPE " + m_name + " " + std::string(type_name(m_type)) + "\n";
  for (const auto& [values, s] : m_series) {
    if (m_type != Type::histogram) {
      out += m_name + label_set(m_labels, values) + " " + format_value(s.value) + "\n";
      continue;
    }
    std::uint64_t cumulative = 0;
    for (size_t i = 0; i <= m_buckets.size(); ++i) {
      cumulative += s.hits[i];
      std::string le = i < m_buckets.size() ? format_value(m_buckets[i]) : "+Inf";
      out += m_name + "_bucket" + label_set(m_labels, values, "le", le) + " " +
             std::to_string(cumulative) + "\n";
    }
    out += m_name + "_sum" + label_set(m_labels, values) + " " + format_value(s.sum) + "\n";
    out += m_name + "_count" + label_set(m_labels, values) + " " + std::to_string(s.count) + "\n";
  }
}

Family& counter(std::string name, std::string help, std::vector<std::string> labels) {
  return add(Type::counter, std::move(name), std::move(help), std::move(labels), {});
}

Family& gauge(std::string name, std::string help, std::vector<std::string> labels) {
  return add(Type::gauge, std::move(name), std::move(help), std::move(labels), {});
}

Family& histogram(std::string name, std::string help, std::vector<std::string> labels,
                  std::vector<double> buckets) {
  return add(Type::histogram, std::move(name), std::move(help), std::move(labels),
             std::move(buckets));
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> b{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                     2.5,   5,     10,   30,    60,   120, 300,  600};
  return b;
}

std::string render() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::string out;
  for (const auto& [name, f] : r.by_name) f->render(out);
  return out;
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);  // 0.1, not 0.10000000000000001
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace harness::metrics
