#pragma once
// A one-line sign of life on a terminal while a leaf waits on a model call, a tool run or a
// verdict: "⠙ running bash: make test · 12s", redrawn every 100 ms by a thread and cleared before
// any other line is printed (so the event lines stay clean). Only for a stream that is a TTY;
// disabled it is a plain pass-through. `activity_of` maps the leaf's events to what it waits on.

#include <condition_variable>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

namespace harness::client {

class Spinner {
 public:
  Spinner(std::ostream& out, bool enabled);
  ~Spinner();  // stops the thread and clears the line
  Spinner(const Spinner&) = delete;
  Spinner& operator=(const Spinner&) = delete;

  // Writes `text` (whole lines) to the stream, with the spinner's line cleared first.
  void print(const std::string& text);
  // What the leaf waits on now; "" = nothing (no spinner). A new activity restarts the clock.
  void set(const std::string& activity);

 private:
  void run();
  void clear_locked();

  std::ostream& m_out;
  bool m_enabled;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::string m_activity;
  std::chrono::steady_clock::time_point m_since;
  bool m_drawn = false;
  bool m_stop = false;
  unsigned m_frame = 0;
  std::thread m_thread;
};

// The activity an event starts: "waiting for the model", "running bash: CMD", "waiting for
// approval", "" when it ends one; nullopt when the event changes nothing.
std::optional<std::string> activity_of(const nlohmann::json& event);

}  // namespace harness::client
