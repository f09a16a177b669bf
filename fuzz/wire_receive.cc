// libFuzzer target: the Linux emulation's receive path (runtime/src/linux/
// receive.cc and what it calls: record checks, rights and receive-right
// adoption, out-of-line regions, auxiliary sockets, MACH_RCV_LARGE stashes).
// Each input is a datagram plus a plan of descriptors — memfds (sealed or
// not, any size), real send and send-once rights, bare and live sockets,
// eventfds, queue pages, /dev/null, an auxiliary socket with its own stream
// of datagrams and descriptors — that this harness makes and sends through a
// real socket pair (the port's own home family) with SCM_RIGHTS, as a hostile
// peer holding a send right could. The runtime then receives everything
// queued and the harness destroys what it got. Promises checked after every
// input, besides ASan/UBSan: descriptors and names are back to where they
// were, and the port's queue count is zero (a forged "counted" flag cannot
// free slots nobody reserved).
//
// Input: u8 options | u8 n, n × FdSpec | u8 chunks, chunks × (u8 n, n × FdSpec,
// u16 len, len bytes) | the datagram. FdSpec: u8 kind, u32 parameter.
// With TSMIG_FUZZ_CAPTURE=<messages dir>:<out dir> it writes seed inputs
// instead: each raw Mach message in the first directory is sent through the
// runtime (support.h's Materializer) and the datagram that reaches the port,
// with its descriptors, is saved in this format.

#include <dirent.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "internal.h"
#include "support.h"

using namespace tsmig_fuzz;
namespace lx = tsmig::lx;

namespace {

enum FdKind : uint8_t {
  FD_MEMFD = 0,         // a memfd of `param` bytes (bounded)
  FD_SEALED_MEMFD = 1,  // the same, sealed against writes and resizing
  FD_SEND = 2,          // the sending end of a send right to a fresh port
  FD_SEND_ONCE = 3,     // the sending end of a send-once right to a fresh port
  FD_DEAD_SOCKET = 4,   // a socket whose peer is closed
  FD_LIVE_SOCKET = 5,   // a socket whose peer stays open until the input is done
  FD_EVENTFD = 6,
  FD_QUEUE_PAGE = 7,    // a page-sized memfd that looks like a queue page
  FD_DEV_NULL = 8,
  FD_AUX = 9,           // an auxiliary socket carrying the input's chunks, then EOF
  FD_KINDS = 10,
};

constexpr size_t kMaxFds = 16;
constexpr size_t kMaxChunks = 8;
constexpr uint32_t kMaxMemfd = 256 * 1024;

struct FdSpec {
  uint8_t kind;
  uint32_t param;
};

struct Chunk {
  std::vector<FdSpec> fds;
  std::vector<uint8_t> bytes;
};

mach_port_t g_port = MACH_PORT_NULL;  // the port under test: its receive right is ours
int g_home_send = -1;                 // the sending end of its home family (what a sender holds)
Baseline g_base;  // what every input must leave as it found it

std::vector<FdSpec> read_specs(Reader &r, size_t max) {
  std::vector<FdSpec> out(r.u8() % (max + 1));
  for (FdSpec &f : out) {
    f.kind = r.u8() % FD_KINDS;
    f.param = r.u32();
  }
  return out;
}

/** Everything one input made: closed or destroyed by finish(). */
struct Made {
  std::vector<int> fds;       // our copies of the descriptors sent (closed after the send)
  std::vector<int> keep;      // peers that stay open until the input is done
  Materializer ports;         // fresh ports behind send and send-once rights

  void close_sent() {
    for (int fd : fds) close(fd);
    fds.clear();
  }
  void finish() {
    close_sent();
    for (int fd : keep) close(fd);
    keep.clear();
    ports.release();
  }
};

int make_memfd(uint32_t param, bool sealed, bool page) {
  int fd = memfd_create(page ? "fuzz-queue" : "fuzz-region", MFD_CLOEXEC | (sealed ? MFD_ALLOW_SEALING : 0));
  if (fd < 0) return -1;
  size_t size = page ? 4096 : param % (kMaxMemfd + 1);
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    close(fd);
    return -1;
  }
  if (page) {
    // A plausible queue page: the magic, then fuzzed counts.
    uint32_t words[6] = {lx::kPageMagic, 1, param, 0, param >> 16, param & 0xff};
    if (pwrite(fd, words, sizeof words, 0) < 0) {
      close(fd);
      return -1;
    }
  }
  if (sealed) fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  return fd;
}

int make_fd(const FdSpec &f, Made &made, const std::vector<Chunk> &chunks);

/** The auxiliary socket: its reading end, the chunks already written into it, the writer closed. */
int make_aux(Made &made, const std::vector<Chunk> &chunks) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return -1;
  for (const Chunk &c : chunks) {
    std::vector<int> fds;
    for (const FdSpec &f : c.fds) {
      if (f.kind == FD_AUX) continue;  // no auxiliary socket inside an auxiliary socket
      int fd = make_fd(f, made, {});
      if (fd >= 0) fds.push_back(fd);
    }
    iovec iov{const_cast<uint8_t *>(c.bytes.data()), c.bytes.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
    if (!fds.empty()) {
      msg.msg_control = control;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
      cmsghdr *cm = CMSG_FIRSTHDR(&msg);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(cm), fds.data(), sizeof(int) * fds.size());
    }
    sendmsg(sv[1], &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    for (int fd : fds) close(fd);
  }
  close(sv[1]);
  return sv[0];
}

int make_fd(const FdSpec &f, Made &made, const std::vector<Chunk> &chunks) {
  int sv[2];
  switch (f.kind) {
    case FD_MEMFD:
      return make_memfd(f.param, false, false);
    case FD_SEALED_MEMFD:
      return make_memfd(f.param, true, false);
    case FD_QUEUE_PAGE:
      return make_memfd(f.param, false, true);
    case FD_SEND: {
      int fd = -1;
      check(tsmig_send_right_to_fd(made.ports.fresh_port(), &fd), "tsmig_send_right_to_fd");
      return fd;
    }
    case FD_SEND_ONCE: {
      mach_port_t q = made.ports.fresh_port();
      lx::Space &s = lx::space();
      lx::Lock lk(s.mu);
      int fd = -1;
      uint64_t token = 0;
      lx::Entry *e = lx::lookup(s, q);
      if (e == nullptr || !e->recv || lx::make_family(s, *e->recv, lx::FamilyKind::SendOnce, fd, token) != KERN_SUCCESS)
        return -1;
      return fd;
    }
    case FD_DEAD_SOCKET:
    case FD_LIVE_SOCKET:
      if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return -1;
      if (f.kind == FD_DEAD_SOCKET) {
        close(sv[1]);
      } else {
        made.keep.push_back(sv[1]);
      }
      return sv[0];
    case FD_EVENTFD:
      return eventfd(f.param & 0xff, EFD_CLOEXEC);
    case FD_DEV_NULL:
      return open("/dev/null", O_RDWR | O_CLOEXEC);
    case FD_AUX:
      return make_aux(made, chunks);
    default:
      return -1;
  }
}

/** Sends the datagram with its descriptors on the port's home family, as a peer would. */
void send_datagram(const std::vector<uint8_t> &datagram, const std::vector<int> &fds) {
  iovec iov{const_cast<uint8_t *>(datagram.data()), datagram.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(cm), fds.data(), sizeof(int) * fds.size());
  }
  sendmsg(g_home_send, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/** Receives with a buffer of `room` bytes; destroys what arrives. */
mach_msg_return_t receive_once(mach_msg_size_t room, mach_msg_option_t extra) {
  alignas(8) static uint8_t buf[512 * 1024];
  auto *h = reinterpret_cast<mach_msg_header_t *>(buf);
  mach_msg_return_t mr = mach_msg(h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | extra, 0, room, g_port, 0, MACH_PORT_NULL);
  if (mr == MACH_MSG_SUCCESS || (mr & ~MACH_MSG_IPC_SPACE) == MACH_RCV_BODY_ERROR ||
      (mr & ~MACH_MSG_IPC_SPACE) == MACH_RCV_HEADER_ERROR) {
    mach_msg_destroy(h);
  }
  return mr;
}

int32_t queued_on_port() {
  lx::Space &s = lx::space();
  lx::Lock lk(s.mu);
  lx::Entry *e = lx::lookup(s, g_port);
  return e != nullptr && e->recv && e->recv->page != nullptr ? e->recv->page->queued.load() : 0;
}

void check_counts() {
  g_base.check();
  if (queued_on_port() != 0) finding("the port's queue count is not zero with nothing queued");
}

void run_one(const uint8_t *data, size_t size) {
  Reader r(data, size);
  uint8_t options = r.u8();
  std::vector<FdSpec> specs = read_specs(r, kMaxFds);
  std::vector<Chunk> chunks(r.u8() % (kMaxChunks + 1));
  for (Chunk &c : chunks) {
    c.fds = read_specs(r, kMaxFds);
    c.bytes = r.bytes(r.u16());
  }
  std::vector<uint8_t> datagram = r.rest();
  Made made;
  for (const FdSpec &f : specs) {
    int fd = make_fd(f, made, chunks);
    if (fd >= 0) made.fds.push_back(fd);
  }
  send_datagram(datagram, made.fds);
  made.close_sent();  // the datagram holds its own references now
  if (options & 1) receive_once(64, MACH_RCV_LARGE);  // too small: kept for a larger receive
  if (options & 2) receive_once(64, 0);               // too small: destroyed
  while (receive_once(512 * 1024, MACH_RCV_LARGE) != MACH_RCV_TIMED_OUT) {
  }
  made.finish();
  // Destroying rights can queue notifications on the port: take them too.
  while (receive_once(512 * 1024, MACH_RCV_LARGE) != MACH_RCV_TIMED_OUT) {
  }
}

// ---------------------------------------------------------------------------
// Seed capture

/** Describes a received descriptor as the FdSpec that makes one like it. */
FdSpec classify(int fd) {
  char link[256] = {0};
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (readlink(path.c_str(), link, sizeof link - 1) <= 0) return {FD_DEV_NULL, 0};
  std::string what = link;
  struct stat st {};
  fstat(fd, &st);
  if (what.rfind("/memfd:", 0) == 0) {
    if (what.find("queue") != std::string::npos) return {FD_QUEUE_PAGE, 0};
    int seals = fcntl(fd, F_GET_SEALS);
    return {static_cast<uint8_t>(seals > 0 && (seals & F_SEAL_WRITE) ? FD_SEALED_MEMFD : FD_MEMFD),
            static_cast<uint32_t>(st.st_size)};
  }
  if (what.find("eventfd") != std::string::npos) return {FD_EVENTFD, 0};
  if (what.rfind("socket:", 0) == 0) {
    lx::Mailbox mb{};
    ssize_t n = recv(fd, &mb, sizeof mb, MSG_PEEK | MSG_DONTWAIT);
    if (n == static_cast<ssize_t>(sizeof mb) && mb.magic == lx::kWireMagic) return {FD_SEND, 0};
    return {FD_SEND_ONCE, 0};
  }
  return {FD_DEV_NULL, 0};
}

std::vector<int> take_fds(msghdr &msg) {
  std::vector<int> fds;
  for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds.push_back(fd);
    }
  }
  return fds;
}

void write_specs(Writer &w, const std::vector<int> &fds) {
  w.u8(static_cast<uint8_t>(fds.size()));
  for (int fd : fds) {
    FdSpec f = classify(fd);
    w.u8(f.kind);
    w.u32(f.param);
  }
}

/** Sends one raw Mach message through the runtime and writes the datagram that arrived as a seed. */
bool capture(std::vector<uint8_t> bytes, const std::string &out) {
  bytes.resize(bytes.size() & ~static_cast<size_t>(3));
  std::vector<uint64_t> words(bytes.size() / 8 + 2, 0);
  std::memcpy(words.data(), bytes.data(), bytes.size());
  Materializer m;
  if (!m.prepare(reinterpret_cast<uint8_t *>(words.data()), static_cast<mach_msg_size_t>(bytes.size()), g_port))
    return false;
  mach_msg_return_t mr = mach_msg(reinterpret_cast<mach_msg_header_t *>(words.data()), MACH_SEND_MSG | MACH_SEND_TIMEOUT,
                                  static_cast<mach_msg_size_t>(bytes.size()), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
  if (mr != MACH_MSG_SUCCESS) {
    m.send_failed();
    m.release();
    return false;
  }
  std::vector<uint8_t> datagram(lx::kMaxDatagram);
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 253) + 64];
  iovec iov{datagram.data(), datagram.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  {
    lx::Space &s = lx::space();
    lx::Lock lk(s.mu);
    lx::ReceivePort &rp = *lx::lookup(s, g_port)->recv;
    n = recvmsg(rp.families[rp.home_token].fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    lx::WireHeader h{};
    if (n >= static_cast<ssize_t>(sizeof h)) std::memcpy(&h, datagram.data(), sizeof h);
    if (h.flags & lx::WIRE_COUNTED) lx::page_release(rp.page, rp.room_fd);  // the slot we took it from
  }
  if (n < 0) finding("capture: nothing arrived");
  datagram.resize(static_cast<size_t>(n));
  std::vector<int> fds = take_fds(msg);
  lx::WireHeader h{};
  std::memcpy(&h, datagram.data(), sizeof h);
  Writer w;
  w.u8(0);
  std::vector<int> aux_fds;
  int aux = (h.flags & lx::WIRE_AUX) && !fds.empty() ? fds.back() : -1;
  write_specs(w, fds);
  if (aux >= 0) {
    // The last descriptor is the auxiliary socket: its stream becomes the chunks.
    w.out[1 + 5 * (fds.size() - 1)] = FD_AUX;
    std::vector<std::pair<std::vector<uint8_t>, std::vector<int>>> chunks;
    for (;;) {
      std::vector<uint8_t> chunk(64 * 1024 + 1);
      iovec ci{chunk.data(), chunk.size()};
      msghdr cm{};
      cm.msg_iov = &ci;
      cm.msg_iovlen = 1;
      cm.msg_control = control;
      cm.msg_controllen = sizeof control;
      ssize_t k = recvmsg(aux, &cm, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
      if (k <= 0) break;
      chunk.resize(static_cast<size_t>(k));
      chunks.emplace_back(chunk, take_fds(cm));
    }
    w.u8(static_cast<uint8_t>(chunks.size()));
    for (auto &c : chunks) {
      write_specs(w, c.second);
      w.u16(static_cast<uint16_t>(c.first.size()));
      w.bytes(c.first.data(), c.first.size());
      for (int fd : c.second) close(fd);
    }
  } else {
    w.u8(0);
  }
  w.bytes(datagram.data(), datagram.size());
  for (int fd : fds) close(fd);
  m.release();
  std::ofstream(out, std::ios::binary).write(reinterpret_cast<const char *>(w.out.data()),
                                             static_cast<std::streamsize>(w.out.size()));
  return true;
}

/** TSMIG_FUZZ_CAPTURE=<messages dir>:<out dir>: writes one seed per message, then exits. */
void capture_all(const std::string &spec) {
  size_t colon = spec.find(':');
  std::string in = spec.substr(0, colon), out = spec.substr(colon + 1);
  int written = 0;
  if (DIR *d = opendir(in.c_str())) {
    while (const dirent *e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream f(in + "/" + e->d_name, std::ios::binary);
      std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      if (capture(bytes, out + "/" + e->d_name)) written++;
    }
    closedir(d);
  }
  std::fprintf(stderr, "wire_receive: %d seeds written to %s\n", written, out.c_str());
  std::exit(0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &g_port), "mach_port_allocate");
  // One message through the runtime makes the port's home family and queue page.
  mach_msg_header_t h{};
  h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
  h.msgh_size = sizeof h;
  h.msgh_remote_port = g_port;
  check(mach_msg(&h, MACH_SEND_MSG, sizeof h, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL), "first send");
  receive_once(512 * 1024, 0);
  {
    lx::Space &s = lx::space();
    lx::Lock lk(s.mu);
    g_home_send = lx::lookup(s, g_port)->recv->home_send_fd;
  }
  if (const char *spec = std::getenv("TSMIG_FUZZ_CAPTURE")) capture_all(spec);
  // Warm up what the runtime makes once (pools, the monitor thread) with one input of every kind.
  for (uint8_t kind = 0; kind < FD_KINDS; kind++) {
    uint8_t input[] = {1, 1, kind, 0, 0x10, 0, 0, 0};
    run_one(input, sizeof input);
  }
  g_base.take();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  run_one(data, size);
  check_counts();
  return 0;
}
