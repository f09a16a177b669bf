// Benchmark peer: a C++ server child of bench.defs (subsystem rpcbench),
// built from the generated server file and the runtime library, no Node.
// It sends a hello (id 1000, carrying a send right to its service port) to
// the send right it inherited as descriptor 3, then serves on one thread
// until its standard input closes.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include <tsmig/runtime.h>

#include "rpcbench.mig.h"

extern "C" {

kern_return_t add(mach_port_t, int a, int b, int *sum) {
  *sum = a + b;
  return KERN_SUCCESS;
}

// Succeeding, a routine owns what the request carried: it gives the region and the rights back.
kern_return_t big(mach_port_t, vm_offset_t data, mach_msg_type_number_t dataCnt, int *size) {
  *size = static_cast<int>(dataCnt);
  return vm_deallocate(mach_task_self(), data, dataCnt);
}

kern_return_t many_ports(mach_port_t, ool_ports_copy_t ports, mach_msg_type_number_t portsCnt, int *count) {
  for (mach_msg_type_number_t k = 0; k < portsCnt; k++) mach_port_deallocate(mach_task_self(), ports[k]);
  *count = static_cast<int>(portsCnt);
  return vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(ports), portsCnt * sizeof *ports);
}

}  // extern "C"

namespace {

void check(kern_return_t kr, const char *what) {
  if (kr != KERN_SUCCESS) {
    std::fprintf(stderr, "bench-server: %s failed: 0x%x\n", what, kr);
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
  hello.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_MAKE_SEND);
  hello.msgh_size = sizeof hello;
  hello.msgh_remote_port = parent;
  hello.msgh_local_port = port;
  hello.msgh_id = 1000;
  check(mach_msg(&hello, MACH_SEND_MSG, sizeof hello, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL),
        "hello");
  // A blocking receive per request, as a real server does; the main thread only waits for the parent to go.
  std::thread([port] { rpcbench_serve(port); }).detach();
  char sink[64];
  while (read(0, sink, sizeof sink) > 0) {
  }
  std::_Exit(0);
}
