// Native tests of out-of-line data across processes: small regions copied in
// the datagram, a 64 MiB region that moves without a copy and comes back to
// the same mapping, regions from ordinary memory (copied once), the private
// copy mode (TSMIG_OOL=copy), bad memory refused cleanly, vm_allocate and
// vm_deallocate semantics, and out-of-line port arrays: 1,000 send rights,
// and hundreds of receive rights (more descriptors than one control message
// carries).

#include <stdlib.h>
#include <sys/mman.h>

#include <fstream>
#include <set>

#include "harness.h"

using namespace harness;

namespace {

#pragma pack(push, 4)
struct OolMsg {
  mach_msg_header_t h;
  mach_msg_body_t body;
  mach_msg_ool_descriptor_t ool;
  uint32_t tag;
};
struct OolRcv {
  OolMsg m;
  mach_msg_max_trailer_t trailer;
};
struct PortsMsg {
  mach_msg_header_t h;
  mach_msg_body_t body;
  mach_msg_ool_ports_descriptor_t ports;
};
struct PortsRcv {
  PortsMsg m;
  mach_msg_max_trailer_t trailer;
};
#pragma pack(pop)

kern_return_t send_ool(mach_port_t dest, const void *addr, mach_msg_size_t size, bool dealloc, uint32_t tag) {
  OolMsg m{};
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.h.msgh_size = sizeof m;
  m.h.msgh_remote_port = dest;
  m.h.msgh_id = 300;
  m.body.msgh_descriptor_count = 1;
  m.ool.address = const_cast<void *>(addr);
  m.ool.size = size;
  m.ool.deallocate = dealloc;
  m.ool.copy = MACH_MSG_VIRTUAL_COPY;
  m.ool.type = MACH_MSG_OOL_DESCRIPTOR;
  m.tag = tag;
  return mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

OolRcv receive_ool(mach_port_t port) {
  OolRcv r{};
  CHECK_OK(receive_raw(port, &r.m.h, sizeof r));
  CHECK_EQ(r.m.h.msgh_id, 300);
  CHECK_EQ((unsigned)r.m.ool.type, (unsigned)MACH_MSG_OOL_DESCRIPTOR);
  return r;
}

/** A pattern every page of a region carries, so a wrong or stale page is caught. */
void fill(uint8_t *p, size_t n, uint32_t seed) {
  for (size_t off = 0; off + 8 <= n; off += 4096) {
    uint64_t v = (uint64_t)seed << 32 | (off / 4096);
    memcpy(p + off, &v, 8);
  }
  if (n > 0) p[n - 1] = (uint8_t)seed;
}

bool check(const uint8_t *p, size_t n, uint32_t seed) {
  for (size_t off = 0; off + 8 <= n; off += 4096) {
    uint64_t v;
    memcpy(&v, p + off, 8);
    if (v != ((uint64_t)seed << 32 | (off / 4096))) return false;
  }
  return n == 0 || p[n - 1] == (uint8_t)seed;
}

/** How the region at `addr` is mapped: the /proc/self/maps line. */
std::string mapping_of(const void *addr) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  while (std::getline(maps, line)) {
    uintptr_t lo, hi;
    if (sscanf(line.c_str(), "%lx-%lx", &lo, &hi) == 2 && a >= lo && a < hi) return line;
  }
  return "";
}

pid_t echo_peer(mach_port_t inbox, int rounds, uint32_t bump) {
  // Receives regions, checks them, writes a new pattern and sends each back (deallocate = TRUE).
  return fork_peer(inbox, [rounds, bump](mach_port_t parent) {
    mach_port_t mine = new_port();
    CHECK_OK(send_port(parent, 1, mine, MACH_MSG_TYPE_MAKE_SEND));
    for (int i = 0; i < rounds; i++) {
      OolRcv r = receive_ool(mine);
      auto *p = static_cast<uint8_t *>(r.m.ool.address);
      CHECK(check(p, r.m.ool.size, r.m.tag));
      fill(p, r.m.ool.size, r.m.tag + bump);
      CHECK_OK(send_ool(parent, p, r.m.ool.size, true, r.m.tag + bump));
    }
    destroy(mine);
  });
}

}  // namespace

SCENARIO(ool_small_regions) {
  mach_port_t inbox = new_port_with_send();
  pid_t pid = echo_peer(inbox, 3, 1);
  mach_port_t peer = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  std::vector<uint8_t> stack_data(100);
  fill(stack_data.data(), stack_data.size(), 7);
  CHECK_OK(send_ool(peer, stack_data.data(), 100, false, 7));
  vm_address_t a;
  CHECK_OK(vm_allocate(mach_task_self(), &a, 10000, VM_FLAGS_ANYWHERE));
  fill((uint8_t *)a, 10000, 9);
  CHECK_OK(send_ool(peer, (void *)a, 10000, true, 9));
  CHECK_OK(send_ool(peer, nullptr, 0, false, 11));
  for (uint32_t tag : {8u, 10u, 12u}) {
    OolRcv r = receive_ool(inbox);
    CHECK_EQ(r.m.tag, tag);
    if (tag == 12) {
      CHECK(r.m.ool.address == nullptr);
      CHECK_EQ(r.m.ool.size, 0u);
      continue;
    }
    CHECK_EQ((uintptr_t)r.m.ool.address % 4096, 0u);  // a region of its own, page aligned
    CHECK(check((uint8_t *)r.m.ool.address, r.m.ool.size, tag));
    CHECK_OK(vm_deallocate(mach_task_self(), (vm_address_t)r.m.ool.address, r.m.ool.size));
  }
  CHECK(check(stack_data.data(), 100, 7));  // deallocate = FALSE left our data alone
  join(pid);
  // Memory we cannot read is refused before anything is sent or consumed.
  CHECK_KR(send_ool(peer, nullptr, 64, false, 0), MACH_SEND_INVALID_MEMORY);
  mach_port_t self = new_port_with_send();
  CHECK_KR(send_ool(self, (void *)16, 64, false, 0), MACH_SEND_INVALID_MEMORY);
  CHECK_KR(send_ool(self, (void *)16, 1 << 20, false, 0), MACH_SEND_INVALID_MEMORY);
  SimpleRcv r;
  CHECK_KR(receive(self, r, 0), MACH_RCV_TIMED_OUT);
  destroy(self);
  CHECK_OK(mach_port_deallocate(mach_task_self(), peer));
  destroy(inbox);
}

// 64 MiB: moves as a shared segment, comes back to the same mapping, no copy through the socket.
SCENARIO(ool_64mib) {
  const size_t size = 64u << 20;
  mach_port_t inbox = new_port_with_send();
  pid_t pid = echo_peer(inbox, 3, 100);
  mach_port_t peer = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  vm_address_t a;
  CHECK_OK(vm_allocate(mach_task_self(), &a, size, VM_FLAGS_ANYWHERE));
  CHECK(((uint8_t *)a)[size / 2] == 0);  // vm_allocate memory is zero-filled
  fill((uint8_t *)a, size, 1);
  std::string shared = mapping_of((void *)a);
  CHECK(shared.find("tsmig-ool") != std::string::npos);
  CHECK_OK(send_ool(peer, (void *)a, size, true, 1));
  OolRcv r = receive_ool(inbox);
  CHECK_EQ(r.m.ool.size, (mach_msg_size_t)size);
  CHECK_EQ((vm_address_t)r.m.ool.address, a);  // the same segment came back to the mapping we kept
  CHECK(check((uint8_t *)a, size, 101));
  // Again, from the segment we own now.
  fill((uint8_t *)a, size, 2);
  CHECK_OK(send_ool(peer, (void *)a, size, true, 2));
  r = receive_ool(inbox);
  CHECK_EQ((vm_address_t)r.m.ool.address, a);
  CHECK(check((uint8_t *)a, size, 102));
  CHECK_OK(vm_deallocate(mach_task_self(), a, size));
  // Ordinary memory (not from vm_allocate): copied once into a segment; ours stays as it was.
  auto *plain = static_cast<uint8_t *>(malloc(size + 123));
  fill(plain, size + 123, 3);
  CHECK_OK(send_ool(peer, plain, size + 123, false, 3));
  r = receive_ool(inbox);
  CHECK_EQ(r.m.ool.size, (mach_msg_size_t)(size + 123));
  CHECK(check((uint8_t *)r.m.ool.address, size + 123, 103));
  CHECK(check(plain, size + 123, 3));
  free(plain);
  CHECK_OK(vm_deallocate(mach_task_self(), (vm_address_t)r.m.ool.address, r.m.ool.size));
  join(pid);
  CHECK_OK(mach_port_deallocate(mach_task_self(), peer));
  destroy(inbox);
}

// TSMIG_OOL=copy: every large region arrives as a sealed, private copy.
SCENARIO(ool_copy_mode) {
  if (getenv("TSMIG_OOL") == nullptr) {
    // The mode is read when the library starts: run this scenario again in a process that has it.
    setenv("TSMIG_OOL", "copy", 1);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(n > 0);
    self[n] = 0;
    pid_t pid = fork();
    if (pid == 0) {
      execl(self, self, "ool_copy_mode", (char *)nullptr);
      _exit(127);
    }
    unsetenv("TSMIG_OOL");
    join(pid);
    return;
  }
  const size_t size = 8u << 20;
  mach_port_t inbox = new_port_with_send();
  pid_t pid = echo_peer(inbox, 1, 1);
  mach_port_t peer = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  vm_address_t a;
  CHECK_OK(vm_allocate(mach_task_self(), &a, size, VM_FLAGS_ANYWHERE));
  fill((uint8_t *)a, size, 5);
  CHECK_OK(send_ool(peer, (void *)a, size, true, 5));
  OolRcv r = receive_ool(inbox);
  CHECK(check((uint8_t *)r.m.ool.address, size, 6));
  std::string m = mapping_of(r.m.ool.address);
  CHECK(m.find("tsmig-ool-copy") != std::string::npos);
  CHECK(m.find(" rw-p ") != std::string::npos);  // private: nobody else can change it
  CHECK_OK(vm_deallocate(mach_task_self(), (vm_address_t)r.m.ool.address, r.m.ool.size));
  join(pid);
  CHECK_OK(mach_port_deallocate(mach_task_self(), peer));
  destroy(inbox);
}

SCENARIO(vm_allocate_semantics) {
  vm_address_t a = 0;
  CHECK_OK(vm_allocate(mach_task_self(), &a, 0, VM_FLAGS_ANYWHERE));
  CHECK_EQ(a, 0u);
  CHECK_OK(vm_allocate(mach_task_self(), &a, 3 * 4096 + 1, VM_FLAGS_ANYWHERE));
  CHECK_EQ(a % 4096, 0u);
  memset((void *)a, 0xab, 4 * 4096);
  // Partial deallocation: the middle pages go, the rest stays usable.
  CHECK_OK(vm_deallocate(mach_task_self(), a + 4096, 2 * 4096));
  CHECK_EQ(((uint8_t *)a)[0], 0xab);
  CHECK_EQ(((uint8_t *)a)[3 * 4096], 0xab);
  CHECK_OK(vm_deallocate(mach_task_self(), a, 4096));
  CHECK_OK(vm_deallocate(mach_task_self(), a + 3 * 4096, 4096));
  // Reused pool memory is zero-filled again.
  CHECK_OK(vm_allocate(mach_task_self(), &a, 1 << 20, VM_FLAGS_ANYWHERE));
  memset((void *)a, 0xcd, 1 << 20);
  CHECK_OK(vm_deallocate(mach_task_self(), a, 1 << 20));
  vm_address_t b;
  CHECK_OK(vm_allocate(mach_task_self(), &b, 1 << 20, VM_FLAGS_ANYWHERE));
  CHECK_EQ(b, a);  // the pool gave the same segment back...
  for (size_t i = 0; i < (1 << 20); i += 4096) CHECK_EQ(((uint8_t *)b)[i], 0);  // ...zeroed
  CHECK_OK(vm_deallocate(mach_task_self(), b, 1 << 20));
  // A fixed address: taken if free, refused if anything is there.
  vm_address_t fixed = b;
  CHECK_KR(vm_allocate(mach_task_self(), &fixed, 4096, VM_FLAGS_FIXED), KERN_NO_SPACE);
  tsmig_ool_trim();
  CHECK_OK(vm_allocate(mach_task_self(), &fixed, 4096, VM_FLAGS_FIXED));
  CHECK_EQ(fixed, b);
  CHECK_OK(vm_deallocate(mach_task_self(), fixed, 4096));
  CHECK_KR(vm_allocate(MACH_PORT_NULL, &a, 4096, VM_FLAGS_ANYWHERE), MACH_SEND_INVALID_DEST);
}

// 1,000 send rights in one out-of-line ports array, and each works in the peer.
SCENARIO(ool_ports_1000) {
  const int n = 1000;
  mach_port_t inbox = new_port_with_send();
  mach_port_t set;
  CHECK_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set));
  std::vector<mach_port_t> ports(n);
  for (auto &p : ports) {
    p = new_port();
    CHECK_OK(mach_port_move_member(mach_task_self(), p, set));
  }
  pid_t pid = fork_peer(inbox, [n](mach_port_t parent) {
    mach_port_t mine = new_port();
    CHECK_OK(send_port(parent, 1, mine, MACH_MSG_TYPE_MAKE_SEND));
    PortsRcv r{};
    CHECK_OK(receive_raw(mine, &r.m.h, sizeof r));
    CHECK_EQ(r.m.ports.count, (mach_msg_type_number_t)n);
    CHECK_EQ((unsigned)r.m.ports.disposition, (unsigned)MACH_MSG_TYPE_PORT_SEND);
    auto *names = static_cast<mach_port_t *>(r.m.ports.address);
    std::set<mach_port_t> distinct(names, names + n);
    CHECK_EQ(distinct.size(), (size_t)n);
    for (int i = 0; i < n; i++) {
      CHECK_EQ(type_of(names[i]), MACH_PORT_TYPE_SEND);
      CHECK_OK(send_simple(names[i], 7, i, MACH_MSG_TYPE_MOVE_SEND));
    }
    CHECK_OK(vm_deallocate(mach_task_self(), (vm_address_t)names, n * sizeof *names));
    destroy(mine);
  });
  mach_port_t peer = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  vm_address_t array;
  CHECK_OK(vm_allocate(mach_task_self(), &array, n * sizeof(mach_port_t), VM_FLAGS_ANYWHERE));
  memcpy((void *)array, ports.data(), n * sizeof(mach_port_t));
  PortsMsg m{};
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.h.msgh_size = sizeof m;
  m.h.msgh_remote_port = peer;
  m.body.msgh_descriptor_count = 1;
  m.ports.address = (void *)array;
  m.ports.count = n;
  m.ports.deallocate = TRUE;
  m.ports.disposition = MACH_MSG_TYPE_MAKE_SEND;
  m.ports.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
  CHECK_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
  std::vector<bool> seen(n);
  for (int i = 0; i < n; i++) {
    SimpleRcv r;
    CHECK_OK(receive(set, r));
    CHECK_EQ(r.h.msgh_local_port, ports[r.value]);
    seen[r.value] = true;
  }
  for (int i = 0; i < n; i++) CHECK(seen[i]);
  join(pid);
  for (auto p : ports) destroy(p);
  destroy(set);
  CHECK_OK(mach_port_deallocate(mach_task_self(), peer));
  destroy(inbox);
}

// Receive rights in bulk: more descriptors than one control message holds travel in the same message.
SCENARIO(ool_receive_rights_bulk) {
  const int n = 300;
  mach_port_t inbox = new_port_with_send();
  std::vector<mach_port_t> ports(n);
  for (int i = 0; i < n; i++) {
    ports[i] = new_port_with_send();
    CHECK_OK(send_simple(ports[i], 8, i));  // one queued message each travels with the right
  }
  pid_t pid = fork_peer(inbox, [n](mach_port_t parent) {
    mach_port_t mine = new_port();
    CHECK_OK(send_port(parent, 1, mine, MACH_MSG_TYPE_MAKE_SEND));
    PortsRcv r{};
    CHECK_OK(receive_raw(mine, &r.m.h, sizeof r));
    CHECK_EQ(r.m.ports.count, (mach_msg_type_number_t)n);
    CHECK_EQ((unsigned)r.m.ports.disposition, (unsigned)MACH_MSG_TYPE_PORT_RECEIVE);
    auto *names = static_cast<mach_port_t *>(r.m.ports.address);
    for (int i = 0; i < n; i++) {
      CHECK_EQ(type_of(names[i]), MACH_PORT_TYPE_RECEIVE);
      SimpleRcv q;
      CHECK_OK(receive(names[i], q));
      CHECK_EQ(q.value, (uint32_t)i);
      CHECK_OK(receive(names[i], q));  // sent by the parent after the move
      CHECK_EQ(q.value, (uint32_t)(1000 + i));
      destroy(names[i]);
    }
    CHECK_OK(vm_deallocate(mach_task_self(), (vm_address_t)names, n * sizeof *names));
    destroy(mine);
  });
  mach_port_t peer = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  PortsMsg m{};
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.h.msgh_size = sizeof m;
  m.h.msgh_remote_port = peer;
  m.body.msgh_descriptor_count = 1;
  m.ports.address = ports.data();
  m.ports.count = n;
  m.ports.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
  m.ports.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
  CHECK_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
  for (int i = 0; i < n; i++) {
    CHECK_EQ(type_of(ports[i]), MACH_PORT_TYPE_SEND);
    CHECK_OK(send_simple(ports[i], 8, 1000 + i));
  }
  join(pid);
  for (int i = 0; i < n; i++) {
    CHECK_KR(send_simple(ports[i], 8, 0), MACH_SEND_INVALID_DEST);
    CHECK_OK(mach_port_deallocate(mach_task_self(), ports[i]));
  }
  CHECK_OK(mach_port_deallocate(mach_task_self(), peer));
  destroy(inbox);
}

int main(int argc, char **argv) { return harness::main(argc, argv); }
