#include "lib/client/spinner.hpp"

#include <array>

#include "lib/client/json_fields.hpp"

namespace harness::client {
namespace {
constexpr std::array<const char*, 10> k_frames = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
constexpr auto k_interval = std::chrono::milliseconds(100);

// At most `max` bytes of the first line of `s`, cut at a UTF-8 boundary.
std::string first_line_of(const std::string& s, size_t max) {
  std::string line = s.substr(0, s.find('\n'));
  if (line.size() <= max) return line;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  return line.substr(0, cut) + "…";
}
}  // namespace

Spinner::Spinner(std::ostream& out, bool enabled) : m_out(out), m_enabled(enabled) {
  if (m_enabled) m_thread = std::thread([this] { run(); });
}

Spinner::~Spinner() {
  if (!m_enabled) return;
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
    clear_locked();
  }
  m_wake.notify_all();
  m_thread.join();
}

void Spinner::print(const std::string& text) {
  if (text.empty()) return;
  std::lock_guard lock(m_mutex);
  clear_locked();
  m_out << text << std::flush;
}

void Spinner::set(const std::string& activity) {
  if (!m_enabled) return;
  std::lock_guard lock(m_mutex);
  if (activity != m_activity) m_since = std::chrono::steady_clock::now();
  m_activity = activity;
  if (activity.empty()) clear_locked();
  m_wake.notify_all();
}

void Spinner::clear_locked() {
  if (!m_drawn) return;
  m_out << "\r\x1b[K" << std::flush;
  m_drawn = false;
}

void Spinner::run() {
  std::unique_lock lock(m_mutex);
  while (!m_stop) {
    m_wake.wait_for(lock, k_interval);
    if (m_stop || m_activity.empty()) continue;
    auto secs =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - m_since)
            .count();
    m_out << "\r" << k_frames[m_frame++ % k_frames.size()] << " " << m_activity << " · " << secs
          << "s\x1b[K" << std::flush;
    m_drawn = true;
  }
}

std::optional<std::string> activity_of(const nlohmann::json& e) {
  std::string type = jf::str(e, "type");
  const nlohmann::json& d = jf::obj(e, "data");
  if (type == "leaf_started" || type == "leaf_recovered" || type == "tool_finished" ||
      type == "gate_decided" || type == "model_error")
    return std::string("waiting for the model");
  if (type == "tool_started") {
    std::string name = jf::str(d, "name", "tool");
    const nlohmann::json& input = jf::obj(d, "input");
    std::string what = jf::str(input, "command", jf::str(input, "path"));
    return "running " + name + (what.empty() ? "" : ": " + first_line_of(what, 60));
  }
  if (type == "gate_opened") return std::string("waiting for approval");
  if (type == "model_response" || type == "leaf_finished") return std::string();
  return std::nullopt;
}

}  // namespace harness::client
