#include "lib/scheduler/catch_up.hpp"

#include <algorithm>

namespace harness::scheduler {

Result<Due> due_firing(const Trigger& t, TimeMs last, TimeMs now, CatchUp mode,
                       std::int64_t grace_ms) {
  Due due;
  HARNESS_TRY_ASSIGN(due.next, next_fire(t, std::max(last, now)));
  if (now <= last) return due;
  HARNESS_TRY_ASSIGN(std::optional<TimeMs> latest, latest_fire(t, last, now));
  if (!latest) return due;
  HARNESS_TRY_ASSIGN(TimeMs first, next_fire(t, last));
  bool on_time = now - *latest <= grace_ms;
  if (on_time || mode == CatchUp::once) due.fire = latest;
  due.skipped = !due.fire || first < *latest;
  return due;
}

namespace {
std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
}  // namespace

std::int64_t jitter_delay_ms(std::string_view name, TimeMs scheduled, std::int64_t jitter_ms) {
  if (jitter_ms <= 0) return 0;
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  h = mix(h ^ static_cast<std::uint64_t>(scheduled));
  return static_cast<std::int64_t>(h % (static_cast<std::uint64_t>(jitter_ms) + 1));
}

}  // namespace harness::scheduler
