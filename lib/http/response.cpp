#include "lib/http/response.hpp"

#include <array>
#include <cstdio>

namespace harness::http {
namespace {
struct Reason {
  int status;
  std::string_view text;
};
constexpr std::array<Reason, 24> k_reasons{{
    {100, "Continue"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {301, "Moved Permanently"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {411, "Length Required"},
    {413, "Content Too Large"},
    {422, "Unprocessable Content"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
}};

void append_clean(std::string& out, std::string_view s) {
  for (char c : s) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  append_clean(out, name);
  out += ": ";
  append_clean(out, value);
  out += "\r\n";
}
}  // namespace

std::string_view reason_phrase(int status) {
  for (const auto& r : k_reasons)
    if (r.status == status) return r.text;
  return "Unknown";
}

std::string format_head(const ResponseHead& head) {
  std::string out = head.http10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(head.status);
  out += ' ';
  out += reason_phrase(head.status);
  out += "\r\n";
  if (!head.content_type.empty()) append_header(out, "Content-Type", head.content_type);
  if (head.content_length) {
    append_header(out, "Content-Length", std::to_string(*head.content_length));
  } else if (!head.http10) {
    append_header(out, "Transfer-Encoding", "chunked");
  }
  if (head.close) {
    append_header(out, "Connection", "close");
  } else if (head.http10) {
    append_header(out, "Connection", "keep-alive");
  }
  if (head.extra)
    for (const auto& [name, value] : *head.extra) append_header(out, name, value);
  out += "\r\n";
  return out;
}

std::string format_chunk(std::string_view data) {
  if (data.empty()) return {};
  char size[24];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string out;
  out.reserve(static_cast<size_t>(n) + data.size() + 2);
  out.append(size, static_cast<size_t>(n));
  out.append(data);
  out += "\r\n";
  return out;
}

nlohmann::json error_json(const Error& e) {
  return {{"error", {{"code", std::string(to_string(e.code))}, {"message", e.message}}}};
}

}  // namespace harness::http
