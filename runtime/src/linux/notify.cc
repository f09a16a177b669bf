// Linux emulation: notifications. Requests are kept where Mach keeps them
// (dead-name on the name, no-senders and port-destroyed on the receive right,
// travelling with it), each holding a send-once right to the notify port.
// Events that happen while nobody calls into the library — a sending end's
// port died (EPOLLHUP), a family lost its last sender (EPOLLRDHUP) — are
// watched by one lazily started monitor thread per process, blocked in
// epoll_wait (an idle process uses no CPU). Notifications are sent exactly as
// Mach's kernel would: the message, on the notify send-once right.

#include <sys/epoll.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "internal.h"

namespace tsmig::lx {

namespace {

void monitor_main(int epfd) {
  epoll_event evs[32];
  for (;;) {
    int n = epoll_wait(epfd, evs, 32, -1);
    if (n < 0) continue;  // EINTR
    Space &s = space();
    Lock lk(s.mu);
    if (s.monitor.epfd != epfd) return;  // a forked child reset the space; this thread is not in it anyway
    for (int i = 0; i < n; i++) {
      uint64_t token = evs[i].data.u64;
      auto it = s.monitor.regs.find(token);
      if (it == s.monitor.regs.end()) continue;
      MonitorReg reg = it->second;
      if (reg.kind == MonitorReg::DeadName) {
        Entry *e = lookup(s, reg.name);
        if (e == nullptr || e->dn_token != token) continue;
        monitor_unwatch_dead_name(s, *e);
        if (!check_dead(s, reg.name, *e) && e->dn_fd >= 0 && e->fd >= 0) {
          monitor_watch_dead_name(s, reg.name, *e);  // not dead after all: watch again
        }
      } else {
        mach_port_name_t name = receive_name(s, reg.port_id);
        if (name == MACH_PORT_NULL) continue;
        ReceivePort &rp = *lookup(s, name)->recv;
        auto f = rp.families.find(reg.family_token);
        if (f == rp.families.end() || f->second.monitor_token != token) continue;
        monitor_unwatch_family(s, f->second);
        f->second.senders_gone = true;
        check_no_senders(s, rp);
      }
    }
  }
}

bool ensure_monitor(Space &s) {
  if (s.monitor.started) return true;
  s.monitor.epfd = epoll_create1(EPOLL_CLOEXEC);
  if (s.monitor.epfd < 0) return false;
  try {
    std::thread(monitor_main, s.monitor.epfd).detach();
  } catch (...) {
    close(s.monitor.epfd);
    s.monitor.epfd = -1;
    return false;
  }
  s.monitor.started = true;
  return true;
}

}  // namespace

void monitor_watch_dead_name(Space &s, mach_port_name_t name, Entry &e) {
  if (e.dn_token != 0 || e.fd < 0 || !ensure_monitor(s)) return;
  uint64_t token = new_token(s);
  epoll_event ev{};
  ev.events = EPOLLRDHUP | EPOLLONESHOT;  // EPOLLHUP/EPOLLERR always report; data never wakes us
  ev.data.u64 = token;
  if (epoll_ctl(s.monitor.epfd, EPOLL_CTL_ADD, e.fd, &ev) != 0) return;
  MonitorReg reg{MonitorReg::DeadName, name, 0, 0};
  s.monitor.regs.emplace(token, reg);
  e.dn_token = token;
}

void monitor_unwatch_dead_name(Space &s, Entry &e) {
  if (e.dn_token == 0) return;
  if (e.fd >= 0) epoll_ctl(s.monitor.epfd, EPOLL_CTL_DEL, e.fd, nullptr);
  s.monitor.regs.erase(e.dn_token);
  e.dn_token = 0;
}

void monitor_watch_family(Space &s, ReceivePort &rp, uint64_t token) {
  auto it = rp.families.find(token);
  if (it == rp.families.end() || it->second.monitor_token != 0 || it->second.senders_gone) return;
  if (!ensure_monitor(s)) return;
  uint64_t mt = new_token(s);
  epoll_event ev{};
  ev.events = EPOLLRDHUP | EPOLLONESHOT;
  ev.data.u64 = mt;
  if (epoll_ctl(s.monitor.epfd, EPOLL_CTL_ADD, it->second.fd, &ev) != 0) return;
  MonitorReg reg{MonitorReg::FamilyHangup, 0, rp.id, token};
  s.monitor.regs.emplace(mt, reg);
  it->second.monitor_token = mt;
}

void monitor_unwatch_family(Space &s, Family &f) {
  if (f.monitor_token == 0) return;
  epoll_ctl(s.monitor.epfd, EPOLL_CTL_DEL, f.fd, nullptr);
  s.monitor.regs.erase(f.monitor_token);
  f.monitor_token = 0;
}

void arm_no_senders(Space &s, ReceivePort &rp) {
  // Copies of the home sending end may be anywhere: retire it so every sender is visible again.
  if (rp.home_exported) retire_home(s, rp);
  for (auto &kv : rp.families) {
    if (kv.second.kind == FamilyKind::Send) monitor_watch_family(s, rp, kv.first);
  }
}

void disarm_no_senders(Space &s, ReceivePort &rp) {
  for (auto &kv : rp.families) monitor_unwatch_family(s, kv.second);
}

void check_no_senders(Space &s, ReceivePort &rp) {
  if (rp.ns_fd < 0 || rp.state != PortState::Live || rp.home_exported) return;
  mach_port_name_t name = receive_name(s, rp.id);
  if (name == MACH_PORT_NULL) return;
  Entry &e = *lookup(s, name);
  if ((e.rights & MACH_PORT_TYPE_SEND) && e.urefs > 0) return;
  for (auto &kv : rp.families) {
    if (kv.second.kind == FamilyKind::Send && !kv.second.senders_gone) return;
  }
  if (rp.mscount < rp.ns_sync) return;
  int fd = rp.ns_fd;
  rp.ns_fd = -1;
  disarm_no_senders(s, rp);
  struct {
    NDR_record_t ndr;
    mach_msg_type_number_t count;
  } __attribute__((packed)) body{NDR_record, rp.mscount};
  send_notification(s, fd, MACH_NOTIFY_NO_SENDERS, &body, sizeof body);
}

void notify_port_deleted(Space &s, int so_fd, mach_port_name_t name) {
  struct {
    NDR_record_t ndr;
    mach_port_name_t name;
  } __attribute__((packed)) body{NDR_record, name};
  send_notification(s, so_fd, MACH_NOTIFY_PORT_DELETED, &body, sizeof body);
}

void notify_dead_name(Space &s, int so_fd, mach_port_name_t name) {
  struct {
    NDR_record_t ndr;
    mach_port_name_t name;
  } __attribute__((packed)) body{NDR_record, name};
  send_notification(s, so_fd, MACH_NOTIFY_DEAD_NAME, &body, sizeof body);
}

void send_notification(Space &s, int so_fd, mach_msg_id_t id, const void *body, size_t body_size,
                       CarriedRight *carried) {
  OutMessage out;  // not the thread's send buffer: notifications are sent from inside other operations
  out.clear();
  mach_msg_header_t h{};
  h.msgh_bits = MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE) | (carried ? MACH_MSGH_BITS_COMPLEX : 0);
  h.msgh_size = static_cast<mach_msg_size_t>(sizeof h + body_size);
  h.msgh_id = id;
  out.mach.resize(sizeof h + body_size);
  memcpy(out.mach.data(), &h, sizeof h);
  memcpy(out.mach.data() + sizeof h, body, body_size);
  if (carried != nullptr) {
    std::vector<uint8_t> block;
    serialize_receive(s, *carried->recv, block, out.fds);
    out.add_record(REC_RECEIVE, static_cast<uint32_t>(block.size()), carried->id);
    out.records.insert(out.records.end(), block.begin(), block.end());
  }
  out.header.flags = WIRE_KERNEL;
  int err = send_datagram(out, so_fd);
  close_fd(so_fd);
  if (carried != nullptr) {
    if (err == 0) {
      commit_sent(s, *carried);
    } else {
      // The notify port is gone: the right it would have carried is destroyed for good.
      std::shared_ptr<ReceivePort> rp = carried->recv;
      rp->pd_fd = -1;
      destroy_carried(s, *carried);
    }
  }
}

}  // namespace tsmig::lx

using namespace tsmig::lx;

extern "C" kern_return_t mach_port_request_notification(ipc_space_t task, mach_port_name_t name, mach_msg_id_t msgid,
                                                        mach_port_mscount_t sync, mach_port_t notify,
                                                        mach_msg_type_name_t notifyPoly, mach_port_t *previous) {
  if (!is_task_self(task)) return MACH_SEND_INVALID_DEST;
  if (previous == nullptr) return KERN_INVALID_ARGUMENT;
  if (msgid != MACH_NOTIFY_DEAD_NAME && msgid != MACH_NOTIFY_NO_SENDERS && msgid != MACH_NOTIFY_PORT_DESTROYED) {
    return msgid == MACH_NOTIFY_SEND_POSSIBLE ? KERN_NOT_SUPPORTED : KERN_INVALID_VALUE;
  }
  if (msgid == MACH_NOTIFY_PORT_DESTROYED && sync != 0) return KERN_INVALID_VALUE;
  Space &s = space();
  Lock lk(s.mu);
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  if (msgid != MACH_NOTIFY_DEAD_NAME && !(e->rights & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
  if (msgid == MACH_NOTIFY_DEAD_NAME &&
      !(e->rights & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE | MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_DEAD_NAME)))
    return KERN_INVALID_RIGHT;
  int nfd = -1;
  if (notify != MACH_PORT_NULL) {
    if (notifyPoly != MACH_MSG_TYPE_MAKE_SEND_ONCE && notifyPoly != MACH_MSG_TYPE_MOVE_SEND_ONCE)
      return KERN_INVALID_VALUE;
    CarriedRight c;
    kern_return_t kr = copyin_right(s, notify, notifyPoly, c);
    if (kr != KERN_SUCCESS || c.kind != REC_SEND_ONCE) {
      if (kr == KERN_SUCCESS) undo_copyin(s, c);
      return KERN_INVALID_CAPABILITY;
    }
    nfd = c.fd;
    e = lookup(s, name);  // copyin may have freed a name (MOVE_SEND_ONCE of another name): look again
    if (e == nullptr) {
      close_fd(nfd);
      return KERN_INVALID_NAME;
    }
  }
  int prev = -1;
  switch (msgid) {
    case MACH_NOTIFY_DEAD_NAME: {
      check_dead(s, name, *e);
      if (e->rights & MACH_PORT_TYPE_DEAD_NAME) {
        if (nfd >= 0 && sync != 0) {
          // Already dead: with `sync` the notification comes at once (and holds a reference).
          if (e->urefs < MACH_PORT_UREFS_MAX) e->urefs++;
          notify_dead_name(s, nfd, name);
          *previous = MACH_PORT_NULL;
          return KERN_SUCCESS;
        }
        close_fd(nfd);
        return KERN_INVALID_ARGUMENT;
      }
      monitor_unwatch_dead_name(s, *e);
      prev = e->dn_fd;
      e->dn_fd = nfd;
      if (nfd >= 0 && !e->recv) monitor_watch_dead_name(s, name, *e);
      break;
    }
    case MACH_NOTIFY_NO_SENDERS: {
      ReceivePort &rp = *e->recv;
      prev = rp.ns_fd;
      rp.ns_fd = nfd;
      rp.ns_sync = sync;
      if (nfd >= 0) {
        arm_no_senders(s, rp);
        check_no_senders(s, rp);
      } else {
        disarm_no_senders(s, rp);
      }
      break;
    }
    case MACH_NOTIFY_PORT_DESTROYED: {
      ReceivePort &rp = *e->recv;
      prev = rp.pd_fd;
      rp.pd_fd = nfd;
      break;
    }
  }
  *previous = MACH_PORT_NULL;
  if (prev >= 0) {
    CarriedRight c;
    c.kind = REC_SEND_ONCE;
    c.fd = prev;
    c.fd_owned = true;
    kern_return_t kr;
    *previous = install_right(s, c, kr);
  }
  return KERN_SUCCESS;
}
