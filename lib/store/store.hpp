#pragma once
// The Store: sessions as append-only event logs, leaf rows as their projection, nothing
// SQL- or Redis-specific above this line. Implementations: sqlite/ (one DB thread) and redis/
// (hiredis async on the loop).
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

class ScheduleStore;

// kubectl pod leases shared by the daemons of a shared store (lib/daemon/pod_leases.hpp).
struct PodLeaseRequest {
  enum class Op { acquire, renew, release };
  Op op = Op::acquire;
  std::string pool;                  // the pods' cluster and namespace
  std::vector<std::string> pods;     // acquire: the running pods to choose from
  std::int64_t cap = 1;              // acquire: max_leaves_per_pod
  std::vector<std::string> holders;  // acquire, release: the one leaf; renew: every one held
  std::int64_t ttl_ms = 15'000;      // a lease not renewed for this long is free again
};

// The persistence settings of a store's server, as read from it (doctor reports what they mean).
struct Durability {
  std::string kind;         // "" (nothing to read: SQLite) | "redis"
  std::optional<bool> aof;  // redis: appendonly; nullopt when unknown
  std::string fsync;        // redis: appendfsync "always" | "everysec" | "no"; "" when unknown
  std::string save;         // redis: the RDB `save` schedule ("" = none, or unknown)
  std::string via;          // how it was read: "CONFIG GET" | "INFO persistence"
};

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
  // Fork (resume false): the new session starts as a copy of events 1..fork_seq of session
  // `fork_from` (same seq, leaf, type, ts and data; the copied events keep the source's leaf
  // ids, whose rows stay in the source), and the leaf_submitted event gets seq fork_seq + 1.
  // The source is not changed. not_found: no such source session; invalid: fork_seq < 1 or
  // beyond the source's last seq. The source may have an unfinished leaf.
  std::string fork_from;
  std::int64_t fork_seq = 0;
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

// Several daemons on one store (Redis; docs/redis.md "Several daemons"). A daemon registers its
// node name, then claims leaves: each claim is a lease renewed by the next claim() call and
// carries a fencing token; the store checks it inside every append of a leaf it holds, so a
// daemon whose lease lapsed (paused, cut off) has its writes refused (conflict).
struct NodeRequest {
  std::string node;      // the name (config `node`)
  std::string instance;  // this process, unique (a restarted daemon is a new instance)
  std::int64_t ttl_ms = 15'000;
};

struct ClaimRequest {
  std::string node, instance;
  int want = 0;  // free slots: claim at most this many
  std::int64_t lease_ttl_ms = 15'000;
};

struct Claim {
  model::Leaf leaf;
  std::int64_t fence = 0;   // increases with every claim of the leaf
  bool after_gate = false;  // handed on by a verdict (it had parked at a gate), not by a crash
  bool released = false;    // given back by its daemon (a shutdown), not taken after expiry
};

struct ClaimResult {
  std::vector<Claim> claimed;  // expired leases first (oldest leaf first), then the queue
  // Leaves this store held that must stop here: ended elsewhere (cancelled), or lease lost.
  std::vector<std::string> lost;
};

class Store {
 public:
  virtual ~Store() = default;

  // Writes the leaf_submitted event (creating the session unless resuming; copying the source's
  // prefix when forking) and the leaf row, atomically. not_found: resuming an unknown session;
  // conflict: the session has a leaf that is not terminal, or the idempotency key was used for
  // another request.
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
  // The store's schedules (schedule_store.hpp), or nullptr when this store keeps none: the
  // daemon then runs no scheduler and /v1/schedules answers 503. Owned by the store.
  virtual ScheduleStore* schedules() { return nullptr; }
  // True when several daemons may share the store: leaves are then run through claim(), not
  // from list_unfinished(). SQLite: false (one daemon; the lease calls answer trivially).
  virtual bool shared() const { return false; }
  // Marks `node` live for ttl_ms (claim() renews it). conflict: another live instance holds
  // the name (it renewed within ttl_ms).
  virtual void register_node(NodeRequest req, Callback<bool> cb) = 0;
  // Renews the leases this store holds and the node's liveness, reports the leases lost, and
  // claims up to `want` leaves (expired leases of other daemons first, then the queue).
  virtual void claim(ClaimRequest req, Callback<ClaimResult> cb) = 0;
  // Gives a held leaf back (its runner stopped here without ending it: shutdown): claimable
  // at once by any daemon. A leaf not held, or no longer, is left alone.
  virtual void release(std::string leaf_id, Callback<bool> cb) = 0;
  // Answers ok when the store can serve requests (for /readyz). After a write failed with
  // unavailable (disk full, database locked, I/O error), it answers that error — naming the
  // store and its reason — until a write works again; it tries a small write itself to find out.
  virtual void ping(Callback<bool> cb) = 0;
  // Pod leases across daemons. acquire: answers {pod}, or {} when every pod is at the cap;
  // renew: the holders whose lease was lost (expired); release: {}. Stores that are not
  // shared answer unavailable (their daemon keeps pod leases in memory).
  virtual void pod_lease(PodLeaseRequest req, Callback<std::vector<std::string>> cb) = 0;
  // What the store's server does to keep an acknowledged write (for doctor). SQLite: an empty
  // `kind` (the daemon fsyncs its own file; nothing to read).
  virtual void durability(Callback<Durability> cb) = 0;
  // Finishes the jobs already accepted, fails later ones with `unavailable`, releases threads
  // and handles, then calls `done` on the loop thread.
  virtual void close(std::function<void()> done) = 0;
};

// Settings of the network stores (ignored by SQLite).
struct StoreOptions {
  std::int64_t connect_timeout_ms = 2000;  // connect + handshake, per attempt
  std::int64_t command_timeout_ms = 5000;  // per command; then the connection is dropped
};

// Opens the store named by `url`: "sqlite:PATH" (or a bare path), or
// "redis://[user:pass@]host:port/db". SQLite: runs migrations; blocking, call at startup, before
// the loop serves requests; unavailable when the database cannot be opened (the message says
// which file and why). Redis: starts connecting and returns at once; calls wait for the first
// connection (at most the connect timeout), then fail `unavailable` while Redis is unreachable.
// invalid for an unknown scheme or a bad URL. An open store keeps the loop alive; after close()
// it holds no handle, so uv_run can return.
Result<std::unique_ptr<Store>> open_store(uv_loop_t* loop, const std::string& url,
                                          const StoreOptions& options = {});

}  // namespace harness::store
