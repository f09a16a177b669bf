// Linux emulation: the receive half of mach_msg. Waits on the port's (or
// port set's) epoll without the lock, then under the lock takes one datagram
// from a ready family, checks every byte of it before trusting it (a
// malformed datagram is destroyed with everything it carried, and counted),
// installs the rights and maps the regions it carries (copyout), and appends
// the trailer Mach would (sequence number, the kernel-stamped sender
// credentials as security and audit tokens, the port's context). A family
// that reached EOF unused is a send-once right that died: the receiver gets
// Mach's send-once notification in its place.

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>

#include "internal.h"

namespace tsmig::lx {

namespace {

constexpr size_t kControlBytes = CMSG_SPACE(sizeof(int) * kMaxFdsPerDatagram) + CMSG_SPACE(sizeof(ucred)) + 64;

struct RecvBuffers {
  std::unique_ptr<uint8_t[]> data;
  alignas(cmsghdr) char control[kControlBytes];
};
thread_local std::unique_ptr<RecvBuffers> t_rb;

RecvBuffers &buffers() {
  if (!t_rb) {
    t_rb = std::make_unique<RecvBuffers>();
    t_rb->data.reset(new uint8_t[kMaxDatagram]);
  }
  return *t_rb;
}

int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/** One datagram as received: its bytes, its descriptors, its sender. */
struct Incoming {
  const uint8_t *data = nullptr;
  size_t len = 0;
  std::vector<int> fds;
  bool fds_lost = false;  // the kernel dropped descriptors (this process is at its descriptor limit)
  bool truncated = false;
  bool have_creds = false;
  ucred creds{};
  std::vector<uint8_t> aux_records;
  bool aux_done = false;       // a stashed message: its auxiliary socket was read already
  bool slot_released = false;  // a stashed message: its queue-limit slot was given back already
  void close_all() {
    for (int fd : fds) close_fd(fd);
    fds.clear();
  }
};

void collect_control(msghdr &msg, Incoming &in) {
  for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == SCM_RIGHTS) {
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        in.fds.push_back(fd);
      }
    } else if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
      memcpy(&in.creds, CMSG_DATA(c), sizeof(ucred));
      in.have_creds = true;
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) in.fds_lost = true;
}

/**
 * Takes the descriptor a datagram sent on a send-once right gives back
 * (WIRE_RETURN: one more than the records own, last, and no auxiliary
 * socket). Returns it, or -1 when there is none or the counts do not add up
 * (the kernel dropped descriptors, or a forged header: then validation sees
 * the mismatch and destroys everything).
 */
int take_returned(Incoming &in) {
  WireHeader h;
  if (in.len < sizeof h) return -1;
  memcpy(&h, in.data, sizeof h);
  if (h.magic != kWireMagic || !(h.flags & WIRE_RETURN) || (h.flags & WIRE_AUX) || in.fds_lost) return -1;
  if (in.fds.size() != static_cast<size_t>(h.fd_count) + 1) return -1;
  int fd = in.fds.back();
  in.fds.pop_back();
  return fd;
}

/** Reads the auxiliary socket to its end: more records and descriptors of the same message. */
bool read_aux(int aux, bool want_records, Incoming &in) {
  std::unique_ptr<uint8_t[]> chunk(new uint8_t[64 * 1024 + 1]);
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerDatagram)];
  bool ok = true;
  for (;;) {
    iovec iov{chunk.get(), 64 * 1024 + 1};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(aux, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n == 0) break;
    if (n < 0) {
      ok = false;  // the sender closed its end before sending: everything must already be queued
      break;
    }
    collect_control(msg, in);
    if (chunk[0] == 'R' && want_records) {
      in.aux_records.insert(in.aux_records.end(), chunk.get() + 1, chunk.get() + n);
    } else if (chunk[0] != 'F' || n != 1) {
      ok = false;
    }
  }
  close(aux);
  return ok;
}

/** A record walked in message order, with where its descriptors start. */
struct Item {
  const WireRecord *rec;
  const uint8_t *block;  // receive-right state
  size_t fd_at;
  size_t fd_count;
};

enum class Outcome { Nothing, Delivered };

struct ReceiveCall {
  Space &s;
  mach_msg_header_t *buf;
  mach_msg_option_t option;
  mach_msg_size_t rcv_size;
  mach_msg_size_t trailer_size;
  mach_msg_return_t result = MACH_MSG_SUCCESS;
};

void write_trailer(ReceiveCall &call, ReceivePort &rp, size_t mach_size, bool kernel, const Incoming *in) {
  mach_msg_max_trailer_t t{};
  t.msgh_trailer_type = MACH_MSG_TRAILER_FORMAT_0;
  t.msgh_trailer_size = call.trailer_size;
  t.msgh_seqno = rp.seqno++;
  if (kernel) {
    t.msgh_sender.val[1] = 1;  // the kernel's security token; its audit token is all zeros
  } else if (in != nullptr && in->have_creds) {
    // The kernel stamped these on the datagram (SCM_CREDENTIALS): a sender cannot claim another pid.
    t.msgh_sender.val[0] = in->creds.uid;
    t.msgh_sender.val[1] = in->creds.gid;
    t.msgh_audit.val[0] = in->creds.uid;
    t.msgh_audit.val[1] = in->creds.uid;
    t.msgh_audit.val[2] = in->creds.gid;
    t.msgh_audit.val[3] = in->creds.uid;
    t.msgh_audit.val[4] = in->creds.gid;
    t.msgh_audit.val[5] = static_cast<unsigned>(in->creds.pid);
  } else {
    // No credentials (a socket without SO_PASSCRED): nobody in particular.
    for (unsigned &v : t.msgh_sender.val) v = ~0u;
    for (unsigned &v : t.msgh_audit.val) v = ~0u;
  }
  t.msgh_context = rp.context;
  memcpy(reinterpret_cast<uint8_t *>(call.buf) + mach_size, &t, call.trailer_size);
}

/** The family reached EOF: a send-once right died unused (notification) or a family ended. */
Outcome family_eof(ReceiveCall &call, ReceivePort &rp, mach_port_name_t port_name, uint64_t token) {
  Family &f = rp.families[token];
  if (f.kind != FamilyKind::SendOnce) {
    bool send = f.kind == FamilyKind::Send;
    close_family(call.s, rp, token);
    if (send) check_no_senders(call.s, rp);
    return Outcome::Nothing;
  }
  size_t size = sizeof(mach_msg_header_t);
  if (call.rcv_size < size + call.trailer_size) {
    if (call.rcv_size >= 8) call.buf->msgh_size = static_cast<mach_msg_size_t>(size);
    if (!(call.option & MACH_RCV_LARGE)) close_family(call.s, rp, token);  // destroyed, as Mach does
    call.result = MACH_RCV_TOO_LARGE;
    return Outcome::Delivered;
  }
  close_family(call.s, rp, token);
  mach_msg_header_t h{};
  h.msgh_bits = MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE);
  h.msgh_size = static_cast<mach_msg_size_t>(size);
  h.msgh_local_port = port_name;
  h.msgh_id = MACH_NOTIFY_SEND_ONCE;
  memcpy(call.buf, &h, sizeof h);
  write_trailer(call, rp, size, true, nullptr);
  call.result = MACH_MSG_SUCCESS;
  return Outcome::Delivered;
}

/**
 * Checks a datagram completely (header, sizes, records against the message's
 * own descriptors, descriptor counts) and lists its records in message order.
 */
bool validate(const WireHeader &h, const uint8_t *records, const uint8_t *mach, const Incoming &in, size_t fds_available,
              std::vector<Item> &items, size_t &fds_needed) {
  if (h.mach_size < sizeof(mach_msg_header_t) || h.mach_size > kMaxMachSize || (h.mach_size & 3)) return false;
  mach_msg_header_t mh;
  memcpy(&mh, mach, sizeof mh);
  if (mh.msgh_size != h.mach_size) return false;
  if (mh.msgh_bits & ~(MACH_MSGH_BITS_REMOTE_MASK | MACH_MSGH_BITS_LOCAL_MASK | MACH_MSGH_BITS_COMPLEX)) return false;
  mach_msg_type_name_t reply = MACH_MSGH_BITS_REMOTE(mh.msgh_bits);
  mach_msg_type_name_t dest = MACH_MSGH_BITS_LOCAL(mh.msgh_bits);
  if (dest != MACH_MSG_TYPE_PORT_SEND && dest != MACH_MSG_TYPE_PORT_SEND_ONCE) return false;
  if (reply != 0 && reply != MACH_MSG_TYPE_PORT_SEND && reply != MACH_MSG_TYPE_PORT_SEND_ONCE) return false;
  size_t rp = 0, rcount = 0, fd_at = 0;
  auto next = [&](mach_msg_type_name_t type, bool memory, Item &it) -> bool {
    if (rp + sizeof(WireRecord) > h.record_bytes || rcount >= h.record_count) return false;
    it.rec = reinterpret_cast<const WireRecord *>(records + rp);
    it.block = nullptr;
    it.fd_at = fd_at;
    it.fd_count = 0;
    rp += sizeof(WireRecord);
    rcount++;
    WireRecord r;
    memcpy(&r, it.rec, sizeof r);
    if (memory) {
      switch (r.kind) {
        case REC_OOL_EMPTY:
          return r.size == 0;
        case REC_OOL_INLINE:
          return r.value <= h.inline_bytes && r.size <= h.inline_bytes - r.value && r.size > 0;
        case REC_OOL_MEMFD:
        case REC_OOL_SEALED:
          it.fd_count = 1;
          break;
        default:
          return false;
      }
    } else {
      switch (r.kind) {
        case REC_NULL:
        case REC_DEAD:
          return true;
        case REC_SEND:
          if (type != MACH_MSG_TYPE_PORT_SEND) return false;
          it.fd_count = 1;
          break;
        case REC_SEND_ONCE:
          if (type != MACH_MSG_TYPE_PORT_SEND_ONCE) return false;
          it.fd_count = 1;
          break;
        case REC_RECEIVE: {
          if (type != MACH_MSG_TYPE_PORT_RECEIVE || r.size > h.record_bytes - rp) return false;
          it.block = records + rp;
          if (!receive_state_fds(it.block, r.size, it.fd_count)) return false;
          rp += r.size;
          break;
        }
        default:
          return false;
      }
    }
    fd_at += it.fd_count;
    return true;
  };
  Item it;
  if (reply != 0) {
    if (!next(reply, false, it)) return false;
    items.push_back(it);
  }
  if (mh.msgh_bits & MACH_MSGH_BITS_COMPLEX) {
    if (h.mach_size < sizeof(mach_msg_base_t)) return false;
    mach_msg_body_t body;
    memcpy(&body, mach + sizeof mh, sizeof body);
    size_t p = sizeof(mach_msg_base_t);
    for (uint32_t i = 0; i < body.msgh_descriptor_count; i++) {
      if (p + sizeof(mach_msg_port_descriptor_t) > h.mach_size) return false;
      uint8_t type = mach[p + 11];
      if (type == MACH_MSG_PORT_DESCRIPTOR) {
        mach_msg_port_descriptor_t d;
        memcpy(&d, mach + p, sizeof d);
        if (d.name != MACH_PORT_NULL || !next(d.disposition, false, it)) return false;
        items.push_back(it);
        p += sizeof d;
      } else if (type == MACH_MSG_OOL_DESCRIPTOR) {
        mach_msg_ool_descriptor_t d;
        if (p + sizeof d > h.mach_size) return false;
        memcpy(&d, mach + p, sizeof d);
        if (d.address != nullptr || !next(0, true, it)) return false;
        if (it.rec->size != d.size) return false;
        items.push_back(it);
        p += sizeof d;
      } else if (type == MACH_MSG_OOL_PORTS_DESCRIPTOR) {
        mach_msg_ool_ports_descriptor_t d;
        if (p + sizeof d > h.mach_size) return false;
        memcpy(&d, mach + p, sizeof d);
        if (d.address != nullptr) return false;
        for (uint32_t k = 0; k < d.count; k++) {
          if (!next(d.disposition, false, it)) return false;
          items.push_back(it);
        }
        p += sizeof d;
      } else {
        return false;
      }
    }
  }
  if (rp != h.record_bytes || rcount != h.record_count) return false;
  if (fd_at != h.fd_count) return false;
  // Every descriptor announced must be here, unless the kernel dropped some for lack of room.
  if (fds_available > fd_at || (fds_available < fd_at && !in.fds_lost)) return false;
  fds_needed = fd_at;
  return true;
}

bool is_wake(const Incoming &in) {
  WireHeader h;
  if (in.len != sizeof h || !in.fds.empty()) return false;
  memcpy(&h, in.data, sizeof h);
  return h.magic == kWireMagic && (h.flags & WIRE_WAKE) != 0;
}

/** Copies a checked datagram into the caller's buffer, installing what it carries. */
Outcome deliver(ReceiveCall &call, ReceivePort &rp, mach_port_name_t port_name, Incoming &in) {
  Space &s = call.s;
  if (is_wake(in)) return Outcome::Nothing;  // only meant to wake a thread blocked on the family
  WireHeader h;
  bool ok = in.len >= sizeof h && !in.truncated;
  if (ok) memcpy(&h, in.data, sizeof h);
  ok = ok && h.magic == kWireMagic && h.version == kWireVersion;
  if (ok && (h.flags & WIRE_COUNTED) && rp.page != nullptr && !in.slot_released) {
    page_release(rp.page, rp.room_fd);  // the slot is free again
    in.slot_released = true;
  }
  bool records_in_aux = ok && (h.flags & WIRE_RECORDS_IN_AUX);
  ok = ok && in.len == sizeof h + (records_in_aux ? 0 : h.record_bytes) + h.mach_size + h.inline_bytes;
  if (ok && (h.flags & WIRE_AUX)) {
    if (!in.aux_done) {
      // The auxiliary socket is the last descriptor of the control message.
      if (in.fds.empty() || in.fds_lost) {
        ok = false;
      } else {
        int aux = in.fds.back();
        in.fds.pop_back();
        ok = read_aux(aux, records_in_aux, in);
        in.aux_done = true;
      }
    }
    if (ok && records_in_aux && in.aux_records.size() != h.record_bytes) ok = false;
  } else if (ok && records_in_aux) {
    ok = false;
  }
  std::vector<Item> items;
  size_t fds_needed = 0;
  const uint8_t *records = nullptr, *mach = nullptr, *inline_data = nullptr;
  if (ok) {
    records = records_in_aux ? in.aux_records.data() : in.data + sizeof h;
    mach = in.data + sizeof h + (records_in_aux ? 0 : h.record_bytes);
    inline_data = mach + h.mach_size;
    ok = validate(h, records, mach, in, in.fds.size(), items, fds_needed);
  }
  if (!ok) {
    // Malformed: destroy what it carried and go on receiving.
    in.close_all();
    s.rejected++;
    return Outcome::Nothing;
  }
  size_t mach_size = h.mach_size;
  if (call.rcv_size < mach_size + call.trailer_size) {
    if (call.rcv_size >= 8) call.buf->msgh_size = static_cast<mach_msg_size_t>(mach_size);
    call.result = MACH_RCV_TOO_LARGE;
    if (call.option & MACH_RCV_LARGE) {
      // It stays at the head of the queue, with everything it carries, for a larger receive.
      if ((call.option & MACH_RCV_LARGE_IDENTITY) && call.rcv_size >= 16) call.buf->msgh_local_port = port_name;
      auto st = std::make_unique<Stash>();
      st->data.assign(in.data, in.data + in.len);
      st->aux_records = std::move(in.aux_records);
      st->aux_read = in.aux_done;
      st->slot_released = in.slot_released;
      st->fds = std::move(in.fds);
      st->fds_lost = in.fds_lost;
      st->have_creds = in.have_creds;
      st->pid = in.creds.pid;
      st->uid = in.creds.uid;
      st->gid = in.creds.gid;
      set_stash(s, rp, std::move(st));
      in.fds.clear();
    } else {
      in.close_all();  // without MACH_RCV_LARGE the message is destroyed, as Mach does
    }
    return Outcome::Delivered;
  }
  uint8_t *out = reinterpret_cast<uint8_t *>(call.buf);
  memcpy(out, mach, mach_size);
  mach_msg_header_t *mh = call.buf;
  mh->msgh_local_port = port_name;
  mh->msgh_remote_port = MACH_PORT_NULL;
  mh->msgh_voucher_port = MACH_PORT_NULL;
  mach_msg_return_t header_error = MACH_MSG_SUCCESS, body_error = MACH_MSG_SUCCESS;
  size_t next_item = 0;
  auto fd_of = [&](const Item &it, size_t k) { return it.fd_at + k < in.fds.size() ? in.fds[it.fd_at + k] : -1; };
  auto install_item = [&](const Item &it) -> mach_port_name_t {
    WireRecord r;
    memcpy(&r, it.rec, sizeof r);
    CarriedRight c;
    c.kind = r.kind;
    c.id = r.value;
    kern_return_t kr = KERN_SUCCESS;
    if (r.kind == REC_SEND || r.kind == REC_SEND_ONCE) {
      c.fd = fd_of(it, 0);
      c.fd_owned = true;
      if (c.fd < 0) return MACH_PORT_DEAD;  // lost on the way: the right is destroyed
    } else if (r.kind == REC_RECEIVE) {
      std::vector<int> fds(it.fd_count);
      for (size_t k = 0; k < it.fd_count; k++) fds[k] = fd_of(it, k);
      c.recv = adopt_receive(s, r.value, it.block, r.size, fds.data(), kr);
      if (!c.recv) return MACH_PORT_DEAD;
    }
    return install_right(s, c, kr);
  };
  if (MACH_MSGH_BITS_REMOTE(mh->msgh_bits) != 0) {
    mach_port_name_t n = install_item(items[next_item++]);
    if (n == MACH_PORT_DEAD && items[next_item - 1].rec->kind != REC_DEAD) header_error = MACH_RCV_HEADER_ERROR;
    mh->msgh_remote_port = n;
  }
  if (mh->msgh_bits & MACH_MSGH_BITS_COMPLEX) {
    mach_msg_body_t body;
    memcpy(&body, out + sizeof(mach_msg_header_t), sizeof body);
    size_t p = sizeof(mach_msg_base_t);
    for (uint32_t i = 0; i < body.msgh_descriptor_count; i++) {
      uint8_t type = out[p + 11];
      if (type == MACH_MSG_PORT_DESCRIPTOR) {
        mach_msg_port_descriptor_t d;
        memcpy(&d, out + p, sizeof d);
        const Item &it = items[next_item++];
        d.name = install_item(it);
        if (d.name == MACH_PORT_DEAD && it.rec->kind != REC_DEAD) body_error = MACH_RCV_BODY_ERROR;
        memcpy(out + p, &d, sizeof d);
        p += sizeof d;
      } else if (type == MACH_MSG_OOL_DESCRIPTOR) {
        mach_msg_ool_descriptor_t d;
        memcpy(&d, out + p, sizeof d);
        const Item &it = items[next_item++];
        WireRecord r;
        memcpy(&r, it.rec, sizeof r);
        uintptr_t addr = 0;
        int fd = it.fd_count ? fd_of(it, 0) : -1;
        if ((it.fd_count && fd < 0) ||
            receive_region(s, r.kind, r.size, r.value, fd, inline_data + (r.kind == REC_OOL_INLINE ? r.value : 0),
                           addr) != KERN_SUCCESS) {
          body_error = MACH_RCV_BODY_ERROR;
          addr = 0;
          d.size = 0;
        }
        d.address = reinterpret_cast<void *>(addr);
        d.deallocate = d.copy == MACH_MSG_VIRTUAL_COPY;
        memcpy(out + p, &d, sizeof d);
        p += sizeof d;
      } else {
        mach_msg_ool_ports_descriptor_t d;
        memcpy(&d, out + p, sizeof d);
        uintptr_t addr = 0;
        size_t bytes = static_cast<size_t>(d.count) * sizeof(mach_port_name_t);
        if (d.count > 0 && region_allocate(s, bytes, addr, false) != KERN_SUCCESS) addr = 0;
        for (uint32_t k = 0; k < d.count; k++) {
          const Item &it = items[next_item++];
          mach_port_name_t n = install_item(it);
          if (n == MACH_PORT_DEAD && it.rec->kind != REC_DEAD) body_error = MACH_RCV_BODY_ERROR;
          if (addr != 0) memcpy(reinterpret_cast<void *>(addr + k * sizeof n), &n, sizeof n);
        }
        if (d.count > 0 && addr == 0) {
          // No memory for the names: the rights are gone (we cannot hand them over), as Mach would.
          body_error = MACH_RCV_BODY_ERROR;
          d.count = 0;
        }
        d.address = reinterpret_cast<void *>(addr);
        d.deallocate = d.count > 0;
        memcpy(out + p, &d, sizeof d);
        p += sizeof d;
      }
    }
  }
  write_trailer(call, rp, mach_size, (h.flags & WIRE_KERNEL) != 0, &in);
  if (in.fds_lost) body_error = MACH_RCV_BODY_ERROR;
  call.result = header_error != MACH_MSG_SUCCESS ? (header_error | MACH_MSG_IPC_SPACE)
                : body_error != MACH_MSG_SUCCESS ? (body_error | MACH_MSG_IPC_SPACE)
                                                 : MACH_MSG_SUCCESS;
  in.fds.clear();
  return Outcome::Delivered;
}

/** Takes at most one message from one family of `rp` (lock held, never blocks). */
Outcome try_family(ReceiveCall &call, ReceivePort &rp, mach_port_name_t port_name, uint64_t token) {
  auto it = rp.families.find(token);
  if (it == rp.families.end()) return Outcome::Nothing;
  int fd = it->second.fd;
  FamilyKind kind = it->second.kind;
  RecvBuffers &rb = buffers();
  Incoming in;
  iovec iov{rb.data.get(), kMaxDatagram};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = rb.control;
  msg.msg_controllen = sizeof rb.control;
  ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n < 0) return Outcome::Nothing;
  collect_control(msg, in);
  if (n == 0 && in.fds.empty()) {
    // EOF, or an empty datagram (only a foreign sender makes those).
    pollfd p{fd, POLLRDHUP, 0};
    if (poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP))) return family_eof(call, rp, port_name, token);
    call.s.rejected++;
    return Outcome::Nothing;
  }
  in.data = rb.data.get();
  in.len = static_cast<size_t>(n);
  in.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  int returned = in.truncated ? -1 : take_returned(in);
  if (kind == FamilyKind::SendOnce) {
    if (it->second.idle_send >= 0) {
      // At rest nobody holds its sending end but us: only a copy kept against the rules sends here.
      close_fd(returned);
      in.close_all();
      call.s.rejected++;
      close_family(call.s, rp, token);
      return Outcome::Nothing;
    }
    // A send-once family carries exactly one message: it is done now, or rests for reuse.
    if (returned >= 0) {
      rest_once(call.s, rp, token, returned);
    } else {
      close_family(call.s, rp, token);
    }
  } else {
    close_fd(returned);
  }
  return deliver(call, rp, port_name, in);
}

/** Delivers the port's stashed message (it is the head of the queue). */
Outcome deliver_stash(ReceiveCall &call, ReceivePort &rp, mach_port_name_t port_name) {
  std::unique_ptr<Stash> st = take_stash(call.s, rp);
  if (!st) return Outcome::Nothing;
  Incoming in;
  in.data = st->data.data();
  in.len = st->data.size();
  in.fds = std::move(st->fds);
  in.aux_records = std::move(st->aux_records);
  in.aux_done = st->aux_read;
  in.slot_released = st->slot_released;
  in.fds_lost = st->fds_lost;
  in.have_creds = st->have_creds;
  in.creds.pid = st->pid;
  in.creds.uid = st->uid;
  in.creds.gid = st->gid;
  return deliver(call, rp, port_name, in);
}

/** Looks for a message on `rp` without blocking: drains ready families until one delivers. */
Outcome poll_port(ReceiveCall &call, ReceivePort &rp, mach_port_name_t port_name, const epoll_event *evs, int n) {
  if (rp.stash) return deliver_stash(call, rp, port_name);  // the head of the queue comes first
  for (int i = 0; i < n; i++) {
    uint64_t token = evs[i].data.u64;
    if (token == 0 || token == kStashToken) continue;
    if (try_family(call, rp, port_name, token) == Outcome::Delivered) return Outcome::Delivered;
  }
  return Outcome::Nothing;
}

bool can_receive_directly(const ReceivePort &rp) {
  return rp.state == PortState::Live && rp.no_direct == 0 && !rp.stash && !rp.woken && rp.pset == MACH_PORT_NULL &&
         rp.home_token != 0 && active_families(rp) == 1;
}

/**
 * The fast path of a blocking receive on a port whose only family is home:
 * one recvmsg, no epoll_wait. Whatever could make that wrong (a new family,
 * a stash, a set, a move, destruction) first wakes us with a wake datagram.
 */
Outcome receive_directly(ReceiveCall &call, Lock &lk, const std::shared_ptr<ReceivePort> &rp,
                         mach_port_name_t port_name) {
  Space &s = call.s;
  uint64_t token = rp->home_token;
  int fd = rp->families[token].fd;
  RecvBuffers &rb = buffers();
  Incoming in;
  iovec iov{rb.data.get(), kMaxDatagram};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = rb.control;
  msg.msg_controllen = sizeof rb.control;
  rp->direct++;
  lk.unlock();
  ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  int err = errno;
  lk.lock();
  if (--rp->direct == 0) {
    for (int d : rp->deferred_close) close_fd(d);
    rp->deferred_close.clear();
    s.direct_cv.notify_all();
  }
  if (n < 0) {
    if (err == EINTR && (call.option & MACH_RCV_INTERRUPT)) {
      call.result = MACH_RCV_INTERRUPTED;
      return Outcome::Delivered;
    }
    return Outcome::Nothing;
  }
  collect_control(msg, in);
  in.data = rb.data.get();
  in.len = static_cast<size_t>(n);
  in.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  if (is_wake(in)) return Outcome::Nothing;
  if (!in.truncated) close_fd(take_returned(in));  // not sent on a send-once right: nothing to give back
  if (rp->state == PortState::Gone) {
    in.close_all();  // destroyed with the port
    return Outcome::Nothing;
  }
  if (rp->state == PortState::InTransit) {
    // Taken just as the right started to leave: it stays the head of the queue and goes along.
    if (n > 0 || !in.fds.empty()) {
      auto st = std::make_unique<Stash>();
      st->data.assign(in.data, in.data + in.len);
      st->fds = std::move(in.fds);
      st->fds_lost = in.fds_lost;
      st->have_creds = in.have_creds;
      st->pid = in.creds.pid;
      st->uid = in.creds.uid;
      st->gid = in.creds.gid;
      set_stash(s, *rp, std::move(st));
    }
    return Outcome::Nothing;
  }
  if (n == 0 && in.fds.empty()) {
    // The family was retired from home meanwhile and lost its senders.
    if (rp->families.count(token) == 0) return Outcome::Nothing;
    pollfd p{fd, POLLRDHUP, 0};
    if (poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP))) return family_eof(call, *rp, port_name, token);
    s.rejected++;
    return Outcome::Nothing;
  }
  return deliver(call, *rp, port_name, in);
}

}  // namespace

mach_msg_return_t msg_receive(mach_msg_header_t *buf, mach_msg_option_t option, mach_msg_size_t rcv_size,
                              mach_port_name_t rcv_name, mach_msg_timeout_t timeout) {
  if (((option >> 28) & 0xf) != MACH_MSG_TRAILER_FORMAT_0) return MACH_RCV_INVALID_TRAILER;
  Space &s = space();
  ReceiveCall call{s, buf, option, rcv_size, REQUESTED_TRAILER_SIZE(option)};
  bool finite = (option & MACH_RCV_TIMEOUT) != 0;
  int64_t end = finite ? now_ns() + static_cast<int64_t>(timeout) * 1000000 : 0;
  Lock lk(s.mu);
  Entry *e = lookup(s, rcv_name);
  if (e == nullptr || !(e->rights & (MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_PORT_SET))) return MACH_RCV_INVALID_NAME;
  std::shared_ptr<ReceivePort> rp = e->recv;
  std::shared_ptr<PortSet> ps = e->pset;
  int epfd = rp ? rp->epfd : ps->epfd;
  epoll_event evs[16];
  if (rp && finite && timeout == 0 && rp->state == PortState::Live && !rp->stash && active_families(*rp) == 1) {
    // A zero-timeout receive on a port with one family that can deliver — an event loop told the
    // port is readable, with one sender — needs no epoll_wait: one recvmsg that does not wait.
    uint64_t token = 0;
    for (auto &kv : rp->families) {
      if (kv.second.idle_send < 0) token = kv.first;
    }
    if (try_family(call, *rp, rcv_name, token) == Outcome::Delivered) return call.result;
  }
  for (;;) {
    if (rp && !finite && can_receive_directly(*rp)) {
      if (receive_directly(call, lk, rp, rcv_name) == Outcome::Delivered) return call.result;
      if (rp->state == PortState::Gone) return MACH_RCV_PORT_DIED;
      if (rp->state == PortState::InTransit) return MACH_RCV_PORT_CHANGED;
      continue;
    }
    int wait_ms = -1;
    if (finite) {
      int64_t left = (end - now_ns() + 999999) / 1000000;
      wait_ms = left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, INT_MAX));
    }
    lk.unlock();
    int n = epoll_wait(epfd, evs, 16, wait_ms);
    int err = errno;
    lk.lock();
    if (n < 0) {
      if (err == EINTR && (option & MACH_RCV_INTERRUPT)) return MACH_RCV_INTERRUPTED;
      if (err != EINTR) return MACH_RCV_INVALID_NAME;
      continue;
    }
    if (rp) {
      if (rp->state == PortState::Gone) return MACH_RCV_PORT_DIED;
      if (rp->state == PortState::InTransit) return MACH_RCV_PORT_CHANGED;
      if (poll_port(call, *rp, rcv_name, evs, n) == Outcome::Delivered) return call.result;
    } else {
      if (ps->state == PortState::Gone) return MACH_RCV_PORT_DIED;
      for (int i = 0; i < n; i++) {
        if (evs[i].data.u64 == 0) continue;
        mach_port_name_t member = receive_name(s, evs[i].data.u64);
        if (member == MACH_PORT_NULL) continue;
        std::shared_ptr<ReceivePort> m = lookup(s, member)->recv;
        if (m->pset != rcv_name || m->state != PortState::Live) continue;
        epoll_event inner[16];
        int k = epoll_wait(m->epfd, inner, 16, 0);
        if (k > 0 && poll_port(call, *m, member, inner, k) == Outcome::Delivered) return call.result;
      }
    }
    if (n == 0 && finite && now_ns() >= end) return MACH_RCV_TIMED_OUT;
    if (finite && wait_ms == 0 && n == 0) return MACH_RCV_TIMED_OUT;
  }
}

}  // namespace tsmig::lx
