// Linux emulation: the send half of mach_msg. Checks the message as Mach
// does, takes a slot of the destination's queue limit (blocking or timing out
// as Mach does), takes the carried rights and regions out of the space
// (copyin), and sends one datagram (wire.h) on the destination's sending end.
// Any failure after copyin puts everything back: a send that fails consumes
// nothing, except a malformed body, which destroys what was copied in (as
// Mach does). Rights and regions travel in the same datagram as the message;
// more than one control message's worth goes through an auxiliary socket
// carried in that datagram.

#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "internal.h"

namespace tsmig::lx {

void OutMessage::clear() {
  header = WireHeader{};
  records.clear();
  mach.clear();
  fds.clear();
  inline_data.clear();
}

void OutMessage::add_record(uint8_t kind, uint32_t size, uint64_t value) {
  WireRecord r{};
  r.kind = kind;
  r.size = size;
  r.value = value;
  size_t at = records.size();
  records.resize(at + sizeof r);
  memcpy(records.data() + at, &r, sizeof r);
  header.record_count++;
}

namespace {

constexpr size_t kAuxChunk = 60 * 1024;

int send_with_fds(int fd, const iovec *iov, size_t iovlen, const int *fds, size_t nfds) {
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * kMaxFdsPerDatagram)];
  msghdr msg{};
  msg.msg_iov = const_cast<iovec *>(iov);
  msg.msg_iovlen = iovlen;
  if (nfds > 0) {
    msg.msg_control = cbuf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    memset(cbuf, 0, msg.msg_controllen);
    cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  }
  return sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? errno : 0;
}

/** Writes the records that do not fit and the descriptors beyond the first control message into a fresh socket pair; returns its reading end. */
int fill_aux(const OutMessage &out, bool records_in_aux, size_t first_fds, int &err) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    err = errno;
    return -1;
  }
  int big = kSendBuffer * 4;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  err = 0;
  char tag;
  if (records_in_aux) {
    tag = 'R';
    for (size_t off = 0; off < out.records.size() && err == 0; off += kAuxChunk) {
      size_t n = std::min(kAuxChunk, out.records.size() - off);
      iovec iov[2] = {{&tag, 1}, {const_cast<uint8_t *>(out.records.data()) + off, n}};
      err = send_with_fds(sv[0], iov, 2, nullptr, 0);
    }
  }
  tag = 'F';
  for (size_t i = first_fds; i < out.fds.size() && err == 0; i += kMaxFdsPerDatagram) {
    size_t n = std::min(kMaxFdsPerDatagram, out.fds.size() - i);
    iovec iov{&tag, 1};
    err = send_with_fds(sv[0], &iov, 1, out.fds.data() + i, n);
  }
  close(sv[0]);  // the reader sees EOF after the last chunk
  if (err != 0) {
    if (err == EAGAIN) err = ENOBUFS;  // the auxiliary buffer filled: more than one message can carry
    close(sv[1]);
    return -1;
  }
  return sv[1];
}

struct Deadline {
  bool finite = false;
  int64_t end_ns = 0;
  Deadline(bool has_timeout, mach_msg_timeout_t ms) : finite(has_timeout) {
    if (finite) end_ns = now() + static_cast<int64_t>(ms) * 1000000;
  }
  static int64_t now() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  }
  bool expired() const { return finite && now() >= end_ns; }
  /** Milliseconds to wait, at most `cap` (-1: forever). */
  int wait_ms(int cap) const {
    if (!finite) return cap;
    int64_t left = (end_ns - now() + 999999) / 1000000;
    if (left < 0) left = 0;
    return cap < 0 ? static_cast<int>(std::min<int64_t>(left, INT_MAX)) : static_cast<int>(std::min<int64_t>(left, cap));
  }
};

/** Where a message goes and how it is counted. */
struct Dest {
  mach_port_name_t name = MACH_PORT_NULL;
  mach_msg_type_name_t disp = 0;
  int fd = -1;
  bool pinned = false;  // fd is our private copy (the lock was dropped)
  bool own = false;     // we hold the receive right: the message goes on the home family
  bool send_once = false;
  QueuePage *page = nullptr;
  uint64_t id = 0;
};

mach_msg_return_t resolve_dest(Space &s, mach_port_name_t name, mach_msg_type_name_t disp, Dest &d) {
  d = Dest();
  d.name = name;
  d.disp = disp;
  if (!MACH_PORT_VALID(name) || is_task_self(name)) return MACH_SEND_INVALID_DEST;
  Entry *e = lookup(s, name);
  if (e == nullptr) return MACH_SEND_INVALID_DEST;
  d.send_once = disp == MACH_MSG_TYPE_MOVE_SEND_ONCE || disp == MACH_MSG_TYPE_MAKE_SEND_ONCE;
  d.id = e->port_id;
  switch (disp) {
    case MACH_MSG_TYPE_MOVE_SEND:
    case MACH_MSG_TYPE_COPY_SEND:
    case MACH_MSG_TYPE_MAKE_SEND:
    case MACH_MSG_TYPE_MAKE_SEND_ONCE: {
      bool need_receive = disp == MACH_MSG_TYPE_MAKE_SEND || disp == MACH_MSG_TYPE_MAKE_SEND_ONCE;
      if (!(e->rights & (need_receive ? MACH_PORT_TYPE_RECEIVE : MACH_PORT_TYPE_SEND))) return MACH_SEND_INVALID_DEST;
      if (e->recv) {
        ReceivePort &rp = *e->recv;
        if (ensure_home(s, rp) != KERN_SUCCESS) return MACH_SEND_NO_BUFFER;
        d.fd = rp.home_send_fd;
        d.own = true;
        if (!d.send_once && ensure_page(s, rp) == KERN_SUCCESS) d.page = rp.page;
      } else {
        d.fd = e->fd;
        if (!d.send_once) d.page = sender_page(s, *e);
      }
      return MACH_MSG_SUCCESS;
    }
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
      if (!(e->rights & MACH_PORT_TYPE_SEND_ONCE)) return MACH_SEND_INVALID_DEST;
      d.fd = e->fd;
      return MACH_MSG_SUCCESS;
    default:
      return MACH_SEND_INVALID_HEADER;
  }
}

/** The destination right was used: consume what its disposition consumes. */
void commit_dest(Space &s, const Dest &d) {
  Entry *e = lookup(s, d.name);
  switch (d.disp) {
    case MACH_MSG_TYPE_MOVE_SEND:
      if (e == nullptr || e->port_id != d.id || !(e->rights & MACH_PORT_TYPE_SEND)) return;
      if (--e->urefs == 0) drop_send(s, d.name, *e);
      return;
    case MACH_MSG_TYPE_MAKE_SEND:
      if (e != nullptr && e->recv) {
        // The made right was used and is gone again: that can be the last sender.
        e->recv->mscount++;
        check_no_senders(s, *e->recv);
      }
      return;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
      if (e == nullptr || !(e->rights & MACH_PORT_TYPE_SEND_ONCE) || e->port_id != d.id) return;
      monitor_unwatch_dead_name(s, *e);
      close_fd(e->fd);
      e->fd = -1;
      e->rights &= ~MACH_PORT_TYPE_SEND_ONCE;
      e->urefs = 0;
      release_if_empty(s, d.name, *e);
      return;
    default:
      return;
  }
}

void mark_dest_dead(Space &s, const Dest &d) {
  Entry *e = lookup(s, d.name);
  if (e != nullptr && !e->recv && e->port_id == d.id && (e->rights & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE))) {
    make_dead(s, d.name, *e);
  }
}

/** One message's rights and regions, in record order, with where each right's descriptor sits in out.fds. */
struct Carried {
  std::vector<CarriedRight> rights;
  std::vector<size_t> fd_index;
  std::vector<CarriedRegion> regions;
  std::vector<std::pair<uintptr_t, size_t>> arrays_to_free;  // OOL ports arrays sent with deallocate
  void clear() {
    rights.clear();
    fd_index.clear();
    regions.clear();
    arrays_to_free.clear();
  }
};

thread_local OutMessage t_out;
thread_local Carried t_carried;

/**
 * Receive rights a message moves: before copyin, threads blocked directly on
 * their home families must have left (they could otherwise take a message
 * from a socket that is leaving). Kept quiet until the send is over.
 */
struct Quiesced {
  std::vector<std::shared_ptr<ReceivePort>> ports;
  ~Quiesced() {
    for (auto &p : ports) p->no_direct--;
  }
  void add(Space &s, mach_port_name_t name) {
    Entry *e = lookup(s, name);
    if (e == nullptr || !e->recv) return;
    for (auto &p : ports) {
      if (p == e->recv) return;
    }
    std::shared_ptr<ReceivePort> rp = e->recv;
    ports.push_back(rp);
    quiesce_direct(s, *rp);
  }
  /** Every MOVE_RECEIVE in the message's body. */
  void scan(Space &s, const mach_msg_header_t *msg, mach_msg_size_t send_size) {
    const uint8_t *base = reinterpret_cast<const uint8_t *>(msg);
    mach_msg_body_t body;
    memcpy(&body, base + sizeof(mach_msg_header_t), sizeof body);
    size_t p = sizeof(mach_msg_base_t);
    for (mach_msg_size_t i = 0; i < body.msgh_descriptor_count; i++) {
      if (p + sizeof(mach_msg_port_descriptor_t) > send_size) return;
      uint8_t type = base[p + 11];
      if (type == MACH_MSG_PORT_DESCRIPTOR) {
        mach_msg_port_descriptor_t d;
        memcpy(&d, base + p, sizeof d);
        if (d.disposition == MACH_MSG_TYPE_MOVE_RECEIVE) add(s, d.name);
        p += sizeof d;
      } else {
        if (p + 16 > send_size) return;
        if (type == MACH_MSG_OOL_PORTS_DESCRIPTOR) {
          mach_msg_ool_ports_descriptor_t d;
          memcpy(&d, base + p, sizeof d);
          if (d.disposition == MACH_MSG_TYPE_MOVE_RECEIVE && d.address != nullptr && d.count <= (1u << 20)) {
            std::vector<mach_port_name_t> names(d.count);
            if (safe_copy(names.data(), d.address, d.count * sizeof(mach_port_name_t))) {
              for (mach_port_name_t n : names) add(s, n);
            }
          }
        }
        p += 16;
      }
    }
  }
};

void add_right(Space &s, OutMessage &out, Carried &c, CarriedRight &&r) {
  size_t index = SIZE_MAX;
  switch (r.kind) {
    case REC_SEND:
    case REC_SEND_ONCE:
      out.add_record(r.kind, 0, r.id);
      index = out.fds.size();
      out.fds.push_back(r.fd);
      break;
    case REC_RECEIVE: {
      std::vector<uint8_t> block;
      serialize_receive(s, *r.recv, block, out.fds);
      out.add_record(REC_RECEIVE, static_cast<uint32_t>(block.size()), r.id);
      out.records.insert(out.records.end(), block.begin(), block.end());
      break;
    }
    default:
      out.add_record(r.kind, 0, 0);
      break;
  }
  c.rights.push_back(std::move(r));
  c.fd_index.push_back(index);
}

void undo_all(Space &s, Carried &c) {
  for (size_t i = c.regions.size(); i-- > 0;) undo_region(s, c.regions[i]);
  for (size_t i = c.rights.size(); i-- > 0;) undo_copyin(s, c.rights[i]);
  c.clear();
}

void destroy_all(Space &s, Carried &c) {
  for (size_t i = c.regions.size(); i-- > 0;) undo_region(s, c.regions[i]);
  for (size_t i = c.rights.size(); i-- > 0;) destroy_carried(s, c.rights[i]);
  c.clear();
}

/** Before dropping the lock mid-send: every borrowed descriptor becomes a private copy. */
bool pin(OutMessage &out, Carried &c, Dest &d) {
  for (size_t i = 0; i < c.rights.size(); i++) {
    CarriedRight &r = c.rights[i];
    if ((r.kind == REC_SEND || r.kind == REC_SEND_ONCE) && !r.fd_owned) {
      int fd = dup_cloexec(r.fd);
      if (fd < 0) return false;
      r.fd = fd;
      r.fd_owned = true;
      r.pinned = true;
      out.fds[c.fd_index[i]] = fd;
    }
  }
  if (!d.pinned) {
    int fd = dup_cloexec(d.fd);
    if (fd < 0) return false;
    d.fd = fd;
    d.pinned = true;
  }
  return true;
}

mach_msg_return_t copyin_body(Space &s, const mach_msg_header_t *msg, mach_msg_size_t send_size, OutMessage &out,
                              Carried &c) {
  const uint8_t *base = reinterpret_cast<const uint8_t *>(msg);
  mach_msg_body_t body;
  memcpy(&body, base + sizeof(mach_msg_header_t), sizeof body);
  size_t p = sizeof(mach_msg_header_t) + sizeof body;
  for (mach_msg_size_t i = 0; i < body.msgh_descriptor_count; i++) {
    if (p + sizeof(mach_msg_port_descriptor_t) > send_size) return MACH_SEND_MSG_TOO_SMALL;
    uint8_t type = base[p + 11];  // every descriptor keeps its type in the last byte of its third word
    switch (type) {
      case MACH_MSG_PORT_DESCRIPTOR: {
        mach_msg_port_descriptor_t d;
        memcpy(&d, base + p, sizeof d);
        if (!MACH_MSG_TYPE_PORT_ANY(d.disposition)) return MACH_SEND_INVALID_TYPE;
        CarriedRight r;
        kern_return_t kr = copyin_right(s, d.name, d.disposition, r);
        if (kr != KERN_SUCCESS) return kr == KERN_RESOURCE_SHORTAGE ? MACH_SEND_NO_BUFFER : MACH_SEND_INVALID_RIGHT;
        add_right(s, out, c, std::move(r));
        d.name = MACH_PORT_NULL;
        d.disposition = received_type(d.disposition);
        memcpy(out.mach.data() + p, &d, sizeof d);
        p += sizeof d;
        break;
      }
      case MACH_MSG_OOL_DESCRIPTOR:
      case MACH_MSG_OOL_VOLATILE_DESCRIPTOR: {
        mach_msg_ool_descriptor_t d;
        if (p + sizeof d > send_size) return MACH_SEND_MSG_TOO_SMALL;
        memcpy(&d, base + p, sizeof d);
        CarriedRegion r;
        mach_msg_return_t mr = copyin_region(s, out, d.address, d.size, d.deallocate, r);
        if (mr != MACH_MSG_SUCCESS) return mr;
        out.add_record(r.kind, r.size, r.value);
        if (r.fd >= 0) out.fds.push_back(r.fd);
        c.regions.push_back(r);
        d.address = nullptr;
        d.deallocate = 0;
        d.type = MACH_MSG_OOL_DESCRIPTOR;
        memcpy(out.mach.data() + p, &d, sizeof d);
        p += sizeof d;
        break;
      }
      case MACH_MSG_OOL_PORTS_DESCRIPTOR: {
        mach_msg_ool_ports_descriptor_t d;
        if (p + sizeof d > send_size) return MACH_SEND_MSG_TOO_SMALL;
        memcpy(&d, base + p, sizeof d);
        if (!MACH_MSG_TYPE_PORT_ANY(d.disposition)) return MACH_SEND_INVALID_TYPE;
        if (d.count > (kMaxDatagram / sizeof(WireRecord)) * 4) return MACH_SEND_TOO_LARGE;
        std::vector<mach_port_name_t> names(d.count);
        if (d.count > 0 && (d.address == nullptr || !safe_copy(names.data(), d.address, d.count * sizeof(mach_port_name_t))))
          return MACH_SEND_INVALID_MEMORY;
        for (mach_port_name_t n : names) {
          CarriedRight r;
          kern_return_t kr = copyin_right(s, n, d.disposition, r);
          if (kr != KERN_SUCCESS) return kr == KERN_RESOURCE_SHORTAGE ? MACH_SEND_NO_BUFFER : MACH_SEND_INVALID_RIGHT;
          add_right(s, out, c, std::move(r));
        }
        if (d.deallocate && d.count > 0) {
          c.arrays_to_free.emplace_back(reinterpret_cast<uintptr_t>(d.address), d.count * sizeof(mach_port_name_t));
        }
        d.address = nullptr;
        d.deallocate = 0;
        d.disposition = received_type(d.disposition);
        memcpy(out.mach.data() + p, &d, sizeof d);
        p += sizeof d;
        break;
      }
      default:
        return MACH_SEND_INVALID_TYPE;
    }
  }
  return MACH_MSG_SUCCESS;
}

}  // namespace

int send_datagram(OutMessage &out, int fd, int return_fd) {
  WireHeader &h = out.header;
  h.magic = kWireMagic;
  h.version = kWireVersion;
  h.mach_size = static_cast<uint32_t>(out.mach.size());
  h.record_bytes = static_cast<uint32_t>(out.records.size());
  h.fd_count = static_cast<uint32_t>(out.fds.size());
  h.inline_bytes = static_cast<uint32_t>(out.inline_data.size());
  size_t body = sizeof h + out.mach.size() + out.inline_data.size();
  bool records_in_aux = body + out.records.size() > kMaxDatagram;
  if (body > kMaxDatagram) return EMSGSIZE;
  bool aux = records_in_aux || out.fds.size() > kMaxFdsPerDatagram;
  size_t main_fds = out.fds.size();
  int aux_fd = -1;
  h.flags &= static_cast<uint16_t>(~(WIRE_AUX | WIRE_RECORDS_IN_AUX | WIRE_RETURN));
  if (aux) {
    main_fds = std::min(out.fds.size(), kMaxFdsPerDatagram - 1);
    int err;
    aux_fd = fill_aux(out, records_in_aux, main_fds, err);
    if (aux_fd < 0) return err;
    h.flags |= WIRE_AUX | (records_in_aux ? WIRE_RECORDS_IN_AUX : 0);
  }
  iovec iov[4];
  size_t n = 0;
  iov[n++] = {&h, sizeof h};
  if (!records_in_aux && !out.records.empty()) iov[n++] = {out.records.data(), out.records.size()};
  iov[n++] = {out.mach.data(), out.mach.size()};
  if (!out.inline_data.empty()) iov[n++] = {out.inline_data.data(), out.inline_data.size()};
  int err;
  if (aux) {
    std::vector<int> fds(out.fds.begin(), out.fds.begin() + static_cast<long>(main_fds));
    fds.push_back(aux_fd);
    err = send_with_fds(fd, iov, n, fds.data(), fds.size());
    close(aux_fd);
  } else if (return_fd >= 0 && out.fds.size() < kMaxFdsPerDatagram) {
    h.flags |= WIRE_RETURN;
    out.fds.push_back(return_fd);
    err = send_with_fds(fd, iov, n, out.fds.data(), out.fds.size());
    out.fds.pop_back();
    if (err != 0) h.flags &= static_cast<uint16_t>(~WIRE_RETURN);
  } else {
    err = send_with_fds(fd, iov, n, out.fds.data(), out.fds.size());
  }
  return err;
}

mach_msg_return_t msg_send(mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t send_size,
                           mach_msg_timeout_t timeout) {
  if (send_size < sizeof(mach_msg_header_t) || (send_size & 3)) return MACH_SEND_MSG_TOO_SMALL;
  if (send_size > kMaxMachSize) return MACH_SEND_TOO_LARGE;
  mach_msg_bits_t bits = msg->msgh_bits & MACH_MSGH_BITS_USER;
  mach_msg_type_name_t dest_disp = MACH_MSGH_BITS_REMOTE(bits);
  mach_msg_type_name_t reply_disp = MACH_MSGH_BITS_LOCAL(bits);
  mach_msg_type_name_t voucher_disp = MACH_MSGH_BITS_VOUCHER(bits);
  if (!MACH_MSG_TYPE_PORT_ANY_SEND(dest_disp)) return MACH_SEND_INVALID_HEADER;
  if (reply_disp == 0 ? msg->msgh_local_port != MACH_PORT_NULL : !MACH_MSG_TYPE_PORT_ANY_SEND(reply_disp))
    return MACH_SEND_INVALID_HEADER;
  if (voucher_disp != 0 && voucher_disp != MACH_MSG_TYPE_MOVE_SEND && voucher_disp != MACH_MSG_TYPE_COPY_SEND)
    return MACH_SEND_INVALID_HEADER;
  if (voucher_disp != 0 && MACH_PORT_VALID(msg->msgh_voucher_port)) return MACH_SEND_INVALID_VOUCHER;
  bool complex = (bits & MACH_MSGH_BITS_COMPLEX) != 0;
  if (complex && send_size < sizeof(mach_msg_base_t)) return MACH_SEND_MSG_TOO_SMALL;
  Deadline dl((option & MACH_SEND_TIMEOUT) != 0, timeout);
  bool interruptible = (option & MACH_SEND_INTERRUPT) != 0;

  Space &s = space();
  Lock lk(s.mu);
  Quiesced quiet;
  if (complex) quiet.scan(s, msg, send_size);
  Dest d;
  // While waiting for room we hold a reference to the port's page (it stays mapped, its room
  // eventfd open) and maybe a token taken from that eventfd, which goes back if we leave with it.
  uint64_t waited_id = 0;
  bool holding_token = false;
  auto stop_waiting = [&] {
    if (waited_id == 0) return;
    auto it = s.pages.find(waited_id);
    if (holding_token && it != s.pages.end() && it->second.page->queued.load() < it->second.page->qlimit.load())
      page_post(it->second.page, it->second.room_fd, 1);
    holding_token = false;
    unref_page(s, waited_id);
    waited_id = 0;
  };
  for (;;) {
    mach_msg_return_t mr = resolve_dest(s, msg->msgh_remote_port, dest_disp, d);
    if (mr != MACH_MSG_SUCCESS) {
      stop_waiting();
      return mr;
    }
    if (d.page == nullptr || page_reserve(d.page)) break;
    // The queue is full: Mach blocks the sender, or times out — unless the port is dead (its
    // receiver may have died without opening the queue).
    if (!d.own) {
      Entry *e = lookup(s, d.name);
      if (e != nullptr && check_dead(s, d.name, *e)) {
        stop_waiting();
        return MACH_SEND_INVALID_DEST;
      }
    }
    if (dl.expired()) {
      stop_waiting();
      return MACH_SEND_TIMED_OUT;
    }
    if (waited_id != d.id) {
      stop_waiting();
      s.pages[d.id].refs++;
      waited_id = d.id;
    }
    QueuePage *page = d.page;
    int room = s.pages[d.id].room_fd;
    page->waiters.fetch_add(1);
    bool room_now = page->queued.load() < page->qlimit.load();
    int probe = d.own || room_now ? -1 : dup_cloexec(d.fd);  // the name may go away while we wait: watch a copy
    lk.unlock();
    int rc = 0, err = 0;
    bool dead = false;
    if (!room_now) {
      pollfd p[2] = {{room, POLLIN, 0}, {probe, 0, 0}};
      rc = poll(p, probe >= 0 ? 2 : 1, dl.wait_ms(-1));
      err = errno;
      if (rc > 0 && (p[0].revents & POLLIN)) holding_token = page_take(page, room);
      dead = rc > 0 && probe >= 0 && (p[1].revents & (POLLHUP | POLLERR));
    }
    page->waiters.fetch_sub(1);
    close_fd(probe);
    // Woken by a freed slot: let a runnable receiver drain further before we fill the queue again, or
    // on one CPU the two processes would switch for every message (Mach's semantics are unchanged).
    if (holding_token) sched_yield();
    lk.lock();
    if (dead) {
      stop_waiting();
      mark_dest_dead(s, d);
      return MACH_SEND_INVALID_DEST;
    }
    if (rc < 0 && err == EINTR && interruptible) {
      stop_waiting();
      return MACH_SEND_INTERRUPTED;
    }
  }
  holding_token = false;  // the slot we reserved is the one the token stood for
  stop_waiting();
  QueuePage *reserved = d.page;
  if (reserved != nullptr) s.pages[d.id].refs++;  // the slot is given back through this mapping
  auto release = [&] {
    if (reserved != nullptr) {
      page_release(reserved, page_room_fd(s, d.id));
      unref_page(s, d.id);
      reserved = nullptr;
    }
  };

  OutMessage &out = t_out;
  Carried &c = t_carried;
  out.clear();
  c.clear();
  out.mach.assign(reinterpret_cast<uint8_t *>(msg), reinterpret_cast<uint8_t *>(msg) + send_size);
  mach_msg_type_name_t reply_type = 0;
  if (reply_disp != 0) {
    CarriedRight r;
    kern_return_t kr = copyin_right(s, msg->msgh_local_port, reply_disp, r, d.id);
    if (kr != KERN_SUCCESS) {
      release();
      return kr == KERN_RESOURCE_SHORTAGE ? MACH_SEND_NO_BUFFER : MACH_SEND_INVALID_REPLY;
    }
    reply_type = received_type(reply_disp);
    add_right(s, out, c, std::move(r));
  }
  if (complex) {
    mach_msg_return_t mr = copyin_body(s, msg, send_size, out, c);
    if (mr != MACH_MSG_SUCCESS) {
      destroy_all(s, c);
      release();
      return mr;
    }
  }
  mach_msg_header_t wh;
  memcpy(&wh, out.mach.data(), sizeof wh);
  wh.msgh_bits = MACH_MSGH_BITS(reply_type, d.send_once ? MACH_MSG_TYPE_PORT_SEND_ONCE : MACH_MSG_TYPE_PORT_SEND) |
                 (complex ? MACH_MSGH_BITS_COMPLEX : 0);
  wh.msgh_size = send_size;
  wh.msgh_remote_port = wh.msgh_local_port = wh.msgh_voucher_port = MACH_PORT_NULL;
  memcpy(out.mach.data(), &wh, sizeof wh);
  out.header.flags = reserved != nullptr ? WIRE_COUNTED : 0;

  // A send-once right used up: its sending end goes back to the port's receiver for reuse.
  bool give_back = d.disp == MACH_MSG_TYPE_MOVE_SEND_ONCE;
  for (;;) {
    int err = send_datagram(out, d.fd, give_back ? d.fd : -1);
    if (err == 0) break;
    if (err == EAGAIN && !dl.expired()) {
      // The family's socket buffer is full (bytes, not messages): wait for room without the lock.
      if (!pin(out, c, d)) {
        undo_all(s, c);
        release();
        if (d.pinned) close_fd(d.fd);
        return MACH_SEND_NO_BUFFER;
      }
      pollfd p{d.fd, POLLOUT, 0};
      lk.unlock();
      int rc = poll(&p, 1, dl.wait_ms(-1));
      int perr = errno;
      lk.lock();
      if (rc < 0 && perr == EINTR && interruptible) {
        undo_all(s, c);
        release();
        close_fd(d.fd);
        return MACH_SEND_INTERRUPTED;
      }
      continue;
    }
    undo_all(s, c);
    release();
    if (d.pinned) close_fd(d.fd);
    switch (err) {
      case EAGAIN:
        return MACH_SEND_TIMED_OUT;
      case EPIPE:
      case ECONNRESET:
      case ECONNREFUSED:
      case ENOTCONN:
        mark_dest_dead(s, d);
        return MACH_SEND_INVALID_DEST;
      case EMSGSIZE:
        return MACH_SEND_TOO_LARGE;
      case EFAULT:
        return MACH_SEND_INVALID_MEMORY;
      default:
        return MACH_SEND_NO_BUFFER;
    }
  }
  if (reserved != nullptr) {
    unref_page(s, d.id);  // the receiver gives the slot back now
    reserved = nullptr;
  }
  for (CarriedRight &r : c.rights) commit_sent(s, r);
  for (CarriedRegion &r : c.regions) commit_region(s, r);
  for (auto &a : c.arrays_to_free) region_deallocate(s, a.first, a.second);
  commit_dest(s, d);
  if (d.pinned) close_fd(d.fd);
  c.clear();
  return MACH_MSG_SUCCESS;
}

}  // namespace tsmig::lx
