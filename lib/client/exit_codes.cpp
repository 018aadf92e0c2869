#include "lib/client/exit_codes.hpp"

#include "lib/model/leaf.hpp"

namespace harness::client {

int exit_code_for_leaf(std::string_view state, std::string_view reason) {
  auto parsed = model::parse_leaf_state(state);
  if (!parsed) return exit_code::error;
  switch (*parsed) {
    case model::LeafState::succeeded:
      return exit_code::succeeded;
    case model::LeafState::failed:
      return model::is_limit_reason(reason) ? exit_code::limit : exit_code::failed;
    case model::LeafState::rejected:
      return exit_code::rejected;
    case model::LeafState::cancelled:
      return exit_code::cancelled;
    case model::LeafState::queued:
    case model::LeafState::running:
    case model::LeafState::awaiting_approval:
      return exit_code::timeout;
  }
  return exit_code::error;
}

int exit_code_for_error(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request:
    case ErrorCode::invalid:
    case ErrorCode::too_large:
      return exit_code::usage;
    case ErrorCode::unauthorized:
    case ErrorCode::forbidden:
      return exit_code::unauthorized;
    case ErrorCode::not_found:
      return exit_code::not_found;
    // A daemon that does not answer in time is as good as unreachable: safe to retry.
    case ErrorCode::unavailable:
    case ErrorCode::timeout:
      return exit_code::unavailable;
    case ErrorCode::conflict:
    case ErrorCode::internal:
      return exit_code::error;
  }
  return exit_code::error;
}

}  // namespace harness::client
