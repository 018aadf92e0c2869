#pragma once
// Row-level helpers shared by the read and write operations: decoding stored JSON, loading and
// inserting single rows. DB thread only.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/model/leaf.hpp"
#include "lib/store/sqlite/db.hpp"

namespace harness::store::sqlite {

// The SQL condition selecting leaves that are not terminal.
inline constexpr const char* k_unfinished_sql = "state IN ('queued','running','awaiting_approval')";
// Columns read_event_row() expects, in order.
inline constexpr const char* k_event_columns = "session, seq, leaf, type, ts, data";

// A leaf from its stored row text; internal when the row is corrupt.
Result<model::Leaf> leaf_from_row(std::string_view text);
// The event at the statement's current row (k_event_columns).
Result<model::Event> read_event_row(const Stmt& st);
// All leaves selected by a prepared statement whose first column is the row text.
Result<std::vector<model::Leaf>> collect_leaves(Stmt& st);

// not_found "no such leaf ID" when absent.
Result<model::Leaf> load_leaf(Db& db, const std::string& id);
// The session's last_seq; not_found "no such session ID" when absent.
Result<std::int64_t> session_seq(Db& db, const std::string& id);
Status set_session_seq(Db& db, const std::string& id, std::int64_t seq);
Status insert_event(Db& db, const model::Event& e);
// Inserts a new leaf row with its labels, its owner (spec.owner) and its idempotency key
// (spec.idempotency_key, per `idem_scope`, with the request's hash); conflict when the id or
// the scoped key exists.
Status insert_leaf(Db& db, const model::Leaf& leaf, const std::string& idem_scope,
                   const std::string& idem_hash);
Status update_leaf(Db& db, const model::Leaf& leaf);

}  // namespace harness::store::sqlite
