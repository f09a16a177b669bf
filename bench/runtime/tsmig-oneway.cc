// Benchmark: one-way messages per second from C++ through tsmig to
// tsmig-sink in a spawned process (8-byte bodies, the sink's queue limit at
// Mach's maximum). Prints {"messagesPerSecond": ..., "count": N}.

#include "tsmig_bench.h"

using namespace bench;

int main(int argc, char **argv) {
  long count = argc > 1 ? atol(argv[1]) : 1000000;
  mach_port_t mine = new_port(MACH_PORT_QLIMIT_MAX);
  pid_t pid;
  mach_port_t sink = spawn_peer("tsmig-sink", mine, &pid);
#pragma pack(push, 4)
  struct {
    mach_msg_header_t h;
    uint64_t n;
  } m{};
  struct {
    mach_msg_header_t h;
    uint64_t count;
    mach_msg_max_trailer_t t;
  } reply{};
#pragma pack(pop)
  double t0 = now_us();
  for (long i = 0; i < count; i++) {
    m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
    m.h.msgh_size = sizeof m;
    m.h.msgh_remote_port = sink;
    m.h.msgh_id = kWork;
    m.n = i;
    ok(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL), "send");
  }
  m.h.msgh_id = kStop;
  ok(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL), "stop");
  ok(mach_msg(&reply.h, MACH_RCV_MSG, 0, sizeof reply, mine, 0, MACH_PORT_NULL), "count");
  double seconds = (now_us() - t0) / 1e6;
  waitpid(pid, nullptr, 0);
  if (reply.count != static_cast<uint64_t>(count)) die("lost messages", KERN_FAILURE);
  printf("{\"messagesPerSecond\": %.0f, \"count\": %ld}\n", count / seconds, count);
  return 0;
}
