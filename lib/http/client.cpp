// libcurl multi-socket on libuv. Everything runs on the loop thread: curl tells us which sockets
// to watch (socket callback → one uv_poll_t per socket) and when to wake it (timer callback →
// one uv timer); we hand readiness back with curl_multi_socket_action and then collect finished
// transfers with curl_multi_info_read.
//
// Socket lifetime: curl may close a socket without a CURL_POLL_REMOVE first, and the fd number
// can be reused at once for a new connection; a uv_poll_t still watching the old number would
// then make libuv abort on epoll_ctl. So curl closes sockets through our CLOSESOCKETFUNCTION,
// which stops and closes the poll (uv_close stops it synchronously) before close(2).

#include "lib/http/client.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "lib/loop/handle.hpp"
#include "lib/loop/timer.hpp"

namespace harness::http {

std::string ClientResponse::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return "";
}

namespace detail {

struct Transfer {
  std::uint64_t id = 0;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string method;
  std::string url;
  std::string request_body;  // curl reads it in place (CURLOPT_POSTFIELDS does not copy)
  ClientResponse response;
  std::function<void(Result<ClientResponse>)> done;
  bool too_large = false;
  char errbuf[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (easy) curl_easy_cleanup(easy);
    if (headers) curl_slist_free_all(headers);
  }
};

struct ClientImpl {
  uv_loop_t* loop;
  CURLM* multi = nullptr;
  std::unique_ptr<loop::Timer> curl_timer;  // created on first send
  std::unique_ptr<loop::Timer> defer_timer;
  std::vector<std::function<void()>> deferred;
  std::unordered_map<std::uint64_t, std::unique_ptr<Transfer>> transfers;
  std::unordered_map<curl_socket_t, uv_poll_t*> polls;
  std::uint64_t next_id = 0;
  bool closed = false;

  explicit ClientImpl(uv_loop_t* l);
  void ensure_timers();
  void defer(std::function<void()> fn);
  void run_deferred();
  void watch(curl_socket_t s, int what);
  void unwatch(curl_socket_t s);
  void socket_action(curl_socket_t s, int flags);
  void finish_done();
  void finish(Transfer* t, CURLcode code);
  Result<ClientResponse> outcome(Transfer& t, CURLcode code);
};

}  // namespace detail

using detail::ClientImpl;
using detail::Transfer;

namespace {

Error cancelled_error(std::string_view why) {
  return make_error(ErrorCode::unavailable, "request " + std::string(why));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

size_t on_body(char* data, size_t size, size_t n, void* userp) noexcept {
  auto* t = static_cast<Transfer*>(userp);
  size_t len = size * n;
  if (t->response.body.size() + len > static_cast<size_t>(HttpClient::k_max_body_bytes)) {
    t->too_large = true;
    return 0;  // makes curl fail the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, len);
  return len;
}

// Header lines arrive one at a time, including each status line; a new status line (after a
// 1xx) starts a fresh header set.
size_t on_header(char* data, size_t size, size_t n, void* userp) noexcept {
  auto* t = static_cast<Transfer*>(userp);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    t->response.headers.emplace_back(lower(std::string(line.substr(0, colon))),
                                     trim(line.substr(colon + 1)));
  }
  return size * n;
}

int on_close_socket(void* clientp, curl_socket_t s) noexcept {
  static_cast<ClientImpl*>(clientp)->unwatch(s);
  return ::close(s);
}

int on_socket(CURL*, curl_socket_t s, int what, void* userp, void*) noexcept {
  auto* self = static_cast<ClientImpl*>(userp);
  if (what == CURL_POLL_REMOVE)
    self->unwatch(s);
  else
    self->watch(s, what);
  return 0;
}

int on_timer(CURLM*, long timeout_ms, void* userp) noexcept {
  auto* self = static_cast<ClientImpl*>(userp);
  if (self->closed || !self->curl_timer) return 0;
  if (timeout_ms < 0) {
    self->curl_timer->stop();
    return 0;
  }
  // curl must not be re-entered from this callback, so even 0 goes through the loop.
  self->curl_timer->start(static_cast<std::uint64_t>(timeout_ms),
                          [self] { self->socket_action(CURL_SOCKET_TIMEOUT, 0); });
  return 0;
}

void on_poll(uv_poll_t* h, int status, int events) noexcept {
  auto* self = static_cast<ClientImpl*>(h->data);
  if (!self) return;
  uv_os_fd_t fd = -1;
  uv_fileno(reinterpret_cast<uv_handle_t*>(h), &fd);
  int flags = 0;
  if (status < 0) {
    flags = CURL_CSELECT_ERR;
  } else {
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  }
  self->socket_action(fd, flags);
}

void set_method(CURL* e, Transfer& t) {
  if (t.method == "GET" && t.request_body.empty()) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    return;
  }
  if (t.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    return;
  }
  if (t.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, t.method.c_str());
  if (t.method == "POST" || !t.request_body.empty()) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(t.request_body.size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.request_body.data());
  }
}

void configure(CURL* e, Transfer& t, const ClientRequest& req, void* impl) {
  curl_easy_setopt(e, CURLOPT_URL, t.url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.errbuf);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, impl);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<std::int64_t>(req.timeout_ms, 1)));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max<std::int64_t>(req.connect_timeout_ms, 1)));
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(HttpClient::k_max_body_bytes));
  if (!req.unix_socket.empty())
    curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, req.unix_socket.c_str());
  for (const auto& [name, value] : req.headers)
    t.headers = curl_slist_append(t.headers, (name + ": " + value).c_str());
  t.headers = curl_slist_append(t.headers, "Expect:");
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
  set_method(e, t);
}

}  // namespace

ClientImpl::ClientImpl(uv_loop_t* l) : loop(l) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  multi = curl_multi_init();
  HARNESS_ASSERT(multi != nullptr);
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
}

void ClientImpl::ensure_timers() {
  if (!curl_timer) curl_timer = std::make_unique<loop::Timer>(loop);
  if (!defer_timer) defer_timer = std::make_unique<loop::Timer>(loop);
}

void ClientImpl::defer(std::function<void()> fn) {
  deferred.push_back(std::move(fn));
  if (!defer_timer->active()) defer_timer->start(0, [this] { run_deferred(); });
}

void ClientImpl::run_deferred() {
  auto batch = std::move(deferred);
  deferred.clear();
  for (auto& fn : batch) fn();
}

void ClientImpl::watch(curl_socket_t s, int what) {
  uv_poll_t*& p = polls[s];
  if (!p) {
    p = new uv_poll_t;
    if (uv_poll_init_socket(loop, p, s) != 0) {
      delete p;
      polls.erase(s);
      return;  // curl's own timeouts will fail the transfer
    }
    p->data = this;
  }
  int events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= UV_WRITABLE;
  uv_poll_start(p, events, on_poll);
}

void ClientImpl::unwatch(curl_socket_t s) {
  auto it = polls.find(s);
  if (it == polls.end()) return;
  loop::close_and_free(it->second);  // uv_close stops watching the fd right now
  polls.erase(it);
}

void ClientImpl::socket_action(curl_socket_t s, int flags) {
  if (closed) return;
  int running = 0;
  curl_multi_socket_action(multi, s, flags, &running);
  finish_done();
}

// Each `done` may send, cancel or close, so re-check `closed` after every one.
void ClientImpl::finish_done() {
  int left = 0;
  while (!closed) {
    CURLMsg* msg = curl_multi_info_read(multi, &left);
    if (!msg) break;
    if (msg->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
    finish(t, msg->data.result);
  }
}

void ClientImpl::finish(Transfer* t, CURLcode code) {
  curl_multi_remove_handle(multi, t->easy);
  auto owned = std::move(transfers.at(t->id));
  transfers.erase(t->id);
  auto result = outcome(*owned, code);
  auto done = std::move(owned->done);
  owned.reset();
  done(std::move(result));
}

Result<ClientResponse> ClientImpl::outcome(Transfer& t, CURLcode code) {
  if (code == CURLE_OK) {
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &t.response.status);
    return std::move(t.response);
  }
  std::string what = t.errbuf[0] ? t.errbuf : curl_easy_strerror(code);
  std::string where = t.method + " " + t.url;
  if (t.too_large || code == CURLE_FILESIZE_EXCEEDED)
    return make_error(
        ErrorCode::too_large,
        where + ": response body over " + std::to_string(HttpClient::k_max_body_bytes) + " bytes");
  if (code == CURLE_OPERATION_TIMEDOUT) return make_error(ErrorCode::timeout, where + ": " + what);
  return make_error(ErrorCode::unavailable, where + ": " + what);
}

HttpClient::HttpClient(uv_loop_t* loop) : m_impl(std::make_unique<ClientImpl>(loop)) {}

HttpClient::~HttpClient() {
  close();
}

std::uint64_t HttpClient::send(ClientRequest req,
                               std::function<void(Result<ClientResponse>)> done) {
  ClientImpl& m = *m_impl;
  std::uint64_t id = ++m.next_id;
  if (m.closed) {
    done(cancelled_error("not sent: the HTTP client is closed"));
    return id;
  }
  m.ensure_timers();
  auto t = std::make_unique<Transfer>();
  t->id = id;
  t->method = req.method;
  t->url = req.url;
  t->request_body = std::move(req.body);
  t->done = std::move(done);
  t->easy = curl_easy_init();
  HARNESS_ASSERT(t->easy != nullptr);
  configure(t->easy, *t, req, &m);
  CURLMcode rc = curl_multi_add_handle(m.multi, t->easy);
  if (rc != CURLM_OK) {
    auto cb = std::move(t->done);
    std::string msg = t->method + " " + t->url + ": " + curl_multi_strerror(rc);
    m.defer([cb = std::move(cb), msg] { cb(make_error(ErrorCode::internal, msg)); });
    return id;
  }
  m.transfers.emplace(id, std::move(t));
  return id;
}

void HttpClient::cancel(std::uint64_t id) {
  ClientImpl& m = *m_impl;
  auto it = m.transfers.find(id);
  if (m.closed || it == m.transfers.end()) return;
  auto t = std::move(it->second);
  m.transfers.erase(it);
  curl_multi_remove_handle(m.multi, t->easy);
  std::string what = "cancelled: " + t->method + " " + t->url;
  m.defer([done = std::move(t->done), what] { done(cancelled_error(what)); });
}

void HttpClient::close() {
  ClientImpl& m = *m_impl;
  if (m.closed) return;
  m.closed = true;
  auto transfers = std::move(m.transfers);
  m.transfers.clear();
  for (auto& [id, t] : transfers) curl_multi_remove_handle(m.multi, t->easy);
  // Closes cached connections through on_close_socket, which closes their polls.
  curl_multi_cleanup(m.multi);
  m.multi = nullptr;
  for (auto& [fd, p] : m.polls) loop::close_and_free(p);
  m.polls.clear();
  m.curl_timer.reset();
  m.defer_timer.reset();
  m.run_deferred();
  for (auto& [id, t] : transfers) {
    auto done = std::move(t->done);
    std::string what = "cancelled (client closed): " + t->method + " " + t->url;
    t.reset();
    done(cancelled_error(what));
  }
}

size_t HttpClient::in_flight() const {
  return m_impl->transfers.size() + m_impl->deferred.size();
}

}  // namespace harness::http
