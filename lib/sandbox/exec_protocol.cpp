#include "lib/sandbox/exec_protocol.hpp"

#include <algorithm>
#include <limits>

#include "lib/sandbox/exec_wire.h"
#include "lib/sandbox/protocol.hpp"

namespace harness::sandbox::exec_protocol {
namespace {

constexpr std::uint32_t k_hello_body = 4;

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

void put_u64(std::string& out, std::uint64_t v) {
  put_u32(out, static_cast<std::uint32_t>(v));
  put_u32(out, static_cast<std::uint32_t>(v >> 32));
}

void put_string(std::string& out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

std::uint64_t positive(std::int64_t v) {
  return v > 0 ? static_cast<std::uint64_t>(v) : 0;
}

// Reads fields in order; any read past the end marks it bad.
struct Reader {
  std::string_view rest;
  bool bad = false;

  std::uint32_t u32() {
    if (bad || rest.size() < 4) {
      bad = true;
      return 0;
    }
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= std::uint32_t(static_cast<unsigned char>(rest[i])) << (8 * i);
    rest.remove_prefix(4);
    return v;
  }
  std::uint64_t u64() {
    std::uint64_t lo = u32();
    return lo | std::uint64_t(u32()) << 32;
  }
  std::string_view bytes() {
    std::uint32_t n = u32();
    if (bad || rest.size() < n) {
      bad = true;
      return {};
    }
    auto s = rest.substr(0, n);
    rest.remove_prefix(n);
    return s;
  }
};

// head + [marker + ] tail: the marker when the stream had more bytes than came back.
std::string joined(std::string_view head, std::string_view tail, std::uint64_t total,
                   bool& truncated) {
  std::string s(head);
  std::uint64_t shown = head.size() + tail.size();
  if (total > shown) {
    truncated = true;
    s += protocol::elision_marker(static_cast<std::int64_t>(total - shown));
  }
  s.append(tail);
  return s;
}

}  // namespace

std::string encode_setup(const ChannelLimits& lim) {
  std::string body;
  auto grace =
      std::clamp<std::int64_t>(lim.kill_grace_ms, 0, std::numeric_limits<std::int32_t>::max());
  put_u32(body, static_cast<std::uint32_t>(grace));
  put_u64(body, positive(lim.memory_mb) << 20);
  put_u64(body, positive(lim.file_size_mb) << 20);
  put_u64(body, positive(lim.cpu_seconds));
  put_u64(body, positive(lim.pids_max));
  std::string out;
  put_u32(out, HX_TAG_SETUP);
  put_u32(out, static_cast<std::uint32_t>(body.size()));
  return out + body;
}

harness::Result<std::string> encode_request(std::uint64_t id, const ExecRequest& req,
                                            std::string_view cwd) {
  std::uint64_t body_size =
      HX_REQUEST_FIXED + 12 + req.command.size() + cwd.size() + req.stdin_data.size();
  if (body_size > HX_MAX_REQUEST_BODY)
    return make_error(ErrorCode::invalid, "the command and its stdin are larger than " +
                                              std::to_string(HX_MAX_REQUEST_BODY) + " bytes");
  if (req.output_cap < 0 || req.output_cap > static_cast<std::int64_t>(HX_MAX_CAP))
    return make_error(ErrorCode::invalid,
                      "output cap " + std::to_string(req.output_cap) + " is out of range");
  auto timeout =
      std::clamp<std::int64_t>(req.timeout_ms, 1, std::numeric_limits<std::uint32_t>::max());
  std::string out;
  out.reserve(HX_FRAME_HEADER + body_size);
  put_u32(out, HX_TAG_REQUEST);
  put_u32(out, static_cast<std::uint32_t>(body_size));
  put_u64(out, id);
  put_u32(out, static_cast<std::uint32_t>(timeout));
  put_u32(out, static_cast<std::uint32_t>(req.output_cap));
  put_u32(out, static_cast<std::uint32_t>(req.output_cap));
  put_string(out, req.command);
  put_string(out, cwd);
  put_string(out, req.stdin_data);
  return out;
}

void Decoder::expect(std::uint64_t id, std::int64_t head_cap, std::int64_t tail_cap) {
  m_expecting = true;
  m_done = false;
  m_id = id;
  m_head_cap = std::clamp<std::int64_t>(head_cap, 0, HX_MAX_CAP);
  m_tail_cap = std::clamp<std::int64_t>(tail_cap, 0, HX_MAX_CAP);
  m_result = {};
}

void Decoder::feed(std::string_view data) {
  while (!data.empty() && !m_malformed) {
    if (m_buf.size() < HX_FRAME_HEADER) {
      auto n = std::min<std::size_t>(HX_FRAME_HEADER - m_buf.size(), data.size());
      m_buf.append(data.substr(0, n));
      data.remove_prefix(n);
      if (m_buf.size() < HX_FRAME_HEADER) return;
      Reader h{m_buf};
      std::uint32_t tag = h.u32(), len = h.u32();
      // The largest body this frame may have: a RESULT only while one is awaited.
      std::uint64_t max = tag == HX_TAG_HELLO ? k_hello_body : 0;
      if (tag == HX_TAG_RESULT && m_expecting && !m_done)
        max = HX_RESULT_FIXED + 16 + 2 * std::uint64_t(m_head_cap + m_tail_cap);
      if (len > max) {
        m_malformed = true;
        return;
      }
      m_buf.reserve(HX_FRAME_HEADER + len);
    }
    Reader h{m_buf};
    std::uint32_t tag = h.u32(), len = h.u32();
    std::size_t want = HX_FRAME_HEADER + len - m_buf.size();
    auto n = std::min(want, data.size());
    m_buf.append(data.substr(0, n));
    data.remove_prefix(n);
    if (n < want) return;
    on_frame(tag, std::string_view(m_buf).substr(HX_FRAME_HEADER));
    m_buf.clear();
  }
}

void Decoder::on_frame(std::uint32_t tag, std::string_view body) {
  if (tag == HX_TAG_HELLO) {
    Reader r{body};
    std::uint32_t version = r.u32();
    m_malformed = m_hello || r.bad || version != HX_VERSION;
    m_hello = true;
    return;
  }
  bool awaited = tag == HX_TAG_RESULT && m_expecting && !m_done;
  m_malformed = !awaited || !m_hello || !on_result(body);
}

bool Decoder::on_result(std::string_view body) {
  Reader r{body};
  std::uint64_t id = r.u64();
  std::uint32_t flags = r.u32();
  auto code = static_cast<std::int32_t>(r.u32());
  std::uint64_t out_total = r.u64(), err_total = r.u64();
  std::string_view part[4];
  for (auto& p : part) p = r.bytes();
  if (r.bad || !r.rest.empty() || id != m_id || (flags & ~(HX_TIMED_OUT | HX_SIGNALED)) != 0)
    return false;
  bool signaled = (flags & HX_SIGNALED) != 0;
  if (signaled ? code < 1 || code > 127 : code < 0 || code > 255) return false;
  auto fits = [&](std::string_view head, std::string_view tail, std::uint64_t total) {
    return head.size() <= std::uint64_t(m_head_cap) && tail.size() <= std::uint64_t(m_tail_cap) &&
           head.size() + tail.size() <= total &&
           total <= std::uint64_t(std::numeric_limits<std::int64_t>::max());
  };
  if (!fits(part[0], part[1], out_total) || !fits(part[2], part[3], err_total)) return false;
  m_result = {};
  m_result.exit_code = signaled ? 128 + code : code;
  m_result.timed_out = (flags & HX_TIMED_OUT) != 0;
  m_result.out_bytes = static_cast<std::int64_t>(out_total);
  m_result.err_bytes = static_cast<std::int64_t>(err_total);
  m_result.out = joined(part[0], part[1], out_total, m_result.truncated);
  m_result.err = joined(part[2], part[3], err_total, m_result.truncated);
  m_done = true;
  m_expecting = false;
  return true;
}

ExecResult Decoder::result() const {
  HARNESS_ASSERT(m_done);
  return m_result;
}

}  // namespace harness::sandbox::exec_protocol
