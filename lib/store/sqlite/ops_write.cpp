// submit and append: the two writes (and the probe write of ping). Each is one BEGIN IMMEDIATE
// transaction that appends to a session's event log and updates the leaf row projected from it; an
// early return rolls back.
#include "lib/base/time.hpp"
#include "lib/store/sqlite/ops.hpp"
#include "lib/store/sqlite/rows.hpp"

namespace harness::store::sqlite {
namespace {

// The leaf holding the request's key in its scope and its leaf_submitted event, if any.
// conflict when that leaf was submitted by a request with another hash.
Result<std::optional<SubmitResult>> find_by_key(Db& db, const SubmitRequest& req) {
  std::string id;
  {
    HARNESS_TRY_ASSIGN(Stmt st, db.prepare("SELECT id, idem_hash FROM leaves WHERE idem_scope = ? "
                                           "AND idem_key = ?"));
    st.bind(1, req.idempotency_scope).bind(2, req.spec.idempotency_key);
    HARNESS_TRY_ASSIGN(bool row, st.step());
    if (!row) return std::optional<SubmitResult>();
    id = st.text(0);
    std::string_view hash = st.text_view(1);  // "" for keys of stores before hashes were kept
    if (!hash.empty() && hash != req.request_hash)
      return make_error(ErrorCode::conflict, "idempotency key '" + req.spec.idempotency_key +
                                                 "' was used for another request (leaf " + id +
                                                 "); use a new key for a new request");
  }
  SubmitResult out;
  out.created = false;
  HARNESS_TRY_ASSIGN(out.leaf, load_leaf(db, id));
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare(std::string("SELECT ") + k_event_columns +
                                         " FROM events WHERE session = ? AND leaf = ? AND "
                                         "type = ? ORDER BY seq LIMIT 1"));
  // session too: a fork's copied events carry the ids of the source's leaves.
  st.bind(1, out.leaf.session).bind(2, id).bind(3, model::event::leaf_submitted);
  HARNESS_TRY_ASSIGN(bool row, st.step());
  if (!row) return make_error(ErrorCode::internal, "leaf " + id + " has no leaf_submitted event");
  HARNESS_TRY_ASSIGN(out.event, read_event_row(st));
  return std::optional<SubmitResult>(std::move(out));
}

// conflict naming the session's unfinished leaf, if it has one.
Status check_no_unfinished(Db& db, const std::string& session) {
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare(std::string("SELECT id, state FROM leaves WHERE session "
                                                     "= ? AND ") +
                                         k_unfinished_sql + " ORDER BY id LIMIT 1"));
  st.bind(1, session);
  HARNESS_TRY_ASSIGN(bool row, st.step());
  if (!row) return {};
  return make_error(ErrorCode::conflict, "session " + session + " has an unfinished leaf " +
                                             st.text(0) + " (" + st.text(1) + ")");
}

// The owner of an existing session ("" for sessions of old stores).
Result<std::string> session_owner(Db& db, const std::string& id) {
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare("SELECT owner FROM sessions WHERE id = ?"));
  st.bind(1, id);
  HARNESS_TRY_ASSIGN(bool row, st.step());
  if (!row) return make_error(ErrorCode::not_found, "no such session " + id);
  return st.text(0);
}

// A fork's new session gets events 1..fork_seq of its source, unchanged.
Status copy_prefix(Db& db, const SubmitRequest& req) {
  HARNESS_TRY_ASSIGN(std::int64_t last, session_seq(db, req.fork_from));
  if (req.fork_seq < 1 || req.fork_seq > last)
    return make_error(ErrorCode::invalid, "seq " + std::to_string(req.fork_seq) +
                                              " is not in session " + req.fork_from +
                                              " (its events are 1.." + std::to_string(last) + ")");
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare("INSERT INTO events(session, seq, leaf, type, ts, data) "
                                         "SELECT ?, seq, leaf, type, ts, data FROM events "
                                         "WHERE session = ? AND seq <= ?"));
  return st.bind(1, req.session_id).bind(2, req.fork_from).bind(3, req.fork_seq).run();
}

// The session's last seq: an existing one when resuming, else a new session (seq 0, or the
// copied prefix of a fork) owned by spec.owner.
Result<std::int64_t> open_session(Db& db, const SubmitRequest& req, TimeMs now) {
  if (req.resume) {
    HARNESS_TRY_ASSIGN(std::int64_t seq, session_seq(db, req.session_id));
    HARNESS_TRY(check_no_unfinished(db, req.session_id));
    return seq;
  }
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare("INSERT INTO sessions(id, created_at, last_seq, owner) "
                                         "VALUES(?, ?, 0, ?)"));
  Status s = st.bind(1, req.session_id).bind(2, now).bind_or_null(3, req.spec.owner).run();
  if (!s && s.error().code == ErrorCode::conflict)
    return make_error(ErrorCode::conflict, "session " + req.session_id + " already exists");
  if (!s) return s.error();
  if (req.fork_from.empty()) return std::int64_t{0};
  HARNESS_TRY(copy_prefix(db, req));
  return req.fork_seq;
}

}  // namespace

Result<SubmitResult> submit(Db& db, const SubmitRequest& req) {
  HARNESS_TRY_ASSIGN(Tx tx, Tx::begin(db, true));
  if (!req.spec.idempotency_key.empty()) {
    HARNESS_TRY_ASSIGN(auto earlier, find_by_key(db, req));
    if (earlier) return std::move(*earlier);  // the transaction rolls back: nothing written
  }
  TimeMs now = now_ms();
  HARNESS_TRY_ASSIGN(std::int64_t seq, open_session(db, req, now));
  model::LeafSpec spec = req.spec;
  if (req.resume) {
    HARNESS_TRY_ASSIGN(spec.owner, session_owner(db, req.session_id));
  }
  SubmitResult out;
  out.event = model::Event{
      req.session_id,      seq + 1, req.leaf_id, std::string(model::event::leaf_submitted), now,
      model::to_json(spec)};
  HARNESS_TRY(model::apply_event(out.leaf, out.event));
  HARNESS_TRY(insert_event(db, out.event));
  HARNESS_TRY(insert_leaf(db, out.leaf, req.idempotency_scope, req.request_hash));
  HARNESS_TRY(set_session_seq(db, req.session_id, out.event.seq));
  HARNESS_TRY(tx.commit());
  return out;
}

Result<AppendResult> append(Db& db, const std::string& leaf_id,
                            const std::vector<model::EventDraft>& drafts) {
  HARNESS_TRY_ASSIGN(Tx tx, Tx::begin(db, true));
  AppendResult out;
  HARNESS_TRY_ASSIGN(out.leaf, load_leaf(db, leaf_id));
  if (drafts.empty()) return out;
  HARNESS_TRY_ASSIGN(std::int64_t seq, session_seq(db, out.leaf.session));
  TimeMs now = now_ms();
  out.events.reserve(drafts.size());
  // Apply every draft before writing anything, so a refused one leaves no trace.
  for (const auto& d : drafts) {
    model::Event e{out.leaf.session, ++seq, out.leaf.id, d.type, now, d.data};
    HARNESS_TRY(model::apply_event(out.leaf, e));
    out.events.push_back(std::move(e));
  }
  for (const auto& e : out.events) HARNESS_TRY(insert_event(db, e));
  HARNESS_TRY(update_leaf(db, out.leaf));
  HARNESS_TRY(set_session_seq(db, out.leaf.session, seq));
  HARNESS_TRY(tx.commit());
  return out;
}

Status probe_write(Db& db) {
  HARNESS_TRY_ASSIGN(Tx tx, Tx::begin(db, true));
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare("INSERT INTO probe(id, at) VALUES(1, ?) "
                                         "ON CONFLICT(id) DO UPDATE SET at = excluded.at"));
  HARNESS_TRY(st.bind(1, now_ms()).run());
  return tx.commit();
}

}  // namespace harness::store::sqlite
