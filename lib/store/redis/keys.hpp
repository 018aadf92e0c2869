#pragma once
// The data layout in Redis (one logical database; every key starts with k_prefix). Scripts
// (scripts.cpp) build the per-leaf and per-session names themselves from the prefix they are
// given; label index names are built here and passed in.
//
//   harness:schema                 string   layout version (k_schema_version)
//   harness:leaf:ID                hash     row (API leaf JSON, the projection), session, state,
//                                           first_seq, last_seq, owner, idem, idem_hash,
//                                           gated (once it opened a gate), qid (while queued)
//   harness:ses:ID                 hash     created_at, last_seq, owner, active (its unfinished
//                                           leaf)
//   harness:ses:ID:log             stream   the session's events; entry id "SEQ-0", fields
//                                           leaf, type, ts, data (JSON)
//   harness:ses:ID:leaves          zset     leaf ids of the session (score 0: sorted by id)
//   harness:leaves                 zset     every leaf id (score 0; ids are ULIDs, so the
//                                           lexicographic order is creation order)
//   harness:state:STATE            zset     leaf ids in that state
//   harness:label:N:K              zset     leaves carrying label key K (N = K's length)
//   harness:label:N:K=V            zset     leaves with K=V
//   harness:owner:OWNER            zset     leaves of that owner
//   harness:idem                   hash     N:SCOPE KEY (N = SCOPE's length) -> leaf id
//   harness:queue                  stream   one entry per queued leaf (field leaf), consumer
//                                           group "harness"; the entry is acked and deleted
//                                           when the leaf leaves `queued`
//
// Every write goes through one Lua script that first checks everything it depends on and only
// then writes, so a refused write leaves no trace (Redis does not roll back a script that
// fails half-way). The session's last_seq is the version of every leaf row of the session:
// a leaf row only changes together with an event appended to its session.
//
// Not yet used by this single-daemon store, but laid out for it (issue 9): the queue's consumer
// group for claims (XREADGROUP/XAUTOCLAIM), and leaf hash fields for node, lease and fencing
// token next to `row`.

#include <string>
#include <string_view>

namespace harness::store::redis {

inline constexpr std::string_view k_prefix = "harness:";
inline constexpr int k_schema_version = 1;
inline constexpr std::string_view k_queue_group = "harness";

inline std::string leaf_key(std::string_view id) {
  return std::string(k_prefix) + "leaf:" + std::string(id);
}
inline std::string session_key(std::string_view id) {
  return std::string(k_prefix) + "ses:" + std::string(id);
}
// The index of leaves carrying label key `key`.
inline std::string label_key_index(std::string_view key) {
  return std::string(k_prefix) + "label:" + std::to_string(key.size()) + ":" + std::string(key);
}
// The index of leaves with label key=value.
inline std::string label_value_index(std::string_view key, std::string_view value) {
  return label_key_index(key) + "=" + std::string(value);
}
inline std::string owner_index(std::string_view owner) {
  return std::string(k_prefix) + "owner:" + std::string(owner);
}
// The field of harness:idem for an idempotency key in its scope (the submitter).
inline std::string idempotency_field(std::string_view scope, std::string_view key) {
  return std::to_string(scope.size()) + ":" + std::string(scope) + std::string(key);
}
// The zset of every leaf id.
inline std::string all_leaves_index() {
  return std::string(k_prefix) + "leaves";
}
inline std::string state_index(std::string_view state) {
  return std::string(k_prefix) + "state:" + std::string(state);
}
inline std::string session_leaves_index(std::string_view session) {
  return std::string(k_prefix) + "ses:" + std::string(session) + ":leaves";
}

}  // namespace harness::store::redis
