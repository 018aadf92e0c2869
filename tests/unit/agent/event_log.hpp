#pragma once
// A session's event log built by hand for history tests: events of session ses_1, numbered in
// order of add().

#include <string>
#include <string_view>
#include <vector>

#include "lib/model/leaf.hpp"

namespace harness::agent::testing {

struct EventLog {
  std::vector<model::Event> events;
  void add(const std::string& leaf, std::string_view type, model::Json data) {
    model::Event e;
    e.session = "ses_1";
    e.seq = static_cast<std::int64_t>(events.size()) + 1;
    e.leaf = leaf;
    e.type = std::string(type);
    e.data = std::move(data);
    events.push_back(std::move(e));
  }
};

}  // namespace harness::agent::testing
