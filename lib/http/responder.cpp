// Responder: the handler's handle on one response. Loop thread only. It holds a weak_ptr to its
// connection and the request's sequence number, so answers after the client left, or for a
// request that is no longer current, are dropped.
#include <utility>

#include "lib/http/connection.hpp"

namespace harness::http {

std::string Request::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

Responder::Responder(std::weak_ptr<Connection> conn, std::uint64_t seq, bool head_only)
    : m_conn(std::move(conn)), m_seq(seq), m_head_only(head_only) {}

std::shared_ptr<Connection> Responder::live() const {
  auto c = m_conn.lock();
  return c && c->alive(m_seq) ? c : nullptr;
}

void Responder::send(int status, std::string_view content_type, std::string body,
                     std::vector<std::pair<std::string, std::string>> extra_headers) {
  if (m_started) return;
  m_started = m_finished = true;
  if (m_on_status) std::exchange(m_on_status, {})(status);
  if (auto c = live())
    c->respond(m_seq, status, content_type, std::move(body), extra_headers, m_head_only);
}

void Responder::send_json(int status, const nlohmann::json& body) {
  send(status, "application/json", dump_json(body));
}

void Responder::send_error(const harness::Error& e) {
  send_json(http_status(e.code), error_json(e));
}

void Responder::start_stream(int status, std::string_view content_type) {
  if (m_started) return;
  m_started = m_streaming = true;
  if (m_on_status) std::exchange(m_on_status, {})(status);
  if (auto c = live()) c->stream_start(m_seq, status, content_type);
}

bool Responder::write_chunk(std::string data) {
  if (!m_streaming || m_finished) return false;
  auto c = live();
  return c && c->stream_chunk(m_seq, std::move(data), m_head_only);
}

void Responder::end_stream() {
  if (!m_streaming || m_finished) return;
  m_finished = true;
  if (auto c = live()) c->stream_end(m_seq, m_head_only);
}

size_t Responder::write_queue_bytes() const {
  auto c = m_conn.lock();
  return c ? c->write_queue_bytes() : 0;
}

size_t Responder::unsent_bytes() const {
  auto c = m_conn.lock();
  return c ? c->unsent_bytes() : 0;
}

void Responder::on_drain(size_t below, std::function<void()> fn) {
  if (auto c = live()) c->set_on_drain(m_seq, below, std::move(fn));
}

bool Responder::closed() const {
  auto c = m_conn.lock();
  return !c || c->gone();
}

void Responder::on_close(std::function<void()> fn) {
  if (auto c = live()) c->set_on_close(m_seq, std::move(fn));
}

}  // namespace harness::http
