// The Store conformance suite: every case runs against SQLite and against Redis (a real
// redis-server per case), and both must behave the same as far as a caller can observe.
#include <algorithm>

#include "tests/unit/store/store_fixture.hpp"

using namespace harness;
using namespace harness::store;
using namespace harness::store::test;
using model::Json;
using model::LeafState;

TEST_CASE_TEMPLATE("store: submit writes the leaf and its first event", B, SqliteBackend,
                   RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto r = f.submit(spec("hello", {{"team", "a"}}));
  REQUIRE(r.has_value());
  CHECK(r->created);
  CHECK(r->leaf.state == LeafState::queued);
  CHECK(r->leaf.spec.prompt == "hello");
  CHECK(r->leaf.created_at > 0);
  CHECK(r->event.seq == 1);
  CHECK(r->event.type == "leaf_submitted");
  CHECK(r->event.leaf == r->leaf.id);

  auto got = f.get_leaf(r->leaf.id);
  REQUIRE(got.has_value());
  CHECK(model::to_json(*got) == model::to_json(r->leaf));

  auto missing = f.get_leaf("lf_nope");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ErrorCode::not_found);
  CHECK(f.callbacks_on_loop_thread);
}

TEST_CASE_TEMPLATE("store: an idempotency key returns the earlier leaf and writes nothing", B,
                   SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto s = spec("once");
  s.idempotency_key = "k-1";
  auto first = f.submit(s);
  REQUIRE(first.has_value());
  auto second = f.submit(s);
  REQUIRE(second.has_value());
  CHECK_FALSE(second->created);
  CHECK(second->leaf.id == first->leaf.id);
  CHECK(second->event.seq == first->event.seq);
  auto evs = f.events(first->leaf.session);
  REQUIRE(evs.has_value());
  CHECK(evs->size() == 1);
  auto page = f.list({});
  REQUIRE(page.has_value());
  CHECK(page->leaves.size() == 1);
}

TEST_CASE_TEMPLATE("store: resume continues the session's numbering", B, SqliteBackend,
                   RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto a = f.leaf("first");

  auto busy = f.submit(spec("too early"), a.session);
  REQUIRE_FALSE(busy.has_value());
  CHECK(busy.error().code == ErrorCode::conflict);
  CHECK(busy.error().message.find(a.id) != std::string::npos);

  f.finish(a.id);
  auto b = f.submit(spec("second"), a.session);
  REQUIRE(b.has_value());
  CHECK(b->leaf.session == a.session);
  CHECK(b->event.seq == 3);  // submitted a, finished a, submitted b

  auto ses = f.session(a.session);
  REQUIRE(ses.has_value());
  CHECK(ses->last_seq == 3);
  REQUIRE(ses->leaves.size() == 2);
  CHECK(ses->leaves[0].id == a.id);
  CHECK(ses->leaves[1].id == b->leaf.id);

  auto unknown = f.submit(spec("x"), "ses_01JUNKNOWNUNKNOWNUNKNOWN00");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().code == ErrorCode::not_found);
  CHECK(unknown.error().message.find("no such session ses_01JUNKNOWN") != std::string::npos);
  auto no_ses = f.session("ses_missing");
  REQUIRE_FALSE(no_ses.has_value());
  CHECK(no_ses.error().code == ErrorCode::not_found);
}

TEST_CASE_TEMPLATE("store: append numbers events and projects them onto the row", B, SqliteBackend,
                   RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto l = f.leaf("work");
  Json usage{{"turn", 1}, {"usage", {{"input_tokens", 10}, {"output_tokens", 3}}}};
  auto r = f.append(l.id, {draft("leaf_started"), draft("model_response", usage)});
  REQUIRE(r.has_value());
  REQUIRE(r->events.size() == 2);
  CHECK(r->events[0].seq == 2);
  CHECK(r->events[1].seq == 3);
  CHECK(r->events[1].ts > 0);
  CHECK(r->leaf.state == LeafState::running);
  CHECK(r->leaf.started_at > 0);

  usage["turn"] = 2;
  REQUIRE(f.append(l.id, {draft("model_response", usage)}).has_value());
  f.finish(l.id);

  auto got = f.get_leaf(l.id);
  REQUIRE(got.has_value());
  CHECK(got->state == LeafState::succeeded);
  CHECK(got->usage.input_tokens == 20);
  CHECK(got->usage.output_tokens == 6);
  CHECK(got->turns == 2);
  CHECK(got->result == std::optional<std::string>("ok"));
  CHECK(got->last_seq == 5);

  auto all = f.events(l.session);
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 5);
  for (size_t i = 0; i < all->size(); ++i) CHECK((*all)[i].seq == static_cast<std::int64_t>(i + 1));
  CHECK((*all)[2].data["usage"]["input_tokens"] == 10);
  auto tail = f.events(l.session, l.id, 3);
  REQUIRE(tail.has_value());
  REQUIRE(tail->size() == 2);
  CHECK(tail->front().seq == 4);

  auto missing = f.append("lf_missing", {draft("leaf_started")});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ErrorCode::not_found);
}

TEST_CASE_TEMPLATE("store: a refused append writes nothing", B, SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto l = f.leaf("work");
  // The second draft is refused (rejected is only reachable from awaiting_approval): the
  // first, valid one must not be written either.
  auto bad = f.append(
      l.id, {draft("leaf_started"), model::finished_event(LeafState::rejected, "rejected", "no")});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == ErrorCode::conflict);
  CHECK(f.get_leaf(l.id)->state == LeafState::queued);
  CHECK(f.events(l.session)->size() == 1);

  f.finish(l.id, LeafState::cancelled);
  auto late = f.append(l.id, {draft("tool_started")});
  REQUIRE_FALSE(late.has_value());
  CHECK(late.error().code == ErrorCode::conflict);
  CHECK(f.events(l.session)->size() == 2);
  CHECK(f.get_leaf(l.id)->state == LeafState::cancelled);
}

TEST_CASE_TEMPLATE("store: list filters by state, label and session, newest first, in pages", B,
                   SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto a = f.leaf("a", {{"team", "x"}});
  auto b = f.leaf("b", {{"team", "y"}});
  auto c = f.leaf("c", {{"team", "x"}, {"prio", "high"}});
  auto d = f.leaf("d");
  auto e = f.leaf("e", {{"team", "x"}});
  f.finish(b.id);
  f.finish(d.id, LeafState::cancelled);

  auto ids = [](const LeafPage& p) {
    std::vector<std::string> out;
    for (auto& l : p.leaves) out.push_back(l.id);
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(ids(*f.list({})) == V{e.id, d.id, c.id, b.id, a.id});
  LeafFilter by_state;
  by_state.state = LeafState::queued;
  CHECK(ids(*f.list(by_state)) == V{e.id, c.id, a.id});
  LeafFilter by_label;
  by_label.labels = {"team=x"};
  CHECK(ids(*f.list(by_label)) == V{e.id, c.id, a.id});
  by_label.labels = {"prio"};
  CHECK(ids(*f.list(by_label)) == V{c.id});
  by_label.labels = {"team=z"};
  CHECK(f.list(by_label)->leaves.empty());
  by_label.labels = {"team=x", "prio=high"};  // all must match
  CHECK(ids(*f.list(by_label)) == V{c.id});
  LeafFilter since;
  since.created_since = a.created_at;
  CHECK(ids(*f.list(since)).size() == 5);
  since.created_since = e.created_at + 1;
  CHECK(f.list(since)->leaves.empty());
  LeafFilter by_session;
  by_session.session = b.session;
  CHECK(ids(*f.list(by_session)) == V{b.id});

  LeafFilter paged;
  paged.limit = 2;
  auto p1 = f.list(paged);
  CHECK(ids(*p1) == V{e.id, d.id});
  CHECK(p1->next_cursor == d.id);
  paged.cursor = p1->next_cursor;
  auto p2 = f.list(paged);
  CHECK(ids(*p2) == V{c.id, b.id});
  paged.cursor = p2->next_cursor;
  auto p3 = f.list(paged);
  CHECK(ids(*p3) == V{a.id});
  CHECK(p3->next_cursor.empty());
}

TEST_CASE_TEMPLATE("store: list_unfinished returns live leaves oldest first", B, SqliteBackend,
                   RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto a = f.leaf("a");
  auto b = f.leaf("b");
  auto c = f.leaf("c");
  REQUIRE(f.append(c.id, {draft("leaf_started")}).has_value());
  f.finish(b.id);
  auto u = f.unfinished();
  REQUIRE(u.has_value());
  REQUIRE(u->size() == 2);
  CHECK((*u)[0].id == a.id);
  CHECK((*u)[1].id == c.id);
  CHECK((*u)[1].state == LeafState::running);
}

TEST_CASE_TEMPLATE("store: appends issued together are written in call order", B, SqliteBackend,
                   RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto l = f.leaf("busy");
  REQUIRE(f.append(l.id, {draft("leaf_started")}).has_value());
  constexpr int k_n = 200;
  std::vector<std::int64_t> seqs;
  int done = 0;
  for (int i = 0; i < k_n; ++i)
    f.store->append(l.id, {draft("model_request", Json{{"i", i}})}, [&, i](Result<AppendResult> r) {
      ++done;
      // No REQUIRE in a loop callback: a throw cannot cross libuv.
      if (!r) {
        FAIL_CHECK(r.error().message);
        return;
      }
      CHECK(r->events[0].data["i"] == i);
      CHECK(std::this_thread::get_id() == f.loop_thread);
      seqs.push_back(r->events[0].seq);
    });
  while (done < k_n) uv_run(&f.loop, UV_RUN_ONCE);
  REQUIRE(seqs.size() == k_n);
  for (int i = 0; i < k_n; ++i) CHECK(seqs[static_cast<size_t>(i)] == i + 3);
  auto evs = f.events(l.session);
  REQUIRE(evs->size() == k_n + 2);
  CHECK(evs->back().data["i"] == k_n - 1);
}

TEST_CASE_TEMPLATE("store: data survives close and reopen", B, SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto l = f.leaf("durable", {{"k", "v"}});
  REQUIRE(f.append(l.id, {draft("leaf_started")}).has_value());
  auto before = f.get_leaf(l.id);
  REQUIRE(before.has_value());
  f.close();
  f.reopen();
  auto after = f.get_leaf(l.id);
  REQUIRE(after.has_value());
  CHECK(model::to_json(*after) == model::to_json(*before));
  CHECK(f.events(l.session)->size() == 2);
  f.close();
  f.reopen();  // migrations already applied: a second reopen changes nothing
  auto u = f.unfinished();
  REQUIRE(u->size() == 1);
  CHECK(u->front().id == l.id);
  auto r = f.append(l.id, {draft("model_request")});
  REQUIRE(r.has_value());
  CHECK(r->events[0].seq == 3);
}

TEST_CASE_TEMPLATE("store: close finishes accepted calls and fails later ones", B, SqliteBackend,
                   RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  std::optional<Result<model::Leaf>> accepted;
  std::optional<Result<bool>> late;
  bool closed = false;
  auto l = f.leaf("x");
  f.store->get_leaf(l.id, [&](Result<model::Leaf> r) { accepted = std::move(r); });
  f.store->close([&] { closed = true; });
  f.store->ping([&](Result<bool> r) { late = std::move(r); });
  CHECK_FALSE(late.has_value());  // never inside the call
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(closed);
  REQUIRE(accepted.has_value());
  CHECK(accepted->has_value());
  REQUIRE(late.has_value());
  REQUIRE_FALSE(late->has_value());
  CHECK(late->error().code == ErrorCode::unavailable);

  bool closed_again = false;
  f.store->close([&] { closed_again = true; });
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(closed_again);
  f.store.reset();
  // ~StoreFixture checks uv_loop_close() == 0.
}

TEST_CASE_TEMPLATE("store: ping answers while open", B, SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto r = f.template wait<bool>([&](auto cb) { f.store->ping(cb); });
  REQUIRE(r.has_value());
  CHECK(*r);
}

TEST_CASE_TEMPLATE("store: read_events honours limit, and limit <= 0 reads the whole session", B,
                   SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto l = f.leaf("long");
  REQUIRE(f.append(l.id, {draft("leaf_started")}).has_value());
  for (int b = 0; b < 12; ++b) {
    std::vector<model::EventDraft> ds;
    for (int i = 0; i < 100; ++i) ds.push_back(draft("model_request", Json{{"n", b * 100 + i}}));
    REQUIRE(f.append(l.id, std::move(ds)).has_value());
  }
  auto read = [&](int limit, std::int64_t after) {
    EventQuery q;
    q.session = l.session;
    q.limit = limit;
    q.after_seq = after;
    return f.template wait<std::vector<model::Event>>(
        [&](auto cb) { f.store->read_events(q, cb); });
  };
  CHECK(read(1000, 0)->size() == 1000);
  auto all = read(0, 0);
  REQUIRE(all->size() == 1202);
  CHECK(all->back().seq == 1202);
  CHECK(all->back().data["n"] == 1199);
  auto some = read(5, 1000);
  REQUIRE(some->size() == 5);
  CHECK(some->front().seq == 1001);
}

TEST_CASE_TEMPLATE("store: destroying an open store stops its thread and frees its handle", B,
                   SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto l = f.leaf("x");
  bool called = false;
  f.store->get_leaf(l.id, [&](Result<model::Leaf>) { called = true; });
  f.store.reset();  // blocking fallback: undelivered callbacks are dropped
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK_FALSE(called);
  f.reopen();
  CHECK(f.get_leaf(l.id).has_value());
}

TEST_CASE_TEMPLATE("store: read_events of one leaf of a resumed session", B, SqliteBackend,
                   RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto a = f.leaf("first");
  REQUIRE(f.append(a.id, {draft("leaf_started"), draft("model_request")}).has_value());
  f.finish(a.id);
  auto b = f.submit(spec("second"), a.session);
  REQUIRE(b.has_value());
  REQUIRE(f.append(b->leaf.id, {draft("leaf_started")}).has_value());

  auto of_a = f.events(a.session, a.id);
  REQUIRE(of_a.has_value());
  REQUIRE(of_a->size() == 4);
  CHECK(of_a->back().type == "leaf_finished");
  auto of_b = f.events(a.session, b->leaf.id);
  REQUIRE(of_b.has_value());
  REQUIRE(of_b->size() == 2);
  CHECK(of_b->front().seq == 5);
  CHECK(of_b->front().type == "leaf_submitted");
  CHECK(of_b->back().seq == 6);
  auto b_after = f.events(a.session, b->leaf.id, 5);
  REQUIRE(b_after->size() == 1);
  CHECK(b_after->front().seq == 6);
  CHECK(f.events(a.session, "lf_other")->empty());
  auto unknown = f.events("ses_missing");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().code == ErrorCode::not_found);
}

TEST_CASE_TEMPLATE("store: fork copies a prefix of the source's log into a new session", B,
                   SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto src_spec = spec("first");
  src_spec.owner = "uid:1";
  src_spec.idempotency_key = "k-src";
  auto a = f.submit(src_spec);
  REQUIRE(a.has_value());
  REQUIRE(f.append(a->leaf.id, {draft("leaf_started"), draft("model_request")}).has_value());
  auto before = f.events(a->leaf.session);
  REQUIRE(before.has_value());
  REQUIRE(before->size() == 3);

  // The source's leaf is still running: a fork of its persisted prefix is allowed.
  auto fork_spec = spec("forked");
  fork_spec.owner = "uid:2";
  auto b = f.fork(fork_spec, a->leaf.session, 2);
  REQUIRE(b.has_value());
  CHECK(b->created);
  CHECK(b->leaf.session != a->leaf.session);
  CHECK(b->event.seq == 3);
  CHECK(b->leaf.spec.owner == "uid:2");
  auto copied = f.events(b->leaf.session);
  REQUIRE(copied.has_value());
  REQUIRE(copied->size() == 3);
  for (size_t i = 0; i < 2; ++i) {
    CHECK((*copied)[i].session == b->leaf.session);
    CHECK((*copied)[i].seq == (*before)[i].seq);
    CHECK((*copied)[i].leaf == a->leaf.id);
    CHECK((*copied)[i].type == (*before)[i].type);
    CHECK((*copied)[i].ts == (*before)[i].ts);
    CHECK((*copied)[i].data == (*before)[i].data);
  }
  CHECK((*copied)[2].leaf == b->leaf.id);
  CHECK((*copied)[2].type == "leaf_submitted");
  auto own = f.events(b->leaf.session, b->leaf.id);
  REQUIRE(own.has_value());
  REQUIRE(own->size() == 1);
  CHECK(own->front().seq == 3);

  // The source is untouched: same events, same leaves, same last seq.
  auto after = f.events(a->leaf.session);
  REQUIRE(after.has_value());
  REQUIRE(after->size() == before->size());
  for (size_t i = 0; i < after->size(); ++i) CHECK((*after)[i].data == (*before)[i].data);
  auto ses = f.session(a->leaf.session);
  REQUIRE(ses.has_value());
  CHECK(ses->last_seq == 3);
  REQUIRE(ses->leaves.size() == 1);
  auto fses = f.session(b->leaf.session);
  REQUIRE(fses.has_value());
  CHECK(fses->owner == "uid:2");
  CHECK(fses->last_seq == 3);
  REQUIRE(fses->leaves.size() == 1);
  CHECK(fses->leaves[0].id == b->leaf.id);
  // The source's leaf goes on appending to its own session only.
  REQUIRE(f.append(a->leaf.id, {draft("model_request")}).has_value());
  CHECK(f.events(a->leaf.session)->size() == 4);
  CHECK(f.events(b->leaf.session)->size() == 3);
  // A retried submit of the source's leaf still finds its own leaf_submitted event.
  auto again = f.submit(src_spec);
  REQUIRE(again.has_value());
  CHECK_FALSE(again->created);
  CHECK(again->event.session == a->leaf.session);
  CHECK(again->event.seq == 1);

  // Forking the whole log (the end), and forking a fork.
  auto whole = f.fork(spec("whole"), a->leaf.session, 4);
  REQUIRE(whole.has_value());
  CHECK(whole->event.seq == 5);
  auto nested = f.fork(spec("nested"), b->leaf.session, 3);
  REQUIRE(nested.has_value());
  CHECK(f.events(nested->leaf.session)->size() == 4);
}

TEST_CASE_TEMPLATE("store: fork refuses an unknown source and a seq outside its log", B,
                   SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto a = f.leaf("first");
  auto missing = f.fork(spec("x"), "ses_missing", 1);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ErrorCode::not_found);
  for (std::int64_t seq : {std::int64_t{0}, std::int64_t{2}, std::int64_t{-1}}) {
    auto bad = f.fork(spec("x"), a.session, seq);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().code == ErrorCode::invalid);
    CHECK(bad.error().message.find("1..1") != std::string::npos);
  }
  // Nothing was written by the refused forks.
  auto page = f.list({});
  REQUIRE(page.has_value());
  CHECK(page->leaves.size() == 1);
}

TEST_CASE_TEMPLATE("store: labels match exactly, whatever characters they hold", B, SqliteBackend,
                   RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto a = f.leaf("a", {{"team", "x:y"}});
  auto b = f.leaf("b", {{"team:x", "y"}});
  auto c = f.leaf("c", {{"team", "x"}, {"é", "ünï"}});
  auto ids = [&](std::string label) {
    LeafFilter by;
    by.labels = {std::move(label)};
    auto page = f.list(by);
    REQUIRE(page.has_value());
    std::vector<std::string> out;
    for (auto& l : page->leaves) out.push_back(l.id);
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(ids("team=x:y") == V{a.id});
  CHECK(ids("team:x=y") == V{b.id});
  CHECK(ids("team") == V{c.id, a.id});
  CHECK(ids("team=x") == V{c.id});
  CHECK(ids("é=ünï") == V{c.id});
  CHECK(ids("team=") == V{});
}

TEST_CASE_TEMPLATE("store: list combines filters and pages through them", B, SqliteBackend,
                   RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  std::vector<std::string> queued_x;  // newest first
  for (int i = 0; i < 7; ++i) {
    auto l = f.leaf("l" + std::to_string(i), {{"team", i % 2 ? "x" : "y"}});
    if (i % 3 == 0)
      f.finish(l.id);
    else if (i % 2)
      queued_x.insert(queued_x.begin(), l.id);
  }
  LeafFilter fl;
  fl.state = LeafState::queued;
  fl.labels = {"team=x"};
  fl.limit = 1;
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    auto p = f.list(fl);
    REQUIRE(p.has_value());
    for (auto& l : p->leaves) seen.push_back(l.id);
    if (p->next_cursor.empty()) break;
    fl.cursor = p->next_cursor;
  }
  CHECK(seen == queued_x);
  fl.cursor = "lf_0";  // before every id: nothing older
  CHECK(f.list(fl)->leaves.empty());
}

TEST_CASE_TEMPLATE("store: two stores on the same data keep one numbering and one state", B,
                   SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto other = f.open(f.backend.url());
  auto l = f.leaf("shared");
  REQUIRE(f.append(l.id, {draft("leaf_started")}).has_value());
  // The other store writes in between: this store's idea of the session is now stale.
  auto theirs = f.append(l.id, {draft("model_request", Json{{"by", "other"}})}, other.get());
  REQUIRE(theirs.has_value());
  CHECK(theirs->events[0].seq == 3);
  auto ours = f.append(l.id, {draft("model_request", Json{{"by", "us"}})});
  REQUIRE(ours.has_value());
  CHECK(ours->events[0].seq == 4);
  CHECK(ours->leaf.last_seq == 4);

  // The other store ends the leaf; an append here is refused, not written.
  f.finish(l.id, LeafState::cancelled, other.get());
  auto late = f.append(l.id, {draft("model_request")});
  REQUIRE_FALSE(late.has_value());
  CHECK(late.error().code == ErrorCode::conflict);

  // Resuming through this store numbers after the other store's last event.
  auto next = f.submit(spec("again"), l.session);
  REQUIRE(next.has_value());
  CHECK(next->event.seq == 6);
  auto busy = f.submit(spec("busy"), l.session, other.get());
  REQUIRE_FALSE(busy.has_value());
  CHECK(busy.error().code == ErrorCode::conflict);

  auto all = f.events(l.session);
  REQUIRE(all->size() == 6);
  for (size_t i = 0; i < all->size(); ++i) CHECK((*all)[i].seq == static_cast<std::int64_t>(i + 1));
  f.close_other(other);
}
