// Benchmark peer for one-way throughput: counts the messages it receives
// until id 1999, then answers id 1999 with the count (uint64) and exits.

#include "tsmig_bench.h"

using namespace bench;

int main(int argc, char **argv) {
  mach_port_t mine = new_port(MACH_PORT_QLIMIT_MAX);
  mach_port_t parent = child_hello(argc, argv, mine);
  std::vector<uint8_t> buf(4096);
  uint64_t count = 0;
  for (;;) {
    auto *h = reinterpret_cast<mach_msg_header_t *>(buf.data());
    kern_return_t kr = mach_msg(h, MACH_RCV_MSG | MACH_RCV_LARGE, 0, (mach_msg_size_t)buf.size(), mine, 0, 0);
    if (kr == MACH_RCV_TOO_LARGE) {
      buf.resize(h->msgh_size + MAX_TRAILER_SIZE);
      continue;
    }
    ok(kr, "receive");
    if (h->msgh_id == kStop) break;
    mach_msg_destroy(h);
    count++;
  }
#pragma pack(push, 4)
  struct {
    mach_msg_header_t h;
    uint64_t count;
  } reply{};
#pragma pack(pop)
  reply.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  reply.h.msgh_size = sizeof reply;
  reply.h.msgh_remote_port = parent;
  reply.h.msgh_id = kStop;
  reply.count = count;
  ok(mach_msg(&reply.h, MACH_SEND_MSG, sizeof reply, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL), "reply");
  return 0;
}
