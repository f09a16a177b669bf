// Benchmark peer: a C++ server child of subsystem `calc` (test/golden/calc),
// built from the golden server file calc's input.server.mig.cc and the
// runtime library, no Node. It sends a hello (id 1000, carrying a send right
// to its service port) to the send right it inherited as descriptor 3, then
// serves on one thread until its standard input closes.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include <tsmig/runtime.h>

#include "input.mig.h"

extern "C" {

kern_return_t add(mach_port_t, int a, int b, int *sum) {
  *sum = a + b;
  return KERN_SUCCESS;
}

kern_return_t divide(mach_port_t, int64_t dividend, int64_t divisor, int64_t *quotient, int64_t *remainder) {
  if (divisor == 0) return KERN_INVALID_ARGUMENT;
  *quotient = dividend / divisor;
  *remainder = dividend % divisor;
  return KERN_SUCCESS;
}

kern_return_t log_value(mach_port_t, int) { return KERN_SUCCESS; }

kern_return_t ping(mach_port_t) { return KERN_SUCCESS; }

}  // extern "C"

namespace {

void check(kern_return_t kr, const char *what) {
  if (kr != KERN_SUCCESS) {
    std::fprintf(stderr, "calc-server: %s failed: 0x%x\n", what, kr);
    std::exit(1);
  }
}

}  // namespace

int main() {
  mach_port_t parent = MACH_PORT_NULL;
  check(tsmig_fd_to_send_right(3, &parent), "tsmig_fd_to_send_right");
  mach_port_t port = MACH_PORT_NULL;
  check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port), "mach_port_allocate");
  mach_msg_header_t hello{};
  hello.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND);
  hello.msgh_size = sizeof hello;
  hello.msgh_remote_port = parent;
  hello.msgh_local_port = port;
  hello.msgh_id = 1000;
  check(mach_msg(&hello, MACH_SEND_MSG, sizeof hello, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL),
        "hello");
  // A blocking receive per request, as a real server does; the main thread only waits for the parent to go.
  std::thread([port] { calc_serve(port); }).detach();
  char sink[64];
  while (read(0, sink, sizeof sink) > 0) {
  }
  std::_Exit(0);
}
