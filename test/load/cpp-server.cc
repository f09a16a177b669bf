// Child of the load run (test/load/run.js): a C++ server of test/golden/cross
// on the generated server stubs (input.server.mig.cc) and the runtime
// library. scalars() checks that each sender's sequence numbers (`io`,
// sender number `i`) arrive in order, once each; rights() and out_of_line()
// check and release what they carry; stats() reports names, descriptors and
// out-of-line bytes. It sends a hello (id 1000, a send right to its service
// port) to the send right inherited as descriptor 3 and serves until its
// standard input closes, then prints `summary <json>`.

#include <dirent.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include <tsmig/runtime.h>

#include "input.mig.h"

namespace {

std::map<int, uint64_t> g_expected;  // sender -> next sequence number
uint64_t g_calls = 0;
uint64_t g_order_errors = 0;

void check(kern_return_t kr, const char *what) {
  if (kr != KERN_SUCCESS) {
    std::fprintf(stderr, "cpp-server: %s failed: 0x%x\n", what, kr);
    std::exit(1);
  }
}

bool holds(mach_port_t name, mach_port_type_t want) {
  mach_port_type_t type = 0;
  return mach_port_type(mach_task_self(), name, &type) == KERN_SUCCESS && (type & want) == want;
}

int open_descriptors() {
  int n = 0;
  if (DIR *d = opendir("/proc/self/fd")) {
    while (const dirent *e = readdir(d))
      if (e->d_name[0] != '.') n++;
    closedir(d);
    n--;  // the directory stream itself
  }
  return n;
}

bool stdin_closed() {
  pollfd p = {0, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  char c;
  return read(0, &c, 1) <= 0;
}

}  // namespace

extern "C" {

kern_return_t scalars(mach_port_t, char c, int16_t s, int i, boolean_t b, int64_t l, float f, double d, uint64_t *io,
                      int64_t *r, double *rd) {
  g_calls++;
  uint64_t &want = g_expected[i];
  if (*io != want) {
    g_order_errors++;
    return KERN_INVALID_ARGUMENT;  // lost, duplicated or reordered: the client sees it
  }
  want++;
  *r = l + i + s + c + b;
  *rd = 2 * d + f;
  *io += 1;
  return KERN_SUCCESS;
}

kern_return_t rights(mach_port_t, mach_port_t mv, mach_port_t cs, mach_port_t ms, mach_port_t mso, ports2_t pair,
                     mach_port_name_t name, mach_port_name_t *same) {
  g_calls++;
  const bool ok = holds(mv, MACH_PORT_TYPE_SEND) && holds(cs, MACH_PORT_TYPE_SEND) && holds(ms, MACH_PORT_TYPE_SEND) &&
                  holds(mso, MACH_PORT_TYPE_SEND_ONCE) && holds(pair[0], MACH_PORT_TYPE_SEND) &&
                  holds(pair[1], MACH_PORT_TYPE_SEND);
  if (!ok) return KERN_INVALID_RIGHT;
  for (mach_port_t p : {mv, cs, ms, mso, pair[0], pair[1]}) mach_port_deallocate(mach_task_self(), p);
  *same = name;
  return KERN_SUCCESS;
}

kern_return_t out_of_line(mach_port_t, vm_offset_t data, mach_msg_type_number_t dataCnt, ool_ints_t ints,
                          mach_msg_type_number_t intsCnt, ool_ports_t names, mach_msg_type_number_t namesCnt,
                          vm_offset_t *odata, mach_msg_type_number_t *odataCnt, int *sum, ool_ports_t *onames,
                          mach_msg_type_number_t *onamesCnt) {
  static mach_port_t back[8];
  g_calls++;
  vm_address_t copy = 0;
  if (dataCnt) check(vm_allocate(mach_task_self(), &copy, dataCnt, VM_FLAGS_ANYWHERE), "vm_allocate");
  const char *in = reinterpret_cast<const char *>(data);
  for (mach_msg_type_number_t k = 0; k < dataCnt; k++) reinterpret_cast<char *>(copy)[k] = in[dataCnt - 1 - k];
  *odata = copy;
  *odataCnt = dataCnt;
  int total = 0;
  for (mach_msg_type_number_t k = 0; k < intsCnt; k++) total += ints[k];
  *sum = total;
  for (mach_msg_type_number_t k = 0; k < namesCnt && k < 8; k++) back[k] = names[k];
  *onames = back;
  *onamesCnt = namesCnt;
  vm_deallocate(mach_task_self(), data, dataCnt);
  vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(ints), intsCnt * sizeof(int));
  vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(names), namesCnt * sizeof(mach_port_t));
  return KERN_SUCCESS;
}

kern_return_t stats(mach_port_t, int *names, int *fds, uint64_t *oolbytes) {
  tsmig_ool_trim();  // pooled regions are not leaks
  tsmig_space_stats_t s{};
  check(tsmig_space_stats(&s), "tsmig_space_stats");
  *names = static_cast<int>(s.names);
  *fds = open_descriptors();
  *oolbytes = s.ool_bytes;
  return KERN_SUCCESS;
}

// The routines the load does not call.
kern_return_t arrays(mach_port_t, triple_t, bytes_t, mach_msg_type_number_t, int, longs_t, mach_msg_type_number_t,
                     bytes_t, mach_msg_type_number_t *, triple_t *, int *) {
  return KERN_FAILURE;
}
kern_return_t strings(mach_port_t, name_t, label_t, name_t) { return KERN_FAILURE; }
kern_return_t receive_right(mach_port_t, mach_port_t, mach_port_t *) { return KERN_FAILURE; }
kern_return_t poly(mach_port_t, mach_port_t, mach_msg_type_name_t, mach_port_t *, mach_msg_type_name_t *) {
  return KERN_FAILURE;
}
kern_return_t counted(mach_port_t, ints_t, mach_msg_type_number_t, ints_t, mach_msg_type_number_t *) {
  return KERN_FAILURE;
}
kern_return_t audit(mach_port_t, audit_token_t, mach_port_seqno_t, int *) { return KERN_FAILURE; }
kern_return_t oneway(mach_port_t, int) { return KERN_FAILURE; }
kern_return_t last(mach_port_t, int *) { return KERN_FAILURE; }
kern_return_t fails(mach_port_t, int) { return KERN_FAILURE; }
kern_return_t explicit_reply(mach_port_t, mach_port_t, int, int *) { return KERN_FAILURE; }

}  // extern "C"

int main() {
  mach_port_t parent = MACH_PORT_NULL;
  check(tsmig_fd_to_send_right(3, &parent), "tsmig_fd_to_send_right");
  mach_port_t port = MACH_PORT_NULL;
  check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port), "mach_port_allocate");
  mach_port_limits_t limits{64};
  check(mach_port_set_attributes(mach_task_self(), port, MACH_PORT_LIMITS_INFO,
                                 reinterpret_cast<mach_port_info_t>(&limits), MACH_PORT_LIMITS_INFO_COUNT),
        "queue limit");
  mach_msg_header_t hello{};
  hello.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_MAKE_SEND);
  hello.msgh_size = sizeof hello;
  hello.msgh_remote_port = parent;
  hello.msgh_local_port = port;
  hello.msgh_id = 1000;
  check(mach_msg(&hello, MACH_SEND_MSG, sizeof hello, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL), "hello");
  while (!stdin_closed()) {
    const mach_msg_return_t mr = cross_serve_once(port, 50);
    if (mr != MACH_MSG_SUCCESS && mr != MACH_RCV_TIMED_OUT && mr != MACH_SEND_INVALID_DEST) check(mr, "serve");
  }
  std::printf("summary {\"calls\":%llu,\"orderErrors\":%llu,\"perSender\":{", static_cast<unsigned long long>(g_calls),
              static_cast<unsigned long long>(g_order_errors));
  bool first = true;
  for (const auto &[sender, count] : g_expected) {
    std::printf("%s\"%d\":%llu", first ? "" : ",", sender, static_cast<unsigned long long>(count));
    first = false;
  }
  std::printf("}}\n");
  mach_port_mod_refs(mach_task_self(), port, MACH_PORT_RIGHT_RECEIVE, -1);
  return 0;
}
