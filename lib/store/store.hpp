#pragma once
// The Store: sessions as append-only event logs, leaf rows as their projection, nothing
// SQL- or Redis-specific above this line. Implementations: sqlite/ (one DB thread) and, later,
// redis/ (hiredis async on the loop).
//
// Threads: every method is called on the loop thread and every callback runs on the loop
// thread, later (never inside the call). Callbacks are always called exactly once, also on
// close (with `unavailable`).

#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/model/leaf.hpp"

namespace harness::store {

template <class T>
using Callback = std::function<void(Result<T>)>;

struct SubmitRequest {
  std::string leaf_id;     // new, from new_id("lf_")
  std::string session_id;  // new from new_id("ses_"), or an existing session to resume
  bool resume = false;     // true: session must exist and have no unfinished leaf (else conflict)
  model::LeafSpec spec;    // spec.idempotency_key: see SubmitResult::created; spec.owner: the
                           // owner of a new session (a resumed leaf gets its session's owner)
  // Idempotency keys are per submitter: `idempotency_scope` names them ("uid:N"), and
  // `request_hash` is a digest of the request. The same scope and key with another hash is a
  // conflict; with the same hash the earlier leaf is returned.
  std::string idempotency_scope;
  std::string request_hash;
};

struct SubmitResult {
  model::Leaf leaf;
  model::Event event;   // the leaf_submitted event
  bool created = true;  // false: an earlier leaf had the same idempotency key; that leaf
                        // is returned and nothing was written
};

struct AppendResult {
  model::Leaf leaf;                  // the row after the events were applied
  std::vector<model::Event> events;  // numbered and timestamped
};

struct LeafFilter {
  std::optional<model::LeafState> state;
  std::string session;
  std::vector<std::string> labels;  // each "k=v", or a bare "k" = has that label; all must match
  std::int64_t created_since = 0;   // > 0: only leaves created at or after this (ms since epoch)
  int limit = 100;                  // at most 1000; <= 0 means the default (100)
  std::string cursor;               // return leaves created before this leaf id (newest first)
  // Set: only leaves of this owner (and, with `or_gated`, also leaves that opened a gate).
  std::optional<std::string> owner;
  bool or_gated = false;
};

struct LeafPage {
  std::vector<model::Leaf> leaves;  // newest first
  std::string next_cursor;          // empty at the end
};

struct EventQuery {
  std::string session;
  std::string leaf;  // non-empty: only this leaf's events
  std::int64_t after_seq = 0;
  int limit = 1000;  // <= 0: no limit
};

class Store {
 public:
  virtual ~Store() = default;

  // Writes the leaf_submitted event (creating the session unless resuming) and the leaf row,
  // atomically. not_found: resuming an unknown session; conflict: the session has a leaf that
  // is not terminal, or the idempotency key was used for another request.
  virtual void submit(SubmitRequest req, Callback<SubmitResult> cb) = 0;
  // Appends `drafts` to the leaf's session in one transaction, numbering them and applying each
  // to the leaf row with model::apply_event. If any draft is refused (e.g. the leaf is already
  // terminal: conflict) nothing is written. unavailable when the store cannot write now (disk
  // full, locked, I/O error): nothing was written and the same append may be tried again.
  virtual void append(std::string leaf_id, std::vector<model::EventDraft> drafts,
                      Callback<AppendResult> cb) = 0;
  // not_found for an unknown id.
  virtual void get_leaf(std::string id, Callback<model::Leaf> cb) = 0;
  virtual void list_leaves(LeafFilter filter, Callback<LeafPage> cb) = 0;
  // Events of a session (or one leaf) in seq order. not_found for an unknown session.
  virtual void read_events(EventQuery q, Callback<std::vector<model::Event>> cb) = 0;
  // The session and its leaves. not_found for an unknown id.
  virtual void get_session(std::string id, Callback<model::Session> cb) = 0;
  // Every leaf not in a terminal state, oldest first: crash recovery and the queue.
  virtual void list_unfinished(Callback<std::vector<model::Leaf>> cb) = 0;
  // Answers ok when the store can serve requests (for /readyz). After a write failed with
  // unavailable (disk full, database locked, I/O error), it answers that error — naming the
  // store and its reason — until a write works again; it tries a small write itself to find out.
  virtual void ping(Callback<bool> cb) = 0;
  // Finishes the jobs already accepted, fails later ones with `unavailable`, releases threads
  // and handles, then calls `done` on the loop thread.
  virtual void close(std::function<void()> done) = 0;
};

// Opens the store named by `url`: "sqlite:PATH" (or a bare path). Runs migrations. Blocking:
// call at startup, before the loop serves requests. invalid for an unknown scheme; unavailable
// when the database cannot be opened (the message says which file and why). An open store keeps
// the loop alive; after close() it holds no handle, so uv_run can return.
Result<std::unique_ptr<Store>> open_store(uv_loop_t* loop, const std::string& url);

}  // namespace harness::store
