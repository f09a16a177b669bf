// libFuzzer target: the generated C++ server demux of test/golden/cross (every
// argument kind MIG has: scalars, inline and out-of-line arrays, strings,
// every port disposition, polymorphic ports, out-of-line ports, CountInOut,
// trailer elements, a simpleroutine, an explicit reply port) on the real
// Linux runtime. Each input is made into a message with real rights and
// memory (support.h), sent through the runtime to the server port, served by
// the generated `cross_serve_once`, and the reply received and destroyed.
// Promises checked after every input, besides ASan/UBSan: the server's
// descriptors and names are back to where they were (nothing the request or
// the reply carried leaked), and no right is left on any port made for it.

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "input.mig.h"
#include "support.h"

using namespace tsmig_fuzz;

namespace {

int g_last = 0;
/** Receive rights the receive_right routine kept (destroyed after each input). */
std::vector<mach_port_t> g_kept;

bool holds(mach_port_t name, mach_port_type_t want) {
  mach_port_type_t type = 0;
  return mach_port_type(mach_task_self(), name, &type) == KERN_SUCCESS && (type & want) == want;
}

}  // namespace

// Server routines: outputs are a function of inputs (as the .defs says); on success each takes
// ownership of what it received and releases it, on failure it owns nothing.
extern "C" {

kern_return_t scalars(mach_port_t, char c, int16_t s, int i, boolean_t b, int64_t l, float f, double d, uint64_t *io,
                      int64_t *r, double *rd) {
  // Unsigned arithmetic: the fuzzer's values overflow any signed sum.
  *r = static_cast<int64_t>(static_cast<uint64_t>(l) + static_cast<uint64_t>(i) + static_cast<uint64_t>(s) +
                            static_cast<uint64_t>(c) + static_cast<uint64_t>(b));
  *rd = 2 * d + f;
  *io += 1;
  return KERN_SUCCESS;
}

kern_return_t arrays(mach_port_t, triple_t t, bytes_t v, mach_msg_type_number_t vCnt, int after, longs_t w,
                     mach_msg_type_number_t wCnt, bytes_t ov, mach_msg_type_number_t *ovCnt, triple_t *ot, int *tail) {
  // The demux promises vCnt <= 64 and wCnt <= 8; ASan checks that it kept the promise.
  for (mach_msg_type_number_t k = 0; k < vCnt; k++) ov[k] = v[vCnt - 1 - k];
  *ovCnt = vCnt;
  for (int k = 0; k < 3; k++) ot->v[k] = static_cast<int>(2u * static_cast<unsigned>(t.v[k]));
  uint64_t sum = static_cast<uint64_t>(after);
  for (mach_msg_type_number_t k = 0; k < wCnt; k++) sum += static_cast<uint64_t>(w[k]);
  *tail = static_cast<int>(sum);
  return KERN_SUCCESS;
}

kern_return_t strings(mach_port_t, name_t name, label_t label, name_t found) {
  // name (c_string[*:32]) is checked NUL-terminated by the demux; a fixed c_string[8] is not, as with
  // Apple's MIG (the routine gets the 8 bytes as they came), so label is read within its 8 bytes.
  std::string joined = std::string(name, strnlen(name, sizeof(name_t))) + "/" +
                       std::string(label, strnlen(label, sizeof(label_t)));
  std::snprintf(found, sizeof(name_t), "%s", joined.substr(0, sizeof(name_t) - 1).c_str());
  return KERN_SUCCESS;
}

kern_return_t rights(mach_port_t, mach_port_t mv, mach_port_t cs, mach_port_t ms, mach_port_t mso, ports2_t pair,
                     mach_port_name_t name, mach_port_name_t *same) {
  const bool ok = holds(mv, MACH_PORT_TYPE_SEND) && holds(cs, MACH_PORT_TYPE_SEND) && holds(ms, MACH_PORT_TYPE_SEND) &&
                  holds(mso, MACH_PORT_TYPE_SEND_ONCE) && holds(pair[0], MACH_PORT_TYPE_SEND) &&
                  holds(pair[1], MACH_PORT_TYPE_SEND);
  if (!ok) return KERN_INVALID_RIGHT;
  for (mach_port_t p : {mv, cs, ms, mso, pair[0], pair[1]}) mach_port_deallocate(mach_task_self(), p);
  *same = name;
  return KERN_SUCCESS;
}

kern_return_t receive_right(mach_port_t, mach_port_t mr, mach_port_t *back) {
  if (!holds(mr, MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
  g_kept.push_back(mr);
  *back = mr;
  return KERN_SUCCESS;
}

kern_return_t poly(mach_port_t, mach_port_t p, mach_msg_type_name_t pPoly, mach_port_t *q,
                   mach_msg_type_name_t *qPoly) {
  *q = p;
  *qPoly = pPoly;
  return KERN_SUCCESS;
}

kern_return_t out_of_line(mach_port_t, vm_offset_t data, mach_msg_type_number_t dataCnt, ool_ints_t ints,
                          mach_msg_type_number_t intsCnt, ool_ports_t names, mach_msg_type_number_t namesCnt,
                          vm_offset_t *odata, mach_msg_type_number_t *odataCnt, int *sum, ool_ports_t *onames,
                          mach_msg_type_number_t *onamesCnt) {
  static mach_port_t back[8];
  if (namesCnt > 8) return KERN_INVALID_ARGUMENT;  // the demux should have refused this already
  vm_address_t copy = 0;
  if (dataCnt) check(vm_allocate(mach_task_self(), &copy, dataCnt, VM_FLAGS_ANYWHERE), "vm_allocate");
  const char *in = reinterpret_cast<const char *>(data);
  for (mach_msg_type_number_t k = 0; k < dataCnt; k++) reinterpret_cast<char *>(copy)[k] = in[dataCnt - 1 - k];
  *odata = copy;
  *odataCnt = dataCnt;
  unsigned total = 0;
  for (mach_msg_type_number_t k = 0; k < intsCnt; k++) total += static_cast<unsigned>(ints[k]);
  *sum = static_cast<int>(total);
  for (mach_msg_type_number_t k = 0; k < namesCnt; k++) back[k] = names[k];
  *onames = back;
  *onamesCnt = namesCnt;
  vm_deallocate(mach_task_self(), data, dataCnt);
  vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(ints), intsCnt * sizeof(int));
  vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(names), namesCnt * sizeof(mach_port_t));
  return KERN_SUCCESS;
}

kern_return_t counted(mach_port_t, ints_t x, mach_msg_type_number_t xCnt, ints_t z, mach_msg_type_number_t *zCnt) {
  const mach_msg_type_number_t n = xCnt < *zCnt ? xCnt : *zCnt;
  for (mach_msg_type_number_t k = 0; k < n; k++) z[k] = static_cast<int>(2u * static_cast<unsigned>(x[k]));
  *zCnt = n;
  return KERN_SUCCESS;
}

kern_return_t audit(mach_port_t, audit_token_t token, mach_port_seqno_t, int *pid) {
  *pid = tsmig_audit_token_pid(&token);
  return KERN_SUCCESS;
}

kern_return_t oneway(mach_port_t, int x) {
  g_last = x;
  return KERN_SUCCESS;
}

kern_return_t last(mach_port_t, int *x) {
  *x = g_last;
  return KERN_SUCCESS;
}

kern_return_t fails(mach_port_t, int) { return KERN_INVALID_ARGUMENT; }

kern_return_t explicit_reply(mach_port_t, mach_port_t, int x, int *y) {
  *y = static_cast<int>(static_cast<unsigned>(x) + 1u);
  return KERN_SUCCESS;
}

kern_return_t stats(mach_port_t, int *names, int *fds, uint64_t *oolbytes) {
  *names = static_cast<int>(space_names());
  *fds = open_descriptors();
  *oolbytes = 0;
  return KERN_SUCCESS;
}

}  // extern "C"

namespace {

mach_port_t g_server = MACH_PORT_NULL;
Baseline g_base;  // what every input must leave as it found it

/** Serves every request queued on the server port, as the generated serve loop does, without waiting. */
void serve_pending() {
  // The generated serve_once takes 0 as "no timeout" (Mach's MACH_MSG_TIMEOUT_NONE): receive here, poll-style.
  alignas(8) static uint8_t request[64 * 1024];
  alignas(8) static uint8_t reply[64 * 1024];
  static_assert(sizeof request >= 4096, "room for the largest request");
  const mach_msg_option_t options =
      MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) | cross_server_info.trailer_elements;
  for (;;) {
    auto *in = reinterpret_cast<mach_msg_header_t *>(request);
    const mach_msg_size_t room =
        cross_server_info.max_request + static_cast<mach_msg_size_t>(sizeof(mach_msg_max_trailer_t));
    mach_msg_return_t mr = mach_msg(in, options, 0, room, g_server, 0, MACH_PORT_NULL);
    if (mr == MACH_RCV_TIMED_OUT) return;
    if (mr != MACH_MSG_SUCCESS) continue;  // too large (destroyed by the runtime) or a body error
    std::memset(reply, 0, sizeof reply);
    tsmig::stubs::handle_request(cross_server_info, in, reinterpret_cast<mach_msg_header_t *>(reply));
  }
}

/** Sends one input to the server, serves it, and cleans up everything made for it. */
void run_one(const uint8_t *data, size_t size) {
  // The request: at most the largest the server takes plus some (larger ones must be refused cleanly).
  size_t len = size > cross_server_info.max_request + 64 ? cross_server_info.max_request + 64 : size;
  len &= ~static_cast<size_t>(3);
  std::vector<uint64_t> words((len + 7) / 8 + 1, 0);
  auto *msg = reinterpret_cast<uint8_t *>(words.data());
  std::memcpy(msg, data, len);
  Materializer m;
  if (m.prepare(msg, static_cast<mach_msg_size_t>(len), g_server)) {
    mach_msg_return_t mr = mach_msg(reinterpret_cast<mach_msg_header_t *>(msg), MACH_SEND_MSG | MACH_SEND_TIMEOUT,
                                    static_cast<mach_msg_size_t>(len), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS) m.send_failed();
    // Serve whatever arrived (the request, and notifications the runtime sent about it).
    serve_pending();
  }
  for (mach_port_t kept : g_kept) mach_port_mod_refs(mach_task_self(), kept, MACH_PORT_RIGHT_RECEIVE, -1);
  g_kept.clear();
  // Replies land on the fresh ports: a right left on one after draining them is a leak.
  for (int round = 0; round < 3; round++)
    for (mach_port_t p : m.ports) drain(p);
  m.release();
  serve_pending();
}

/** A request for `id` built from fields: what the warm-up sends. */
std::vector<uint8_t> warm_up_message(mach_msg_id_t id, mach_msg_type_name_t reply, uint32_t descriptors) {
  std::vector<uint8_t> out(256, 0);
  mach_msg_header_t h{};
  h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, reply) | (descriptors ? MACH_MSGH_BITS_COMPLEX : 0);
  h.msgh_id = id;
  std::memcpy(out.data(), &h, sizeof h);
  if (descriptors) {
    mach_msg_body_t body{descriptors};
    std::memcpy(out.data() + sizeof h, &body, sizeof body);
    mach_msg_ool_descriptor_t d{};
    d.type = MACH_MSG_OOL_DESCRIPTOR;
    d.size = 100000;
    std::memcpy(out.data() + sizeof(mach_msg_base_t), &d, sizeof d);
    mach_msg_port_descriptor_t p{};
    p.name = 1;
    p.disposition = MACH_MSG_TYPE_MAKE_SEND_ONCE;
    p.type = MACH_MSG_PORT_DESCRIPTOR;
    std::memcpy(out.data() + sizeof(mach_msg_base_t) + sizeof d, &p, sizeof p);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &g_server), "mach_port_allocate");
  // Warm up what the runtime makes once (the server port's socket pair and queue page, pools, the
  // monitor thread) so the counts after every input can be compared with these.
  for (int round = 0; round < 2; round++) {
    for (mach_msg_id_t id = 9000; id < 9015; id++) {
      for (uint32_t descriptors : {0u, 2u}) {
        std::vector<uint8_t> msg = warm_up_message(id, MACH_MSG_TYPE_MAKE_SEND_ONCE, descriptors);
        run_one(msg.data(), msg.size());
      }
    }
  }
  g_base.take();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  run_one(data, size);
  g_base.check();
  return 0;
}
