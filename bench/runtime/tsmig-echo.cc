// Benchmark peer: answers every message with itself. Receives (growing its
// buffer on MACH_RCV_TOO_LARGE), and sends the same message back to the
// parent: the same id and inline bytes, every port right it received moved
// back, every out-of-line region sent back (deallocate) after reading one
// byte per page — so regions are reused, as a pool of buffers exchanged
// between two processes would be. Id 1999 ends it.

#include "tsmig_bench.h"

using namespace bench;

int main(int argc, char **argv) {
  mach_port_t mine = new_port(MACH_PORT_QLIMIT_MAX);
  mach_port_t parent = child_hello(argc, argv, mine);
  std::vector<uint8_t> buf(4096);
  for (;;) {
    auto *h = reinterpret_cast<mach_msg_header_t *>(buf.data());
    kern_return_t kr = mach_msg(h, MACH_RCV_MSG | MACH_RCV_LARGE, 0, (mach_msg_size_t)buf.size(), mine, 0, 0);
    if (kr == MACH_RCV_TOO_LARGE) {
      buf.resize(h->msgh_size + MAX_TRAILER_SIZE);
      continue;
    }
    ok(kr, "receive");
    if (h->msgh_id == kStop) return 0;
    bool complex = h->msgh_bits & MACH_MSGH_BITS_COMPLEX;
    // A request that carries a reply right (MIG style: a send-once right) is answered on it.
    mach_port_t reply = h->msgh_remote_port;
    mach_msg_type_name_t reply_type = MACH_MSGH_BITS_REMOTE(h->msgh_bits);
    h->msgh_bits = MACH_MSGH_BITS(reply != MACH_PORT_NULL ? reply_type : MACH_MSG_TYPE_COPY_SEND, 0) |
                   (complex ? MACH_MSGH_BITS_COMPLEX : 0);
    h->msgh_remote_port = reply != MACH_PORT_NULL ? reply : parent;
    h->msgh_local_port = MACH_PORT_NULL;
    if (complex) {
      auto *body = reinterpret_cast<mach_msg_body_t *>(h + 1);
      uint8_t *p = reinterpret_cast<uint8_t *>(body + 1);
      unsigned sum = 0;
      for (unsigned i = 0; i < body->msgh_descriptor_count; i++) {
        auto *d = reinterpret_cast<mach_msg_descriptor_t *>(p);
        if (d->type.type == MACH_MSG_PORT_DESCRIPTOR) {
          p += sizeof(mach_msg_port_descriptor_t);  // the received type is the MOVE disposition
        } else if (d->type.type == MACH_MSG_OOL_DESCRIPTOR) {
          auto *o = &d->out_of_line;
          for (size_t off = 0; off < o->size; off += 4096) sum += static_cast<uint8_t *>(o->address)[off];
          o->deallocate = TRUE;
          o->copy = MACH_MSG_VIRTUAL_COPY;
          p += sizeof(mach_msg_ool_descriptor_t);
        } else {
          d->ool_ports.deallocate = TRUE;
          p += sizeof(mach_msg_ool_ports_descriptor_t);
        }
      }
      if (sum == 0xffffffffu) fprintf(stderr, "unlikely\n");  // keeps the reads
    }
    ok(mach_msg(h, MACH_SEND_MSG, h->msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL), "reply");
  }
}
