// Benchmark child for bench/handshake.bench.js: the same C++ program for
// both measurements. Started with ports, it claims them (offering one of its
// own); either way it then writes one byte to stdout and exits.
#include <unistd.h>

#include <tsmig/handshake.h>

int main() {
  if (tsmig_started_with_ports()) {
    mach_port_t inbox = MACH_PORT_NULL;
    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &inbox);
    tsmig::PortMap parent;
    if (tsmig::claim_parent_ports(parent, {{"inbox", inbox, MACH_MSG_TYPE_MAKE_SEND}}) != KERN_SUCCESS) return 1;
    for (const auto &entry : parent) mach_port_deallocate(mach_task_self(), entry.second);
  }
  return write(1, "x", 1) == 1 ? 0 : 1;
}
