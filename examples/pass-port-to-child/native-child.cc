// The C++ child: claims the port its parent handed it and calls back over
// it with the generated C++ stubs, on tsmig's runtime library (the same
// program as child.ts, for a native helper).
#include <tsmig/handshake.h>
#include <unistd.h>

#include <cstdio>

#include "callback.mig.h"

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one line at a time, in order with the parent's
  tsmig::PortMap parent;
  kern_return_t kr = tsmig::claim_parent_ports(parent);
  if (kr != KERN_SUCCESS) {
    std::fprintf(stderr, "native child: cannot claim my parent's ports: %s\n", tsmig_handshake_error_string(kr));
    return 1;
  }
  const mach_port_t callback_port = parent["callback"];
  std::printf("native child %d: claimed port \"callback\" from my parent\n", getpid());

  message_t greeting = "hi! I got your port (from C++)";
  message_t answer;
  kr = callback::hello(callback_port, getpid(), greeting, answer);
  if (kr != KERN_SUCCESS) {
    std::fprintf(stderr, "native child: hello failed: %s\n", mach_error_string(kr));
    return 1;
  }
  std::printf("native child %d: my parent answered: \"%s\"\n", getpid(), answer);
  mach_port_deallocate(mach_task_self(), callback_port);
  return 0;
}
