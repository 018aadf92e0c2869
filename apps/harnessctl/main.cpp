// harnessctl: the command line client of harnessd. The command table and its CLI11 wiring live
// in lib/client/cli.cpp; main only supplies the process's streams, environment and SIGINT.
#include <unistd.h>

#include <iostream>

#include "lib/client/cli.hpp"
#include "lib/client/interrupt.hpp"

int main(int argc, char** argv) {
  harness::client::install_interrupt_handler();
  harness::client::Io io{std::cout, std::cerr, std::cin, isatty(STDOUT_FILENO) == 1,
                         isatty(STDERR_FILENO) == 1};
  int code = harness::client::run_cli(argc, argv, io, harness::client::process_env());
  std::cout.flush();
  return code;
}
