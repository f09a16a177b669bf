// Native peer for native-peer.test.ts: a C++ program (no Node) linked with the
// runtime library that talks to the Node test process over Mach messages.
// It gets a send right to the test's port from the inherited descriptor named
// by argv[1], sends a hello (id 1000) with a send right to its own port, then
// serves until id 1999:
//   500: inline uint32 values    → 600 with each value + 1
//   501: one port descriptor     → sends 700 ("hi") through the right, then 601
//   502: one out-of-line region  → 602 with its size and byte sum
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <tsmig/mach.h>
#include <tsmig/runtime.h>

namespace {

mach_port_t parent = MACH_PORT_NULL;
mach_port_t mine = MACH_PORT_NULL;

void Check(kern_return_t kr, const char* what) {
  if (kr != KERN_SUCCESS) {
    std::fprintf(stderr, "peer: %s failed: 0x%x\n", what, kr);
    std::exit(1);
  }
}

void SendSimple(mach_port_t to, mach_msg_id_t id, const void* body, mach_msg_size_t body_size) {
  struct {
    mach_msg_header_t header;
    uint8_t body[256];
  } message{};
  message.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  message.header.msgh_size = static_cast<mach_msg_size_t>(sizeof(mach_msg_header_t) + ((body_size + 3) & ~3u));
  message.header.msgh_remote_port = to;
  message.header.msgh_id = id;
  std::memcpy(message.body, body, body_size);
  Check(mach_msg(&message.header, MACH_SEND_MSG, message.header.msgh_size, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
                 MACH_PORT_NULL),
        "send");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  Check(tsmig_fd_to_send_right(std::atoi(argv[1]), &parent), "tsmig_fd_to_send_right");
  Check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &mine), "mach_port_allocate");

  mach_msg_header_t hello{};
  hello.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND);
  hello.msgh_size = sizeof(hello);
  hello.msgh_remote_port = parent;
  hello.msgh_local_port = mine;
  hello.msgh_id = 1000;
  Check(mach_msg(&hello, MACH_SEND_MSG, sizeof(hello), 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL),
        "hello");

  union {
    mach_msg_header_t header;
    uint8_t bytes[4096 + sizeof(mach_msg_max_trailer_t)];
  } buffer;
  for (;;) {
    Check(mach_msg(&buffer.header, MACH_RCV_MSG, 0, sizeof(buffer), mine, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL),
          "receive");
    mach_msg_id_t id = buffer.header.msgh_id;
    if (id == 1999) break;
    if (id == 500) {
      mach_msg_size_t count = (buffer.header.msgh_size - sizeof(mach_msg_header_t)) / 4;
      uint32_t values[64];
      std::memcpy(values, buffer.bytes + sizeof(mach_msg_header_t), count * 4);
      for (mach_msg_size_t i = 0; i < count; i++) values[i]++;
      SendSimple(parent, 600, values, count * 4);
    } else if (id == 501) {
      auto* port = reinterpret_cast<mach_msg_port_descriptor_t*>(buffer.bytes + sizeof(mach_msg_header_t) +
                                                                sizeof(mach_msg_body_t));
      SendSimple(port->name, 700, "hi", 2);
      Check(mach_port_deallocate(mach_task_self(), port->name), "deallocate");
      SendSimple(parent, 601, nullptr, 0);
    } else if (id == 502) {
      auto* ool = reinterpret_cast<mach_msg_ool_descriptor_t*>(buffer.bytes + sizeof(mach_msg_header_t) +
                                                              sizeof(mach_msg_body_t));
      uint32_t result[2] = {ool->size, 0};
      const auto* data = static_cast<const uint8_t*>(ool->address);
      for (mach_msg_size_t i = 0; i < ool->size; i++) result[1] += data[i];
      Check(vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(ool->address), ool->size), "vm_deallocate");
      SendSimple(parent, 602, result, sizeof(result));
    } else {
      mach_msg_destroy(&buffer.header);
    }
  }
  mach_port_deallocate(mach_task_self(), parent);
  mach_port_mod_refs(mach_task_self(), mine, MACH_PORT_RIGHT_RECEIVE, -1);
  return 0;
}
