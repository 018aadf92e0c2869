#include "lib/store/sqlite/rows.hpp"

namespace harness::store::sqlite {

using model::Json;

namespace {
Json parse(std::string_view text) {
  return Json::parse(text.begin(), text.end(), nullptr, false);
}
}  // namespace

Result<model::Leaf> leaf_from_row(std::string_view text) {
  Json j = parse(text);
  if (j.is_discarded()) return make_error(ErrorCode::internal, "corrupt leaf row in the store");
  return model::leaf_from_json(j);
}

Result<model::Event> read_event_row(const Stmt& st) {
  model::Event e;
  e.session = st.text(0);
  e.seq = st.int64(1);
  e.leaf = st.text(2);
  e.type = st.text(3);
  e.ts = st.int64(4);
  e.data = parse(st.text_view(5));
  if (e.data.is_discarded())
    return make_error(ErrorCode::internal,
                      "corrupt event " + e.session + "#" + std::to_string(e.seq) + " in the store");
  return e;
}

Result<std::vector<model::Leaf>> collect_leaves(Stmt& st) {
  std::vector<model::Leaf> out;
  for (;;) {
    HARNESS_TRY_ASSIGN(bool row, st.step());
    if (!row) return out;
    HARNESS_TRY_ASSIGN(model::Leaf leaf, leaf_from_row(st.text_view(0)));
    out.push_back(std::move(leaf));
  }
}

Result<model::Leaf> load_leaf(Db& db, const std::string& id) {
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare("SELECT row FROM leaves WHERE id = ?"));
  st.bind(1, id);
  HARNESS_TRY_ASSIGN(bool row, st.step());
  if (!row) return make_error(ErrorCode::not_found, "no such leaf " + id);
  return leaf_from_row(st.text_view(0));
}

Result<std::int64_t> session_seq(Db& db, const std::string& id) {
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare("SELECT last_seq FROM sessions WHERE id = ?"));
  st.bind(1, id);
  HARNESS_TRY_ASSIGN(bool row, st.step());
  if (!row) return make_error(ErrorCode::not_found, "no such session " + id);
  return st.int64(0);
}

Status set_session_seq(Db& db, const std::string& id, std::int64_t seq) {
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare("UPDATE sessions SET last_seq = ? WHERE id = ?"));
  return st.bind(1, seq).bind(2, id).run();
}

Status insert_event(Db& db, const model::Event& e) {
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare("INSERT INTO events(session, seq, leaf, type, ts, data) "
                                         "VALUES(?, ?, ?, ?, ?, ?)"));
  st.bind(1, e.session).bind(2, e.seq).bind(3, e.leaf).bind(4, e.type).bind(5, e.ts);
  return st.bind(6, dump_json(e.data)).run();
}

Status insert_leaf(Db& db, const model::Leaf& leaf, const std::string& idem_scope,
                   const std::string& idem_hash) {
  {
    HARNESS_TRY_ASSIGN(Stmt st, db.prepare("INSERT INTO leaves(id, session, state, created_at, "
                                           "owner, idem_scope, idem_key, idem_hash, row) "
                                           "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    st.bind(1, leaf.id).bind(2, leaf.session).bind(3, model::to_string(leaf.state));
    st.bind(4, leaf.created_at).bind_or_null(5, leaf.spec.owner);
    if (leaf.spec.idempotency_key.empty())
      st.bind_null(6).bind_null(7).bind_null(8);
    else
      st.bind(6, idem_scope).bind(7, leaf.spec.idempotency_key).bind(8, idem_hash);
    Status s = st.bind(9, dump_json(model::to_json(leaf))).run();
    if (!s) {
      if (s.error().code == ErrorCode::conflict)
        return make_error(ErrorCode::conflict, "leaf " + leaf.id + " already exists");
      return s;
    }
  }
  HARNESS_TRY_ASSIGN(Stmt st,
                     db.prepare("INSERT INTO leaf_labels(leaf, key, value) VALUES(?, ?, ?)"));
  for (auto& [k, v] : leaf.spec.labels) {
    HARNESS_TRY(st.bind(1, leaf.id).bind(2, k).bind(3, v).run());
    st.reset();
  }
  return {};
}

Status update_leaf(Db& db, const model::Leaf& leaf) {
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare("UPDATE leaves SET state = ?, row = ? WHERE id = ?"));
  st.bind(1, model::to_string(leaf.state)).bind(2, dump_json(model::to_json(leaf)));
  return st.bind(3, leaf.id).run();
}

}  // namespace harness::store::sqlite
