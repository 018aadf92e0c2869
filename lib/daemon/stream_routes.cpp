// GET /v1/leaves/{id}/events (optionally follow=1) and GET /v1/leaves/{id}/wait.
// Both register with Watchers *before* reading the store, so nothing that becomes durable in
// between is missed; events are de-duplicated by seq.

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <utility>

#include "lib/daemon/api.hpp"
#include "lib/loop/timer.hpp"

namespace harness::daemon {
namespace {
using Json = nlohmann::json;

constexpr std::int64_t k_heartbeat_ms = 15'000;
// Events read from the store at once; a follower holds at most one page while its reader
// catches up.
constexpr int k_page = 200;

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
//
// Catching up, events are read from the store a page at a time and written only while the
// client keeps up (the unsent bytes stay under half the follower cap), so a long history never
// piles up in memory and a fast reader is never cut off by its own backlog. Events published
// meanwhile are not held either: the watcher only notes the highest seq, and another page is
// read until the store has given everything published. Once caught up, events are written as
// they are published; a reader that falls max_follower_buffer behind is disconnected by the
// server and reconnects from its last seq.
struct Follow : std::enable_shared_from_this<Follow> {
  Follow(uv_loop_t* loop) : heartbeat(loop) {}
  std::string leaf_id;
  std::string session;
  std::shared_ptr<http::Responder> res;
  Watchers* watchers = nullptr;
  store::Store* store = nullptr;
  size_t low_water = 0;
  std::uint64_t token = 0;
  std::int64_t sent_seq = 0;
  std::int64_t read_seq = 0;              // the last seq read from the store
  std::int64_t published_seq = 0;         // the highest seq published while catching up
  std::optional<model::Leaf> final_leaf;  // published terminal while catching up
  bool caught_up = false;
  std::vector<model::Event> page;  // read from the store, being written
  size_t next = 0;                 // index in page of the next event to write
  std::string line;                // page[next] encoded, waiting for room
  bool last_page = false;
  loop::Timer heartbeat;
  bool ended = false;

  static std::string encode(const model::Event& e) {
    return http::dump_json(model::to_json(e)) + "\n";
  }

  void send(const model::Event& e) {
    if (e.seq <= sent_seq) return;
    sent_seq = e.seq;
    res->write_chunk(encode(e));
  }
  void end(const model::Leaf& leaf) {
    if (ended) return;
    ended = true;
    heartbeat.stop();
    watchers->unwatch(leaf_id, token);
    res->write_chunk(http::dump_json(Json{{"type", "end"}, {"leaf", model::to_json(leaf)}}) + "\n");
    res->end_stream();
  }
  void stop() {
    if (ended) return;
    ended = true;
    heartbeat.stop();
    watchers->unwatch(leaf_id, token);
  }
  // The watcher: live events once caught up; before that only what must still be read.
  bool published(const model::Leaf& l, const std::vector<model::Event>& evs) {
    if (ended || res->closed()) {
      stop();
      return false;
    }
    if (!caught_up) {
      for (const auto& e : evs) published_seq = std::max(published_seq, e.seq);
      // The row tells what must still be read, also when the events came without it (a leaf
      // run by another daemon, seen by the RemoteFeed).
      published_seq = std::max(published_seq, l.last_seq);
      if (model::is_terminal(l.state)) final_leaf = l;
      return true;
    }
    for (const auto& e : evs) send(e);
    if (l.last_seq > sent_seq) {
      // Told of a row past what we sent, without the events between (a leaf run by another
      // daemon, seen by the RemoteFeed): read them first.
      caught_up = false;
      published_seq = std::max(published_seq, l.last_seq);
      if (model::is_terminal(l.state)) final_leaf = l;
      read_seq = std::max(read_seq, sent_seq);
      read_page();
      return true;
    }
    if (model::is_terminal(l.state)) end(l);
    return !ended;
  }
  void read_page() {
    store::EventQuery q{session, leaf_id, read_seq, k_page};
    store->read_events(q, [w = weak_from_this()](Result<std::vector<model::Event>> ev) {
      auto f = w.lock();
      if (!f || f->ended) return;
      if (!ev) {
        f->stop();
        f->res->end_stream();
        return;
      }
      f->last_page = ev->size() < static_cast<size_t>(k_page);
      if (!ev->empty()) f->read_seq = ev->back().seq;
      f->page = std::move(*ev);
      f->next = 0;
      f->pump();
    });
  }
  // Writes the page while the client keeps up; resumes from on_drain when it does not.
  void pump() {
    while (!ended && !res->closed()) {
      if (line.empty()) {
        while (next < page.size() && page[next].seq <= sent_seq) ++next;
        if (next == page.size()) break;
        line = encode(page[next]);
      }
      // A line bigger than the low-water mark waits for an empty queue instead.
      size_t room = line.size() > low_water ? 0 : low_water - line.size();
      if (res->unsent_bytes() > room) {
        res->on_drain(room, [w = weak_from_this()] {
          if (auto f = w.lock()) f->pump();
        });
        return;
      }
      sent_seq = page[next++].seq;
      res->write_chunk(std::exchange(line, {}));
    }
    if (ended || res->closed()) return stop();
    page.clear();
    if (!last_page || published_seq > read_seq) return read_page();
    caught_up = true;
    if (final_leaf) return end(*final_leaf);
    // The leaf may have ended before we watched, or moved on since the last page without us
    // being told (it runs on another daemon); its row tells.
    store->get_leaf(leaf_id, [w = weak_from_this()](Result<model::Leaf> now) {
      auto f = w.lock();
      if (!f || f->ended || !now) return;
      if (now->last_seq > f->read_seq) {
        f->caught_up = false;
        f->published_seq = std::max(f->published_seq, now->last_seq);
        return f->read_page();
      }
      if (model::is_terminal(now->state)) f->end(*now);
    });
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
  f->session = leaf.session;
  f->res = res;
  f->watchers = m_s.watchers;
  f->store = m_s.store;
  f->low_water = static_cast<size_t>(m_s.config->max_follower_buffer) / 2;
  f->sent_seq = f->read_seq = after;
  res->start_stream(200, "application/x-ndjson");
  std::weak_ptr<Follow> weak = f;
  f->token =
      m_s.watchers->watch(leaf.id, [f](const model::Leaf& l, const std::vector<model::Event>& evs) {
        return f->published(l, evs);
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
  f->read_page();
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
