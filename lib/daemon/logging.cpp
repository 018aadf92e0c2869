#include "lib/daemon/logging.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "lib/base/json_dump.hpp"

namespace harness::daemon {
namespace {

// syslog(3) priorities, which journald reads from a leading "<N>".
int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical:
      return 2;
    case spdlog::level::err:
      return 3;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::info:
      return 6;
    default:
      return 7;
  }
}

std::string iso_time(spdlog::log_clock::time_point tp) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::json line{{"ts", iso_time(msg.time)},
                        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                                              spdlog::level::to_string_view(msg.level).size())},
                        {"msg", std::string(msg.payload.data(), msg.payload.size())}};
    std::string text = dump_json(line);
    text += '\n';
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// Puts "<N>" in front of whatever the wrapped formatter writes.
class PriorityPrefix final : public spdlog::formatter {
 public:
  explicit PriorityPrefix(std::unique_ptr<spdlog::formatter> inner) : m_inner(std::move(inner)) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    char prefix[8];
    int n = std::snprintf(prefix, sizeof(prefix), "<%d>", syslog_priority(msg.level));
    dest.append(prefix, prefix + n);
    m_inner->format(msg, dest);
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<PriorityPrefix>(m_inner->clone());
  }

 private:
  std::unique_ptr<spdlog::formatter> m_inner;
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_log_formatter(const std::string& format, bool journal) {
  std::unique_ptr<spdlog::formatter> f;
  if (format == "json")
    f = std::make_unique<JsonFormatter>();
  else if (journal)
    f = std::make_unique<spdlog::pattern_formatter>("[%l] %v");
  else
    f = std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  if (journal) f = std::make_unique<PriorityPrefix>(std::move(f));
  return f;
}

bool stderr_is_journal() {
  const char* v = std::getenv("JOURNAL_STREAM");
  if (!v || !*v) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(v, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(2, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

void setup_logging(const std::string& level, const std::string& format) {
  auto logger = spdlog::stderr_color_mt("harnessd");
  logger->set_formatter(make_log_formatter(format, stderr_is_journal()));
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::info);
}

}  // namespace harness::daemon
