#pragma once
// The Clock seam: code that needs the time takes a Clock& so tests can move time by hand.
// Both implementations may be read from any thread.

#include <atomic>

#include "lib/base/time.hpp"

namespace harness {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (UTC).
  virtual TimeMs now_ms() const = 0;
};

// The system's wall clock.
class SystemClock final : public Clock {
 public:
  TimeMs now_ms() const override { return harness::now_ms(); }
};

// A clock that only moves when told to: the fake for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start = 0) : m_now(start) {}
  TimeMs now_ms() const override { return m_now.load(); }
  void set(TimeMs t) { m_now.store(t); }
  void advance(std::int64_t ms) { m_now.fetch_add(ms); }

 private:
  std::atomic<TimeMs> m_now;
};

}  // namespace harness
