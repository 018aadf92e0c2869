#pragma once
// In-process listeners for leaf events: `wait` long-polls and `logs -f` streams register here
// and the Journal publishes every durable append. Loop thread only.

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "lib/model/leaf.hpp"

namespace harness::daemon {

class Watchers {
 public:
  // Return false to stop watching.
  using Fn = std::function<bool(const model::Leaf& leaf, const std::vector<model::Event>& events)>;

  // Watches one leaf; returns a token for unwatch().
  std::uint64_t watch(const std::string& leaf_id, Fn fn);
  void unwatch(const std::string& leaf_id, std::uint64_t token);
  void publish(const model::Leaf& leaf, const std::vector<model::Event>& events);
  size_t count() const;
  // The leaves watched now.
  std::vector<std::string> watched() const;

 private:
  std::unordered_map<std::string, std::unordered_map<std::uint64_t, Fn>> m_by_leaf;
  std::uint64_t m_next = 1;
};

}  // namespace harness::daemon
