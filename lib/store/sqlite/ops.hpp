#pragma once
// The store's operations as plain blocking functions on one connection. They run on the DB
// thread only (SqliteStore queues them there); each write is one BEGIN IMMEDIATE transaction.

#include <string>
#include <vector>

#include "lib/store/sqlite/db.hpp"
#include "lib/store/store.hpp"

namespace harness::store::sqlite {

// Same contracts as the Store methods of the same name.
Result<SubmitResult> submit(Db& db, const SubmitRequest& req);
Result<AppendResult> append(Db& db, const std::string& leaf_id,
                            const std::vector<model::EventDraft>& drafts);
Result<model::Leaf> get_leaf(Db& db, const std::string& id);
Result<LeafPage> list_leaves(Db& db, const LeafFilter& filter);
Result<std::vector<model::Event>> read_events(Db& db, const EventQuery& q);
Result<model::Session> get_session(Db& db, const std::string& id);
Result<std::vector<model::Leaf>> list_unfinished(Db& db);
Result<bool> ping(Db& db);
// A small committed write (the probe row): does writing work again? unavailable while the
// disk is full or the file is locked or failing.
Status probe_write(Db& db);

}  // namespace harness::store::sqlite
