#pragma once
// Connection setup and versioned schema migrations. Blocking: runs in open_store, before the
// DB thread takes the connection.

#include "lib/base/result.hpp"
#include "lib/store/sqlite/db.hpp"

namespace harness::store::sqlite {

// The schema version this build writes (PRAGMA user_version after migrating).
int schema_version();
// Sets the pragmas (WAL, synchronous=FULL, busy_timeout, foreign_keys) and applies the
// migrations the file lacks, each in its own transaction. unavailable when the file is not a
// database or was written by a newer harnessd (the message names the file and the versions).
Status prepare_database(Db& db);

}  // namespace harness::store::sqlite
