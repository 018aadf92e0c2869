#include "lib/client/interrupt.hpp"

#include <csignal>

namespace harness::client {
namespace {
volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_sigint(int) {
  g_interrupted = 1;
}
}  // namespace

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: let a blocking read see EINTR
  sigaction(SIGINT, &sa, nullptr);
}

bool interrupted() {
  return g_interrupted != 0;
}
void request_interrupt() {
  g_interrupted = 1;
}
void reset_interrupt() {
  g_interrupted = 0;
}

}  // namespace harness::client
