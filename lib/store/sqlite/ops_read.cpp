// The read operations. Single statements need no explicit transaction; get_session reads two
// tables and takes a read transaction so both see the same snapshot.
#include <algorithm>

#include "lib/store/sqlite/ops.hpp"
#include "lib/store/sqlite/rows.hpp"

namespace harness::store::sqlite {
namespace {

constexpr int k_default_page = 100;
constexpr int k_max_page = 1000;

// The WHERE clause and its bound values for a leaf filter. Only a handful of shapes exist, so
// each is prepared once and cached.
struct Where {
  std::string sql = " WHERE 1";
  std::vector<std::string> values;
  void add(const char* cond, std::string v) {
    sql += cond;
    values.push_back(std::move(v));
  }
};

Where leaf_where(const LeafFilter& f) {
  Where w;
  if (f.state) w.add(" AND state = ?", std::string(model::to_string(*f.state)));
  if (!f.session.empty()) w.add(" AND session = ?", f.session);
  if (!f.cursor.empty()) w.add(" AND id < ?", f.cursor);
  if (f.owner)
    w.add(f.or_gated ? " AND (owner = ? OR json_extract(row, '$.gates') > 0)" : " AND owner = ?",
          *f.owner);
  if (f.created_since > 0)
    w.add(" AND created_at >= CAST(? AS INTEGER)", std::to_string(f.created_since));
  for (const std::string& label : f.labels) {
    // "k=v" matches that value; a bare "k" matches any leaf carrying the key.
    auto eq = label.find('=');
    if (eq == std::string::npos) {
      w.add(" AND id IN (SELECT leaf FROM leaf_labels WHERE key = ?)", label);
    } else {
      w.add(" AND id IN (SELECT leaf FROM leaf_labels WHERE key = ?", label.substr(0, eq));
      w.add(" AND value = ?)", label.substr(eq + 1));
    }
  }
  return w;
}

}  // namespace

Result<model::Leaf> get_leaf(Db& db, const std::string& id) {
  return load_leaf(db, id);
}

Result<LeafPage> list_leaves(Db& db, const LeafFilter& filter) {
  int limit = filter.limit <= 0 ? k_default_page : std::min(filter.limit, k_max_page);
  Where w = leaf_where(filter);
  HARNESS_TRY_ASSIGN(Stmt st,
                     db.prepare("SELECT row FROM leaves" + w.sql + " ORDER BY id DESC LIMIT ?"));
  int i = 1;
  for (const auto& v : w.values) st.bind(i++, v);
  st.bind(i, std::int64_t{limit} + 1);  // one extra row tells whether a next page exists
  LeafPage page;
  HARNESS_TRY_ASSIGN(page.leaves, collect_leaves(st));
  if (page.leaves.size() > static_cast<size_t>(limit)) {
    page.leaves.resize(static_cast<size_t>(limit));
    page.next_cursor = page.leaves.back().id;
  }
  return page;
}

Result<std::vector<model::Event>> read_events(Db& db, const EventQuery& q) {
  HARNESS_TRY(session_seq(db, q.session));  // not_found for an unknown session
  std::string sql = std::string("SELECT ") + k_event_columns +
                    " FROM events WHERE session = ? AND seq > ?" +
                    (q.leaf.empty() ? "" : " AND leaf = ?") + " ORDER BY seq LIMIT ?";
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare(sql));
  st.bind(1, q.session).bind(2, q.after_seq);
  int i = 3;
  if (!q.leaf.empty()) st.bind(i++, q.leaf);
  st.bind(i, q.limit <= 0 ? std::int64_t{-1} : std::int64_t{q.limit});  // -1: no limit
  std::vector<model::Event> out;
  for (;;) {
    HARNESS_TRY_ASSIGN(bool row, st.step());
    if (!row) return out;
    HARNESS_TRY_ASSIGN(model::Event e, read_event_row(st));
    out.push_back(std::move(e));
  }
}

Result<model::Session> get_session(Db& db, const std::string& id) {
  HARNESS_TRY_ASSIGN(Tx tx, Tx::begin(db, false));
  model::Session s;
  s.id = id;
  {
    HARNESS_TRY_ASSIGN(Stmt st,
                       db.prepare("SELECT created_at, last_seq, owner FROM sessions WHERE id = ?"));
    st.bind(1, id);
    HARNESS_TRY_ASSIGN(bool row, st.step());
    if (!row) return make_error(ErrorCode::not_found, "no such session " + id);
    s.created_at = st.int64(0);
    s.last_seq = st.int64(1);
    s.owner = st.text(2);
  }
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare("SELECT row FROM leaves WHERE session = ? ORDER BY id"));
  st.bind(1, id);
  HARNESS_TRY_ASSIGN(s.leaves, collect_leaves(st));
  return s;
}

Result<std::vector<model::Leaf>> list_unfinished(Db& db) {
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare(std::string("SELECT row FROM leaves WHERE ") +
                                         k_unfinished_sql + " ORDER BY id"));
  return collect_leaves(st);
}

Result<bool> ping(Db& db) {
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare("SELECT count(*) FROM sessions WHERE 0"));
  HARNESS_TRY(st.run());
  return true;
}

}  // namespace harness::store::sqlite
