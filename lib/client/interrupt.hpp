#pragma once
// Ctrl-C handling for blocking waits and streams. The SIGINT handler only sets a flag; the
// libcurl progress callback and the wait loop poll it and give up, so the command exits 130
// while the leaf keeps running in the daemon.

namespace harness::client {

// Installs the SIGINT handler (call once from main).
void install_interrupt_handler();
// True once SIGINT arrived (or request_interrupt was called).
bool interrupted();
// Sets the flag as SIGINT would; for tests. reset_interrupt clears it.
void request_interrupt();
void reset_interrupt();

}  // namespace harness::client
