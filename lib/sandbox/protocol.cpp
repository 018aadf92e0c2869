#include "lib/sandbox/protocol.hpp"

#include <charconv>
#include <random>

#include "lib/base/base64.hpp"

namespace harness::sandbox::protocol {
namespace {

constexpr std::size_t k_max_line = 64 * 1024;
constexpr std::size_t k_b64_wrap = 76;

std::string seconds_arg(std::int64_t ms) {
  std::int64_t s = (ms + 999) / 1000;
  return std::to_string(s < 1 ? 1 : s);
}

std::string single_quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// base64 in lines of 76 characters; none of them can equal a terminator containing '_'.
void append_heredoc(std::string& out, std::string_view name, std::string_view nonce,
                    std::string_view bytes) {
  std::string term = "__HARNESS_" + std::string(nonce);
  std::string b64 = base64_encode(bytes);
  out += "__h_put " + std::string(name) + " <<'" + term + "'\n";
  for (std::size_t i = 0; i < b64.size(); i += k_b64_wrap) {
    out.append(b64, i, k_b64_wrap);
    out += '\n';
  }
  out += term + "\n";
}

bool parse_int(std::string_view s, std::int64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// The shell functions. When a command's own process ends, its whole process group is killed:
// nothing it left in the background (a forgotten server, a fork bomb) outlives the tool call;
// what must survive leaves the group with setsid and lives until the sandbox closes.
// The watchdog is killed by group and by pid: a fast command can finish before the watchdog has
// called setsid(), when its group does not exist yet. Variables are
// prefixed __h_ and never exported; commands run as separate `sh FILE` processes, so they can
// neither see nor clobber them.
constexpr std::string_view k_functions = R"SH(
__h_put() { base64 -d >"$__h/$1"; }
__h_size() { if [ -s "$1" ]; then wc -c <"$1"; else echo 0; fi; }
__h_emit() {
  if [ "$2" -eq 0 ]; then
    echo .; echo .
  elif [ "$2" -gt $(($3 * 2)) ]; then
    head -c "$3" "$1" | base64; echo .
    tail -c "$3" "$1" | base64; echo .
  else
    head -c $(($3 * 2)) "$1" | base64; echo .; echo .
  fi
}
__h_run() {
  __h_i=/dev/null
  [ "$4" = 1 ] && __h_i="$__h/i.$1"
  printf '\n__HARNESS_ACK_%s\n' "$1"
  setsid sh "$__h/c.$1" <"$__h_i" >"$__h/out" 2>"$__h/err" &
  __h_p=$!
  setsid sh -c 'sleep "$1"; : >"$2"; kill -TERM -"$3" 2>/dev/null; sleep "$4"; kill -KILL -"$3" 2>/dev/null' \
    __h_wd "$2" "$__h/to.$1" "$__h_p" "$__h_grace" </dev/null >/dev/null 2>&1 &
  __h_w=$!
  wait "$__h_p"
  __h_rc=$?
  kill -KILL -"$__h_p" 2>/dev/null
  kill -KILL -"$__h_w" 2>/dev/null; kill -KILL "$__h_w" 2>/dev/null
  wait "$__h_w" 2>/dev/null
  __h_to=0
  [ -e "$__h/to.$1" ] && __h_to=1
  __h_os=$(__h_size "$__h/out")
  __h_es=$(__h_size "$__h/err")
  printf '__HARNESS_RES_%s %s %s %s %s\n' "$1" "$__h_rc" "$__h_to" ${__h_os:-0} ${__h_es:-0}
  __h_emit "$__h/out" ${__h_os:-0} "$3"
  __h_emit "$__h/err" ${__h_es:-0} "$3"
  rm -f "$__h/c.$1" "$__h/i.$1" "$__h/to.$1"
  printf '__HARNESS_END_%s\n' "$1"
}
)SH";

}  // namespace

std::string new_nonce() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out(16, '0');
  std::uint64_t v = rng();
  for (auto& c : out) {
    c = k_hex[v & 15];
    v >>= 4;
  }
  return out;
}

std::string bootstrap_script(const ChannelLimits& lim, std::string_view channel_id) {
  std::string s;
  if (lim.memory_mb > 0)
    s += "ulimit -v " + std::to_string(lim.memory_mb * 1024) + " 2>/dev/null\n";
  if (lim.file_size_mb > 0)
    s += "ulimit -f " + std::to_string(lim.file_size_mb * 2048) + " 2>/dev/null\n";
  if (lim.cpu_seconds > 0) s += "ulimit -t " + std::to_string(lim.cpu_seconds) + " 2>/dev/null\n";
  if (lim.pids_max > 0) {
    auto n = std::to_string(lim.pids_max);
    s += "ulimit -u " + n + " 2>/dev/null || ulimit -p " + n + " 2>/dev/null\n";
  }
  s += "__h=" + single_quoted(lim.private_dir + "/" + std::string(channel_id)) + "\n";
  s += "__h_grace=" + seconds_arg(lim.kill_grace_ms) + "\n";
  s += "mkdir -p -m 700 \"$__h\" || { echo \"cannot create $__h\" >&2; exit 97; }\n";
  s += "trap 'rm -rf \"$__h\"' EXIT\n";
  s += k_functions;
  return s;
}

std::string encode_command(std::string_view nonce, const ExecRequest& req) {
  std::string out;
  append_heredoc(out, "c." + std::string(nonce), nonce, req.command);
  bool has_stdin = !req.stdin_data.empty();
  if (has_stdin) append_heredoc(out, "i." + std::string(nonce), nonce, req.stdin_data);
  out += "__h_run " + std::string(nonce) + " " + seconds_arg(req.timeout_ms) + " " +
         std::to_string(req.output_cap) + (has_stdin ? " 1\n" : " 0\n");
  return out;
}

std::string elision_marker(std::int64_t elided_bytes) {
  return "\n…[" + std::to_string(elided_bytes) + " bytes elided]…\n";
}

ResponseParser::ResponseParser(std::string nonce, std::int64_t output_cap)
    : m_nonce(std::move(nonce)),
      m_cap(output_cap),
      m_section_limit(static_cast<std::size_t>(4 * ((2 * output_cap + 2) / 3) + 4)) {}

void ResponseParser::feed(std::string_view data) {
  while (!data.empty() && !done() && !malformed()) {
    auto nl = data.find('\n');
    auto chunk = data.substr(0, nl);
    if (!m_skip_line) {
      if (m_line.size() + chunk.size() > k_max_line) {
        m_line.clear();
        m_skip_line = true;
        if (m_state == State::sections) m_state = State::malformed;
      } else {
        m_line.append(chunk);
      }
    }
    if (nl == std::string_view::npos) return;
    if (!m_skip_line) on_line(m_line);
    m_line.clear();
    m_skip_line = false;
    data.remove_prefix(nl + 1);
  }
}

void ResponseParser::on_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (m_state == State::waiting) {
    std::string res = "__HARNESS_RES_" + m_nonce + " ";
    if (line == "__HARNESS_ACK_" + m_nonce) m_started = true;
    if (line.substr(0, res.size()) == res) on_result_line(line.substr(res.size()));
    return;
  }
  if (line == "__HARNESS_END_" + m_nonce) {
    m_state = m_section == 4 ? State::done : State::malformed;
    for (int i = 0; i < 4 && done(); ++i)
      if (!base64_decode(m_sections[i])) m_state = State::malformed;
    return;
  }
  if (line.empty()) return;
  if (line == ".") {
    ++m_section;
  } else if (m_section < 4 && m_sections[m_section].size() + line.size() <= m_section_limit) {
    m_sections[m_section].append(line);
    return;
  } else {
    m_state = State::malformed;
  }
  if (m_section > 4) m_state = State::malformed;
}

void ResponseParser::on_result_line(std::string_view rest) {
  std::int64_t v[4];
  for (int i = 0; i < 4; ++i) {
    auto sp = rest.find(' ');
    if (!parse_int(rest.substr(0, sp), v[i])) {
      m_state = State::malformed;
      return;
    }
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
  }
  m_started = true;
  m_exit_code = static_cast<int>(v[0]);
  m_timed_out = v[1] != 0;
  m_out_bytes = v[2];
  m_err_bytes = v[3];
  m_state = State::sections;
}

ExecResult ResponseParser::result() const {
  HARNESS_ASSERT(done());
  auto join = [&](int head, std::int64_t total, bool& truncated) {
    std::string s = *base64_decode(m_sections[head]);
    if (total > 2 * m_cap) {
      truncated = true;
      s += elision_marker(total - 2 * m_cap);
      s += *base64_decode(m_sections[head + 1]);
    }
    return s;
  };
  ExecResult r;
  r.exit_code = m_exit_code;
  r.timed_out = m_timed_out;
  r.out_bytes = m_out_bytes;
  r.err_bytes = m_err_bytes;
  r.out = join(0, m_out_bytes, r.truncated);
  r.err = join(2, m_err_bytes, r.truncated);
  return r;
}

}  // namespace harness::sandbox::protocol
