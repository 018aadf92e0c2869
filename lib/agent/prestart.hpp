#pragma once
// Speculative sandbox starts. A leaf's sandbox opens with its first tool call, and opening one
// (namespaces, mounts, the helper's greeting) costs more than a tool call. So a leaf starts its
// bwrap sandbox while its first model call is in flight, and the first tool call finds it ready.
// A leaf that never calls a tool wasted that start, so only a few leaves at a time may hold a
// sandbox opened ahead of use: the budget. Loop thread only.

namespace harness::agent {

class PrestartBudget {
 public:
  // How many leaves may hold a sandbox started ahead of their first tool call at once.
  static constexpr int k_default_max = 8;

  explicit PrestartBudget(int max = k_default_max) : m_max(max) {}
  // A slot, or false when `max` leaves hold one already.
  bool take() {
    if (m_used >= m_max) return false;
    ++m_used;
    return true;
  }
  // The leaf used its sandbox (a tool call ran) or ended.
  void give_back() {
    if (m_used > 0) --m_used;
  }
  int in_use() const { return m_used; }

 private:
  int m_max;
  int m_used = 0;
};

}  // namespace harness::agent
