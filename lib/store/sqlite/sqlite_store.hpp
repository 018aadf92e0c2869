#pragma once
// The SQLite Store. Threads: methods and callbacks on the loop thread; every operation runs as
// a job on one DbThread (FIFO, so the order of calls is the order of writes), and its result
// comes back through one loop::AsyncQueue.

#include <uv.h>

#include <memory>
#include <string>

#include "lib/store/store.hpp"

namespace harness::store::sqlite {

// Opens PATH (creating the file), sets the pragmas, migrates, and starts the DB thread.
// Blocking: call at startup. unavailable naming the file when it cannot be opened or is from a
// newer harnessd.
Result<std::unique_ptr<Store>> open_sqlite_store(uv_loop_t* loop, const std::string& path);

}  // namespace harness::store::sqlite
