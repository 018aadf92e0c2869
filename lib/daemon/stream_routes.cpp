// GET /v1/leaves/{id}/events (optionally follow=1) and GET /v1/leaves/{id}/wait.
// Both register with Watchers *before* reading the store, so nothing that becomes durable in
// between is missed; events are de-duplicated by seq.

#include <cstdlib>

#include "lib/daemon/api.hpp"
#include "lib/loop/timer.hpp"

namespace harness::daemon {
namespace {
using Json = nlohmann::json;

constexpr std::int64_t k_heartbeat_ms = 15'000;
constexpr int k_page = 1000;

Result<std::int64_t> int_param(const http::Request& req, const char* name, std::int64_t dflt,
                               std::int64_t lo, std::int64_t hi) {
  auto it = req.query.find(name);
  if (it == req.query.end() || it->second.empty()) return dflt;
  char* end = nullptr;
  double v = std::strtod(it->second.c_str(), &end);
  if (*end || v < static_cast<double>(lo) || v > static_cast<double>(hi))
    return make_error(ErrorCode::bad_request, std::string("query parameter '") + name +
                                                  "' must be a number in " + std::to_string(lo) +
                                                  ".." + std::to_string(hi));
  return static_cast<std::int64_t>(v);
}

// One follow stream: state shared by the watcher, the store reads and the heartbeat timer.
struct Follow {
  Follow(uv_loop_t* loop) : heartbeat(loop) {}
  std::string leaf_id;
  std::shared_ptr<http::Responder> res;
  Watchers* watchers = nullptr;
  std::uint64_t token = 0;
  std::int64_t sent_seq = 0;
  bool caught_up = false;              // the initial read from the store is done
  std::vector<model::Event> buffered;  // published while catching up
  loop::Timer heartbeat;
  bool ended = false;

  void send(const model::Event& e) {
    if (e.seq <= sent_seq) return;
    sent_seq = e.seq;
    res->write_chunk(model::to_json(e).dump() + "\n");
  }
  void end(const model::Leaf& leaf) {
    if (ended) return;
    ended = true;
    heartbeat.stop();
    watchers->unwatch(leaf_id, token);
    res->write_chunk(Json{{"type", "end"}, {"leaf", model::to_json(leaf)}}.dump() + "\n");
    res->end_stream();
  }
  void stop() {
    if (ended) return;
    ended = true;
    heartbeat.stop();
    watchers->unwatch(leaf_id, token);
  }
};

// One long-poll: answered once, by whichever comes first of the leaf ending and the timeout.
struct Waiter {
  explicit Waiter(uv_loop_t* loop) : timer(loop) {}
  std::string leaf_id;
  std::shared_ptr<http::Responder> res;
  Watchers* watchers = nullptr;
  std::uint64_t token = 0;
  loop::Timer timer;
  bool done = false;

  void finish() {
    if (done) return;
    done = true;
    timer.stop();
    watchers->unwatch(leaf_id, token);
  }
  void answer(const model::Leaf& leaf) {
    if (done) return;
    finish();
    res->send_json(200, model::to_json(leaf));
  }
};
}  // namespace

void Api::events(const http::Request& req, const Res& res, const Params& p, const Caller& caller) {
  auto after = int_param(req, "after", 0, 0, INT64_MAX / 2);
  if (!after) return res->send_error(after.error());
  bool follow_mode = req.query.count("follow") && req.query.at("follow") != "0";
  Services s = m_s;
  with_readable_leaf(p[0], res, caller, [this, s, res, after = *after, follow_mode](model::Leaf l) {
    if (follow_mode) return follow(l, after, res);
    store::EventQuery q{l.session, l.id, after, 1 << 30};
    s.store->read_events(q, [res](Result<std::vector<model::Event>> ev) {
      if (!ev) return res->send_error(ev.error());
      Json list = Json::array();
      for (const auto& e : *ev) list.push_back(model::to_json(e));
      res->send_json(200, Json{{"events", std::move(list)}});
    });
  });
}

void Api::follow(const model::Leaf& leaf, std::int64_t after, const Res& res) {
  auto f = std::make_shared<Follow>(m_s.loop);
  f->leaf_id = leaf.id;
  f->res = res;
  f->watchers = m_s.watchers;
  f->sent_seq = after;
  res->start_stream(200, "application/x-ndjson");
  std::weak_ptr<Follow> weak = f;
  f->token =
      m_s.watchers->watch(leaf.id, [f](const model::Leaf& l, const std::vector<model::Event>& evs) {
        if (f->ended || f->res->closed()) {
          f->stop();
          return false;
        }
        if (!f->caught_up) {
          f->buffered.insert(f->buffered.end(), evs.begin(), evs.end());
          return true;
        }
        for (const auto& e : evs) f->send(e);
        if (model::is_terminal(l.state)) f->end(l);
        return !f->ended;
      });
  res->on_close([weak] {
    if (auto f = weak.lock()) f->stop();
  });
  f->heartbeat.start(
      k_heartbeat_ms,
      [weak] {
        if (auto f = weak.lock(); f && !f->ended) f->res->write_chunk("{\"type\":\"heartbeat\"}\n");
      },
      k_heartbeat_ms);

  // Catch up from the store page by page, then flush what was published meanwhile.
  auto read_page = std::make_shared<std::function<void()>>();
  Services s = m_s;
  *read_page = [s, f, leaf, read_page] {
    store::EventQuery q{leaf.session, leaf.id, f->sent_seq, k_page};
    s.store->read_events(q, [s, f, read_page, leaf](Result<std::vector<model::Event>> ev) {
      if (!f->ended && ev && ev->size() == static_cast<size_t>(k_page)) {
        for (const auto& e : *ev) f->send(e);
        return (*read_page)();
      }
      *read_page = nullptr;  // the last page: break the self-reference
      if (f->ended) return;
      if (!ev) {
        f->stop();
        f->res->end_stream();
        return;
      }
      for (const auto& e : *ev) f->send(e);
      f->caught_up = true;
      for (const auto& e : f->buffered) f->send(e);
      f->buffered.clear();
      // The leaf may have ended before we watched; its row tells.
      s.store->get_leaf(leaf.id, [f](Result<model::Leaf> now) {
        if (f->ended) return;
        if (now && model::is_terminal(now->state)) f->end(*now);
      });
    });
  };
  (*read_page)();
}

void Api::wait(const http::Request& req, const Res& res, const Params& p, const Caller& caller) {
  auto timeout_s = int_param(req, "timeout", 30, 0, 3600);
  if (!timeout_s) return res->send_error(timeout_s.error());
  // Access first: the watcher below may answer with the leaf before the store read returns.
  with_readable_leaf(p[0], res, caller, [this, res, timeout_s = *timeout_s](model::Leaf l) {
    wait_for(l.id, timeout_s, res);
  });
}

void Api::wait_for(const std::string& leaf_id, std::int64_t timeout_s, const Res& res) {
  auto w = std::make_shared<Waiter>(m_s.loop);
  w->leaf_id = leaf_id;
  w->res = res;
  w->watchers = m_s.watchers;
  w->token =
      m_s.watchers->watch(w->leaf_id, [w](const model::Leaf& l, const std::vector<model::Event>&) {
        if (model::is_terminal(l.state)) w->answer(l);
        return !w->done;
      });
  std::weak_ptr<Waiter> weak = w;
  res->on_close([weak] {
    if (auto w = weak.lock()) w->finish();
  });
  Services s = m_s;
  m_s.store->get_leaf(w->leaf_id, [s, weak, timeout_ms = timeout_s * 1000](Result<model::Leaf> r) {
    auto w = weak.lock();
    if (!w || w->done) return;
    if (!r) {
      w->finish();
      return w->res->send_error(r.error());
    }
    if (model::is_terminal(r->state) || timeout_ms == 0) return w->answer(*r);
    w->timer.start(static_cast<std::uint64_t>(timeout_ms), [s, weak] {
      auto w = weak.lock();
      if (!w || w->done) return;
      s.store->get_leaf(w->leaf_id, [weak](Result<model::Leaf> now) {
        auto w = weak.lock();
        if (!w) return;
        if (now) return w->answer(*now);
        w->finish();
        w->res->send_error(now.error());
      });
    });
  });
}

}  // namespace harness::daemon
