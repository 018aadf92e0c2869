#include "lib/daemon/logging.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/details/log_msg.h>
#include <nlohmann/json.hpp>

namespace harness::daemon {
namespace {

std::string format(const std::string& fmt, bool journal, spdlog::level::level_enum level,
                   std::string_view text) {
  auto f = make_log_formatter(fmt, journal);
  spdlog::details::log_msg msg(spdlog::source_loc{}, "harnessd", level,
                               spdlog::string_view_t(text.data(), text.size()));
  spdlog::memory_buf_t buf;
  f->format(msg, buf);
  return std::string(buf.data(), buf.size());
}

TEST_CASE("logging: json is one parseable object per line, whatever the bytes") {
  std::string out =
      format("json", false, spdlog::level::warn, "bad \xff\xfe bytes\nand a \"quote\" ü");
  REQUIRE(out.back() == '\n');
  CHECK(out.find('\n') == out.size() - 1);
  auto j = nlohmann::json::parse(out);
  CHECK(j["level"] == "warning");
  CHECK(j["msg"] == "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes\nand a \"quote\" ü");
  std::string ts = j["ts"];
  CHECK(ts.size() == 24);  // 2026-01-02T03:04:05.678Z
  CHECK(ts[10] == 'T');
  CHECK(ts.back() == 'Z');
}

TEST_CASE("logging: under the journal each line starts with its syslog priority") {
  CHECK(format("text", true, spdlog::level::err, "boom").rfind("<3>", 0) == 0);
  CHECK(format("text", true, spdlog::level::warn, "hm").rfind("<4>", 0) == 0);
  CHECK(format("text", true, spdlog::level::info, "hi").rfind("<6>", 0) == 0);
  CHECK(format("text", true, spdlog::level::debug, "x").rfind("<7>", 0) == 0);
  std::string json = format("json", true, spdlog::level::err, "boom");
  REQUIRE(json.rfind("<3>", 0) == 0);
  CHECK(nlohmann::json::parse(json.substr(3))["msg"] == "boom");
  CHECK(format("text", false, spdlog::level::err, "boom").front() != '<');
}

TEST_CASE("logging: JOURNAL_STREAM counts only when it names stderr") {
  struct stat st {};
  REQUIRE(fstat(2, &st) == 0);
  std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  setenv("JOURNAL_STREAM", mine.c_str(), 1);
  CHECK(stderr_is_journal());
  setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":1").c_str(), 1);
  CHECK_FALSE(stderr_is_journal());
  setenv("JOURNAL_STREAM", "garbage", 1);
  CHECK_FALSE(stderr_is_journal());
  unsetenv("JOURNAL_STREAM");
  CHECK_FALSE(stderr_is_journal());
}

}  // namespace
}  // namespace harness::daemon
