#pragma once
// `harnessctl __complete leaves [--state S]... | sessions [--socket P] [--url U]`: ids for the
// shell completions, one per line. Hidden (not in --help, not a command of the table). Silent:
// a daemon that cannot be reached within a short timeout, or refuses, prints nothing and exits 0,
// so pressing TAB never prints errors into the command line.
//
// leaves: with --state (repeatable; "gated" = awaiting_approval) the leaves in those states, in
// the order given; without, unfinished leaves (running, awaiting_approval, queued) first, then
// the most recent others. sessions: the sessions of the most recent leaves, newest first.

#include <string>
#include <vector>

#include "lib/client/context.hpp"
#include "lib/client/endpoint.hpp"

namespace harness::client {

// `args` is argv from "__complete" on.
int complete_ids(const std::vector<std::string>& args, Io io, const EnvLookup& env);

}  // namespace harness::client
