#pragma once
// harnessd's logging: spdlog's default logger on stderr, configured once in main before any
// other thread starts.
//
// - format "text": "TIME LEVEL message" on a terminal or in a file.
// - format "json": one JSON object per line, {"ts","level","msg"}, "ts" in UTC ISO 8601 with
//   milliseconds; bytes that are not UTF-8 become U+FFFD, so every line parses.
// - When stderr is the journal ($JOURNAL_STREAM names fd 2's device and inode), every line
//   starts with a syslog priority "<N>" (journald strips it and files the line at that level),
//   and text lines leave out the time (journald stamps them).

#include <memory>
#include <string>

#include <spdlog/formatter.h>

namespace harness::daemon {

// Sets up the default logger. `level`: trace|debug|info|warn|error; `format`: text|json.
void setup_logging(const std::string& level, const std::string& format);

// The formatter setup_logging() installs, for tests: `journal` adds the "<N>" prefixes.
std::unique_ptr<spdlog::formatter> make_log_formatter(const std::string& format, bool journal);

// Whether $JOURNAL_STREAM ("DEV:INODE") names the file open on fd 2, as systemd.exec(5) says to
// check: a child whose stderr was redirected elsewhere inherits the variable, not the journal.
bool stderr_is_journal();

}  // namespace harness::daemon
