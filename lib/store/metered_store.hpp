#pragma once
// A Store that times every operation of the store it wraps, from the call to its callback on the
// loop thread (queueing on the DB thread or the Redis connection included), into
// harness_store_operation_duration_seconds{op} and harness_store_operation_errors_total{op}.
// open_store returns every store wrapped in one.

#include <memory>

#include "lib/store/store.hpp"

namespace harness::store {

std::unique_ptr<Store> metered(std::unique_ptr<Store> inner);

}  // namespace harness::store
