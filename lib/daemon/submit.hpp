#pragma once
// Turning a submit request body into a leaf spec: parsing (400 on malformed input), validation
// against the config (422 on unusable values), and preparing the leaf's envelope on disk.
// Parsing and validation are pure; prepare/discard do blocking file I/O (run them off the loop).

#include <string>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/model/leaf.hpp"
#include "lib/model/policy.hpp"

namespace harness::daemon {

struct InputFile {
  std::string path;  // workspace-relative, validated
  std::string data;  // decoded bytes
};

struct SubmitPlan {
  model::LeafSpec spec;
  std::vector<InputFile> inputs;
  std::string session;           // non-empty: resume this session (or, with fork_seq, fork it)
  std::int64_t fork_seq = 0;     // > 0: a fork of `session` up to this seq (fork_routes.cpp)
  std::string policy_name;       // "policy" of the body; empty = the default (or the session's)
  model::Narrowing narrowing;    // "ask", "allow", "deny" of the body
  bool max_turns_given = false;  // the body set max_turns (else: default, or the session's)
  bool timeout_given = false;    // the body set timeout_s
  bool token_budget_given = false;
  bool budget_usd_given = false;
  bool inactivity_given = false;
  std::string run_as;      // "run_as" of the body (--run-as); "" = the caller's account
  std::string fresh_only;  // non-empty: why this leaf may not use a workdir (accounts.hpp)
};

// Parses and validates a submit body (docs/api.md). `session_from_path` is the {id} of
// POST /v1/sessions/{id}/leaves (empty for POST /v1/leaves).
Result<SubmitPlan> parse_submit(const std::string& body, const std::string& session_from_path,
                                const config::Config& cfg);
// Fills defaults a resumed leaf inherits from the session's previous leaf (model, sandbox,
// workdir/workspace) for the fields the request left unset.
void inherit_from(SubmitPlan& plan, const model::Leaf& previous);
// Sets spec.policy to the effective policy: the named config policy (new session) or the
// session's (resume, `previous`), narrowed by the request. invalid for an unknown policy or a bad
// rule; forbidden when a resume names another policy and `admin` is false.
Status resolve_policy(SubmitPlan& plan, const config::Config& cfg, const model::Leaf* previous,
                      bool admin);
// Checks profiles and that a workdir is absolute (invalid, naming what is wrong). The workdir
// rules need the file system: apply_workdir_rules (workdir_rules.hpp), off the loop.
Status validate_plan(SubmitPlan& plan, const config::Config& cfg);
// Creates the envelope under the real path of `state_dir` and, unless a workspace is set, a
// fresh one in it owned by spec.run_as; writes the input files into the workspace beneath its
// directory fd, never through a symlink, as spec.run_as (submit_files.cpp). Sets
// spec.envelope/workspace. Blocking.
Status prepare_envelope(SubmitPlan& plan, const std::string& state_dir, const std::string& leaf_id);
// Removes what prepare_envelope created (the submit failed). Blocking.
void discard_envelope(const SubmitPlan& plan);

}  // namespace harness::daemon
