#include <doctest/doctest.h>

#include "lib/client/exit_codes.hpp"

using namespace harness;
using namespace harness::client;

TEST_CASE("wait exit codes follow the leaf's state and reason (SPEC §9)") {
  CHECK(exit_code_for_leaf("succeeded", "completed") == 0);
  CHECK(exit_code_for_leaf("failed", "model_error") == 3);
  CHECK(exit_code_for_leaf("failed", "sandbox_error") == 3);
  CHECK(exit_code_for_leaf("failed", "internal") == 3);
  CHECK(exit_code_for_leaf("failed", "interrupted") == 3);
  for (const char* limit : {"max_turns", "max_duration", "inactivity", "budget"})
    CHECK(exit_code_for_leaf("failed", limit) == 7);
  CHECK(exit_code_for_leaf("rejected", "rejected") == 5);
  CHECK(exit_code_for_leaf("cancelled", "cancelled") == 6);
  for (const char* live : {"queued", "running", "awaiting_approval"})
    CHECK(exit_code_for_leaf(live, "") == 8);
  CHECK(exit_code_for_leaf("exploded", "") == 1);
}

TEST_CASE("API errors map to exit codes in one table") {
  CHECK(exit_code_for_error(ErrorCode::bad_request) == 2);
  CHECK(exit_code_for_error(ErrorCode::invalid) == 2);
  CHECK(exit_code_for_error(ErrorCode::too_large) == 2);
  CHECK(exit_code_for_error(ErrorCode::unauthorized) == 4);
  CHECK(exit_code_for_error(ErrorCode::forbidden) == 4);
  CHECK(exit_code_for_error(ErrorCode::not_found) == 9);
  CHECK(exit_code_for_error(ErrorCode::unavailable) == 10);
  CHECK(exit_code_for_error(ErrorCode::timeout) == 10);
  CHECK(exit_code_for_error(ErrorCode::conflict) == 1);
  CHECK(exit_code_for_error(ErrorCode::internal) == 1);
}
