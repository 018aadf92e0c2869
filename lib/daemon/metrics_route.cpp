#include "lib/daemon/metrics_route.hpp"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "lib/base/metrics.hpp"
#include "lib/daemon/api.hpp"

namespace harness::daemon {
namespace {
using metrics::Family;

constexpr std::string_view k_content_type = "text/plain; version=0.0.4; charset=utf-8";

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Resident set size from /proc/self/statm (pages); 0 when unreadable.
double resident_bytes() {
  std::istringstream in(read_file("/proc/self/statm"));
  long long size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double open_fds() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return 0;
  int n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n - 1;  // the directory stream's own descriptor
}

// Seconds since the epoch at which this process started: the boot time (/proc/stat btime) plus
// the process's start in clock ticks after boot (field 22 of /proc/self/stat).
double start_time_seconds() {
  static const double at = [] {
    std::string stat = read_file("/proc/self/stat");
    auto close = stat.rfind(')');  // the command name may contain spaces and parentheses
    if (close == std::string::npos) return 0.0;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) {
    }
    double ticks = std::strtod(field.c_str(), nullptr);
    std::istringstream proc(read_file("/proc/stat"));
    std::string line;
    while (std::getline(proc, line))
      if (line.rfind("btime ", 0) == 0)
        return std::strtod(line.c_str() + 6, nullptr) +
               ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
    return 0.0;
  }();
  return at;
}

// Counts the leaves awaiting approval in the store, page by page, then calls `done`.
void count_gated(store::Store* s, std::string cursor, std::int64_t so_far,
                 std::function<void(Result<std::int64_t>)> done) {
  store::LeafFilter f;
  f.state = model::LeafState::awaiting_approval;
  f.limit = 1000;
  f.cursor = std::move(cursor);
  s->list_leaves(std::move(f), [s, so_far, done = std::move(done)](Result<store::LeafPage> r) {
    if (!r) return done(r.error());
    std::int64_t n = so_far + static_cast<std::int64_t>(r->leaves.size());
    if (r->next_cursor.empty()) return done(n);
    count_gated(s, r->next_cursor, n, done);
  });
}

void set_process_gauges() {
  static Family& rss =
      metrics::gauge("process_resident_memory_bytes", "Resident memory size in bytes.");
  static Family& fds = metrics::gauge("process_open_fds", "Number of open file descriptors.");
  static Family& start = metrics::gauge("process_start_time_seconds",
                                        "Start time of the process since the Unix epoch in "
                                        "seconds.");
  static Family& build =
      metrics::gauge("harness_build_info", "Always 1; the version of this harnessd.", {"version"});
  rss.set(resident_bytes());
  fds.set(open_fds());
  start.set(start_time_seconds());
  build.set({HARNESS_VERSION}, 1);
}
}  // namespace

void count_http_request(std::string_view method, std::string_view route, int status) {
  static Family& requests =
      metrics::counter("harness_http_requests_total",
                       "HTTP requests answered, by method, route pattern and status code.",
                       {"method", "route", "code"});
  requests.inc({std::string(method), std::string(route), std::to_string(status)});
}

void Api::metrics(const http::Request&, const Res& res, const Params&, const Caller&) {
  static Family& leaves = metrics::gauge(
      "harness_leaves",
      "Unfinished leaves by state: queued and running on this daemon; awaiting_approval in the "
      "store.",
      {"state"});
  static Family& queue =
      metrics::gauge("harness_queue_depth", "Leaves waiting for a free slot (max_running).");
  static Family& gates = metrics::gauge("harness_gates_open", "Gates awaiting a verdict.");
  auto queued = static_cast<double>(m_s.leaves->queued_count());
  leaves.set({"queued"}, queued);
  leaves.set({"running"}, static_cast<double>(m_s.leaves->running_count()));
  queue.set(queued);
  set_process_gauges();
  count_gated(m_s.store, "", 0, [res](Result<std::int64_t> n) {
    // A store that cannot answer leaves the last value: the scrape still shows the rest.
    if (n) {
      leaves.set({"awaiting_approval"}, static_cast<double>(*n));
      gates.set(static_cast<double>(*n));
    }
    res->send(200, k_content_type, metrics::render());
  });
}

}  // namespace harness::daemon
