// Benchmark: C++ <-> C++ round trips through tsmig, against tsmig-echo in a
// spawned process. Each request has an 8-byte body; --ports adds one port
// descriptor (COPY_SEND; the echo moves it back), --ool BYTES one region of
// that size (before each send the sender writes one byte per page of it —
// --fill: all of it —, the echo reads a byte per page and sends the region
// back, so the same mapping is reused; seqpacket-pingpong --bytes does the
// same work around copying the bytes through a socket), --once asks for the
// reply on a send-once right made for each request, as a MIG client does.
// Prints {"roundTripUs": median per round trip over batches, "iterations": N}.
// Run under `taskset -c 0` to pin both processes to one CPU.

#include "tsmig_bench.h"

using namespace bench;

#pragma pack(push, 4)
struct Plain {
  mach_msg_header_t h;
  uint64_t n;
};
struct WithPort {
  mach_msg_header_t h;
  mach_msg_body_t body;
  mach_msg_port_descriptor_t port;
  uint64_t n;
};
struct WithOol {
  mach_msg_header_t h;
  mach_msg_body_t body;
  mach_msg_ool_descriptor_t ool;
  uint64_t n;
};
#pragma pack(pop)

int main(int argc, char **argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 100000;
  bool ports = false, fill = false, once = false;
  size_t ool = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--ports") == 0) ports = true;
    if (strcmp(argv[i], "--fill") == 0) fill = true;
    if (strcmp(argv[i], "--once") == 0) once = true;
    if (strcmp(argv[i], "--ool") == 0 && i + 1 < argc) ool = strtoull(argv[++i], nullptr, 10);
  }
  mach_port_t mine = new_port(MACH_PORT_QLIMIT_MAX);
  pid_t pid;
  mach_port_t echo = spawn_peer("tsmig-echo", mine, &pid);
  // The right passed around with --ports: a send right to a port of ours.
  mach_port_t token = new_port(MACH_PORT_QLIMIT_DEFAULT);
  ok(mach_port_insert_right(mach_task_self(), token, token, MACH_MSG_TYPE_MAKE_SEND), "insert_right");
  vm_address_t region = 0;
  if (ool) ok(vm_allocate(mach_task_self(), &region, ool, VM_FLAGS_ANYWHERE), "vm_allocate");
  union {
    Plain plain;
    WithPort port;
    WithOol ool;
    uint8_t raw[sizeof(WithOol) + MAX_TRAILER_SIZE];
  } m;
  const int batches = 21;
  long per = std::max(1L, iterations / batches);
  long warm = per;
  std::vector<double> times;
  double t0 = 0;
  for (long i = 0; i < warm + per * batches; i++) {
    long b = i - warm;
    if (b >= 0 && b % per == 0) t0 = now_us();
    memset(&m, 0, sizeof(WithOol));
    mach_msg_size_t size;
    if (ool) {
      auto *bytes = reinterpret_cast<uint8_t *>(region);
      if (fill) {
        memset(bytes, static_cast<int>(i & 0x7f), ool);  // fresh content every time
      } else {
        for (size_t off = 0; off < ool; off += 4096) bytes[off] = static_cast<uint8_t>(i);
      }
      m.ool.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
      m.ool.body.msgh_descriptor_count = 1;
      m.ool.ool.address = reinterpret_cast<void *>(region);
      m.ool.ool.size = static_cast<mach_msg_size_t>(ool);
      m.ool.ool.deallocate = TRUE;
      m.ool.ool.copy = MACH_MSG_VIRTUAL_COPY;
      m.ool.ool.type = MACH_MSG_OOL_DESCRIPTOR;
      size = sizeof(WithOol);
    } else if (ports) {
      m.port.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
      m.port.body.msgh_descriptor_count = 1;
      m.port.port.name = token;
      m.port.port.disposition = MACH_MSG_TYPE_COPY_SEND;
      m.port.port.type = MACH_MSG_PORT_DESCRIPTOR;
      size = sizeof(WithPort);
    } else {
      m.plain.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
      size = sizeof(Plain);
    }
    m.plain.h.msgh_size = size;
    m.plain.h.msgh_remote_port = echo;
    if (once) {  // MIG style: the reply comes back on a send-once right made for this request
      m.plain.h.msgh_bits |= MACH_MSGH_BITS(0, MACH_MSG_TYPE_MAKE_SEND_ONCE);
      m.plain.h.msgh_local_port = mine;
    }
    m.plain.h.msgh_id = kWork;
    ok(mach_msg(&m.plain.h, MACH_SEND_MSG | MACH_RCV_MSG, size, sizeof m, mine, 0, MACH_PORT_NULL), "round trip");
    if (ports) ok(mach_port_deallocate(mach_task_self(), m.port.port.name), "deallocate");  // the right came back
    if (ool) region = reinterpret_cast<vm_address_t>(m.ool.ool.address);  // and so did the region
    if (b >= 0 && b % per == per - 1) times.push_back((now_us() - t0) / per);
  }
  stop_peer(echo, pid);
  printf("{\"roundTripUs\": %.3f, \"iterations\": %ld}\n", median(times), per * batches);
  return 0;
}
