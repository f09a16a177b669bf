// The C++ side of the cross-process tests (cross-process.test.ts): tsmig's
// generated C++ for test/golden/cross (the golden files themselves), linked
// with the runtime library (build/native/libtsmig.a), no Node.
//
//   peer server   serves subsystem `cross` on a fresh port: it sends a
//                 hello (id 1000, a send right to that port) to the send
//                 right it inherited as descriptor 3, then answers requests
//                 until its standard input closes.
//   peer client   calls every routine of `cross` on the send right it
//                 inherited as descriptor 3 and checks each answer; prints
//                 one line per routine ("ok NAME" or "FAIL NAME: why") and
//                 exits 0 when every one passed.
//
// Each routine's outputs are a fixed function of its inputs (see the .defs),
// so the client checks what came back against what it sent.

#include <dirent.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <tsmig/runtime.h>

#include "input.mig.h"

namespace {

void check(kern_return_t kr, const char *what) {
  if (kr != KERN_SUCCESS) {
    std::fprintf(stderr, "peer: %s failed: 0x%x (%s)\n", what, kr, mach_error_string(kr));
    std::exit(1);
  }
}

bool has_type(mach_port_t name, mach_port_type_t want) {
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

int g_last = 0;
mach_port_t g_kept_receive[64];
int g_kept = 0;

}  // namespace

// ---------------------------------------------------------------------------
// Server routines

extern "C" {

kern_return_t scalars(mach_port_t, char c, int16_t s, int i, boolean_t b, int64_t l, float f, double d, uint64_t *io,
                      int64_t *r, double *rd) {
  *r = l + i + s + c + b;
  *rd = 2 * d + f;
  *io += 1;
  return KERN_SUCCESS;
}

kern_return_t arrays(mach_port_t, triple_t t, bytes_t v, mach_msg_type_number_t vCnt, int after, longs_t w,
                     mach_msg_type_number_t wCnt, bytes_t ov, mach_msg_type_number_t *ovCnt, triple_t *ot, int *tail) {
  for (mach_msg_type_number_t k = 0; k < vCnt; k++) ov[k] = v[vCnt - 1 - k];
  *ovCnt = vCnt;
  for (int k = 0; k < 3; k++) ot->v[k] = 2 * t.v[k];
  int64_t sum = after;
  for (mach_msg_type_number_t k = 0; k < wCnt; k++) sum += w[k];
  *tail = static_cast<int>(sum);
  return KERN_SUCCESS;
}

kern_return_t strings(mach_port_t, name_t name, label_t label, name_t found) {
  // A fixed c_string may arrive without its NUL (MIG checks none for it): read at most its size.
  std::string joined = std::string(name) + "/" + std::string(label, strnlen(label, sizeof(label_t)));
  std::snprintf(found, sizeof(name_t), "%s", joined.substr(0, sizeof(name_t) - 1).c_str());
  return KERN_SUCCESS;
}

kern_return_t rights(mach_port_t, mach_port_t mv, mach_port_t cs, mach_port_t ms, mach_port_t mso, ports2_t pair,
                     mach_port_name_t name, mach_port_name_t *same) {
  const bool ok = has_type(mv, MACH_PORT_TYPE_SEND) && has_type(cs, MACH_PORT_TYPE_SEND) &&
                  has_type(ms, MACH_PORT_TYPE_SEND) && has_type(mso, MACH_PORT_TYPE_SEND_ONCE) &&
                  has_type(pair[0], MACH_PORT_TYPE_SEND) && has_type(pair[1], MACH_PORT_TYPE_SEND);
  // Failing, the routine owns nothing: the server loop destroys the request.
  if (!ok) return KERN_INVALID_RIGHT;
  for (mach_port_t p : {mv, cs, ms, mso, pair[0], pair[1]}) mach_port_deallocate(mach_task_self(), p);
  *same = name;
  return KERN_SUCCESS;
}

kern_return_t receive_right(mach_port_t, mach_port_t mr, mach_port_t *back) {
  if (!has_type(mr, MACH_PORT_TYPE_RECEIVE) || g_kept == 64) return KERN_INVALID_RIGHT;
  g_kept_receive[g_kept++] = mr;
  *back = mr;
  return KERN_SUCCESS;
}

kern_return_t poly(mach_port_t, mach_port_t p, mach_msg_type_name_t pPoly, mach_port_t *q,
                   mach_msg_type_name_t *qPoly) {
  // A right received as `pPoly` moves back as itself.
  *q = p;
  *qPoly = pPoly;
  return KERN_SUCCESS;
}

kern_return_t out_of_line(mach_port_t, vm_offset_t data, mach_msg_type_number_t dataCnt, ool_ints_t ints,
                          mach_msg_type_number_t intsCnt, ool_ports_t names, mach_msg_type_number_t namesCnt,
                          vm_offset_t *odata, mach_msg_type_number_t *odataCnt, int *sum, ool_ports_t *onames,
                          mach_msg_type_number_t *onamesCnt) {
  static mach_port_t back[8];
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
  // The routine owns the request's regions: the names moved into `back`.
  vm_deallocate(mach_task_self(), data, dataCnt);
  vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(ints), intsCnt * sizeof(int));
  vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(names), namesCnt * sizeof(mach_port_t));
  return KERN_SUCCESS;
}

kern_return_t counted(mach_port_t, ints_t x, mach_msg_type_number_t xCnt, ints_t z, mach_msg_type_number_t *zCnt) {
  const mach_msg_type_number_t n = xCnt < *zCnt ? xCnt : *zCnt;
  for (mach_msg_type_number_t k = 0; k < n; k++) z[k] = 2 * x[k];
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
  *y = x + 1;
  return KERN_SUCCESS;
}

kern_return_t stats(mach_port_t, int *names, int *fds, uint64_t *oolbytes) {
  // Cached regions are not leaks: release them before counting.
  check(tsmig_ool_trim(), "tsmig_ool_trim");
  tsmig_space_stats_t s;
  check(tsmig_space_stats(&s), "tsmig_space_stats");
  *names = static_cast<int>(s.names);
  *fds = open_descriptors();
  *oolbytes = s.ool_bytes;
  return KERN_SUCCESS;
}

}  // extern "C"

// ---------------------------------------------------------------------------
// Client

namespace {

int failures = 0;

void report(const char *name, bool ok, const std::string &why = "") {
  if (ok) {
    std::printf("ok %s\n", name);
  } else {
    std::printf("FAIL %s: %s\n", name, why.c_str());
    failures++;
  }
  std::fflush(stdout);
}

std::string code(kern_return_t kr) { return "returned " + std::to_string(kr); }

mach_port_t new_receive() {
  mach_port_t p = MACH_PORT_NULL;
  check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p), "mach_port_allocate");
  return p;
}

mach_port_t new_send() {
  const mach_port_t p = new_receive();
  check(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND), "insert_right");
  return p;
}

void destroy(mach_port_t p) { mach_port_destroy(mach_task_self(), p); }

void run_client(mach_port_t server) {
  {
    uint64_t io = 41;
    int64_t r = 0;
    double rd = 0;
    const kern_return_t kr = cross::scalars(server, 'x', -300, 70000, TRUE, -5000000000LL, 1.5f, 2.25, &io, &r, &rd);
    report("scalars", kr == KERN_SUCCESS && io == 42 && r == -5000000000LL + 70000 - 300 + 'x' + 1 && rd == 6.0,
           code(kr));
  }
  {
    triple_t t = {{1, -2, 3}};
    bytes_t v;
    for (int k = 0; k < 5; k++) v[k] = static_cast<char>('a' + k);
    longs_t w = {10, 20, 30};
    bytes_t ov = {};
    mach_msg_type_number_t ovCnt = 0;
    triple_t ot = {};
    int tail = 0;
    const kern_return_t kr = cross::arrays(server, t, v, 5, 4, w, 3, ov, &ovCnt, &ot, &tail);
    report("arrays",
           kr == KERN_SUCCESS && ovCnt == 5 && std::memcmp(ov, "edcba", 5) == 0 && ot.v[0] == 2 && ot.v[1] == -4 &&
               ot.v[2] == 6 && tail == 64,
           code(kr));
  }
  {
    name_t name = "hello";
    label_t label = "world";
    name_t found = {};
    const kern_return_t kr = cross::strings(server, name, label, found);
    report("strings", kr == KERN_SUCCESS && std::strcmp(found, "hello/world") == 0, code(kr) + " " + found);
  }
  {
    const mach_port_t mv = new_send(), cs = new_send(), ms = new_receive(), mso = new_receive();
    ports2_t pair = {new_send(), new_send()};
    mach_port_name_t same = 0;
    const kern_return_t kr = cross::rights(server, mv, cs, ms, mso, pair, 0x4242, &same);
    report("rights", kr == KERN_SUCCESS && same == 0x4242 && !has_type(mv, MACH_PORT_TYPE_SEND), code(kr));
    for (mach_port_t p : {mv, cs, ms, mso, pair[0], pair[1]}) destroy(p);
  }
  {
    const mach_port_t mr = new_receive();
    mach_port_t back = MACH_PORT_NULL;
    const kern_return_t kr = cross::receive_right(server, mr, &back);
    const bool moved = !has_type(back, MACH_PORT_TYPE_RECEIVE) && has_type(back, MACH_PORT_TYPE_SEND);
    report("receive_right", kr == KERN_SUCCESS && moved, code(kr));
    mach_port_deallocate(mach_task_self(), back);
  }
  {
    const mach_port_t p = new_send();
    mach_port_t q = MACH_PORT_NULL;
    mach_msg_type_name_t qPoly = 0;
    // A copied send right comes back as a send right (to the same port: the same name here).
    const kern_return_t kr = cross::poly(server, p, MACH_MSG_TYPE_COPY_SEND, &q, &qPoly);
    report("poly", kr == KERN_SUCCESS && q == p && qPoly == MACH_MSG_TYPE_PORT_SEND, code(kr));
    destroy(p);
  }
  {
    char data[300];
    for (int k = 0; k < 300; k++) data[k] = static_cast<char>(k);
    vm_address_t ints_region = 0;
    check(vm_allocate(mach_task_self(), &ints_region, 5 * sizeof(int), VM_FLAGS_ANYWHERE), "vm_allocate");
    int *ints = reinterpret_cast<int *>(ints_region);
    for (int k = 0; k < 5; k++) ints[k] = k + 1;
    mach_port_t names[3] = {new_send(), new_send(), new_send()};
    vm_offset_t odata = 0;
    mach_msg_type_number_t odataCnt = 0, onamesCnt = 0;
    int sum = 0;
    ool_ports_t onames = nullptr;
    const kern_return_t kr = cross::out_of_line(server, reinterpret_cast<vm_offset_t>(data), 300, ints, 5, names, 3, &odata, &odataCnt, &sum, &onames, &onamesCnt);
    bool ok = kr == KERN_SUCCESS && odataCnt == 300 && sum == 15 && onamesCnt == 3;
    for (int k = 0; ok && k < 300; k++) ok = reinterpret_cast<const char *>(odata)[k] == static_cast<char>(299 - k);
    for (mach_msg_type_number_t k = 0; ok && k < onamesCnt; k++) ok = onames[k] == names[k];
    report("out_of_line", ok, code(kr));
    if (kr == KERN_SUCCESS) {
      vm_deallocate(mach_task_self(), odata, odataCnt);
      vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(onames), onamesCnt * sizeof(mach_port_t));
    }
    for (mach_port_t p : names) destroy(p);
  }
  {
    ints_t x = {1, 2, 3, 4};
    ints_t z = {};
    mach_msg_type_number_t zCnt = 3;
    const kern_return_t kr = cross::counted(server, x, 4, z, &zCnt);
    report("counted", kr == KERN_SUCCESS && zCnt == 3 && z[0] == 2 && z[1] == 4 && z[2] == 6, code(kr));
  }
  {
    int pid = 0;
    const kern_return_t kr = cross::audit(server, &pid);
    report("audit", kr == KERN_SUCCESS && pid == getpid(), code(kr) + " pid " + std::to_string(pid));
  }
  {
    const kern_return_t sent = cross::oneway(server, 77);
    int x = 0;
    const kern_return_t kr = cross::last(server, &x);
    report("oneway", sent == KERN_SUCCESS && kr == KERN_SUCCESS && x == 77, code(kr));
  }
  {
    const kern_return_t kr = cross::fails(server, 1);
    report("fails", kr == KERN_INVALID_ARGUMENT, code(kr));
  }
  {
    const mach_port_t reply = new_receive();
    int y = 0;
    const kern_return_t kr = cross::explicit_reply(server, reply, 41, &y);
    report("explicit_reply", kr == KERN_SUCCESS && y == 42, code(kr));
    destroy(reply);
  }
  {
    int names = 0, fds = 0;
    uint64_t oolbytes = 0;
    const kern_return_t kr = cross::stats(server, &names, &fds, &oolbytes);
    report("stats", kr == KERN_SUCCESS && names > 0 && fds > 0, code(kr));
  }
}

bool stdin_closed() {
  pollfd p = {0, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  char c;
  return read(0, &c, 1) <= 0;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  mach_port_t peer = MACH_PORT_NULL;
  check(tsmig_fd_to_send_right(3, &peer), "tsmig_fd_to_send_right");
  if (std::strcmp(argv[1], "client") == 0) {
    run_client(peer);
    return failures == 0 ? 0 : 1;
  }
  mach_port_t port = MACH_PORT_NULL;
  check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port), "mach_port_allocate");
  mach_msg_header_t hello{};
  hello.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND);
  hello.msgh_size = sizeof hello;
  hello.msgh_remote_port = peer;
  hello.msgh_local_port = port;
  hello.msgh_id = 1000;
  check(mach_msg(&hello, MACH_SEND_MSG, sizeof hello, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL), "hello");
  while (!stdin_closed()) {
    const mach_msg_return_t mr = cross_serve_once(port, 50);
    if (mr != MACH_MSG_SUCCESS && mr != MACH_RCV_TIMED_OUT) check(mr, "serve");
  }
  for (int k = 0; k < g_kept; k++) destroy(g_kept_receive[k]);
  return 0;
}
