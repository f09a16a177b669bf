// A C++ client of the calculator: starts the Node server as a child process
// with tsmig::spawn_with_ports, receives a send right to its port, and calls
// it with the generated C++ stubs.
//   usage: client NODE SERVER_JS
#include <sys/wait.h>
#include <tsmig/handshake.h>

#include <cinttypes>
#include <cstdio>

#include "calc.mig.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s NODE SERVER_JS\n", argv[0]);
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one line at a time, in order with the server's
  pid_t pid = 0;
  tsmig::PortMap server;
  kern_return_t kr = tsmig::spawn_with_ports(pid, argv[1], {argv[1], argv[2]}, {}, server);
  if (kr != KERN_SUCCESS) {
    std::fprintf(stderr, "c++ client: cannot start the server: %s\n", tsmig_handshake_error_string(kr));
    return 1;
  }
  const mach_port_t calc_port = server["calc"];

  int sum = 0;
  if ((kr = calc::add(calc_port, 2, 3, &sum)) != KERN_SUCCESS) return std::fprintf(stderr, "add: %s\n", mach_error_string(kr)), 1;
  std::printf("c++ client: 2 + 3 = %d\n", sum);
  int64_t quotient = 0, remainder = 0;
  if ((kr = calc::divide(calc_port, 17, 5, &quotient, &remainder)) != KERN_SUCCESS) return std::fprintf(stderr, "divide: %s\n", mach_error_string(kr)), 1;
  std::printf("c++ client: 17 / 5 = %" PRId64 " remainder %" PRId64 "\n", quotient, remainder);
  kr = calc::divide(calc_port, 1, 0, &quotient, &remainder);
  std::printf("c++ client: 1 / 0 failed: %s\n", kr == KERN_INVALID_ARGUMENT ? "KERN_INVALID_ARGUMENT" : mach_error_string(kr));

  // Our send right was the server's last: it exits.
  mach_port_deallocate(mach_task_self(), calc_port);
  int status = 0;
  waitpid(pid, &status, 0);
  std::printf("c++ client: server exited with code %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
