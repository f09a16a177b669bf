// Linux emulation: rights in flight. copyin takes a right out of the space
// the way a message carrying it does (per disposition, with Mach's checks
// and errors); undo puts it back exactly (a send that failed consumes
// nothing); commit finishes a sent right; install (copyout) puts a received
// right into the space, coalescing rights to one port under one name. A
// receive right travels with its whole state (families, queue page,
// requests), serialised here.

#include <sys/epoll.h>
#include <unistd.h>

#include <cstring>

#include "internal.h"

namespace tsmig::lx {

mach_msg_type_name_t received_type(mach_msg_type_name_t d) {
  switch (d) {
    case MACH_MSG_TYPE_MOVE_RECEIVE:
      return MACH_MSG_TYPE_PORT_RECEIVE;
    case MACH_MSG_TYPE_MOVE_SEND:
    case MACH_MSG_TYPE_COPY_SEND:
    case MACH_MSG_TYPE_MAKE_SEND:
      return MACH_MSG_TYPE_PORT_SEND;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
      return MACH_MSG_TYPE_PORT_SEND_ONCE;
    default:
      return 0;
  }
}

namespace {

ReceivePort *port_by_id(Space &s, uint64_t id) {
  mach_port_name_t n = receive_name(s, id);
  return n == MACH_PORT_NULL ? nullptr : lookup(s, n)->recv.get();
}

/** The receive right `rp` joins the name `name`, which holds a send right to the same port. */
void merge_receive_into(Space &s, mach_port_name_t name, Entry &e, const std::shared_ptr<ReceivePort> &rp) {
  monitor_unwatch_dead_name(s, e);
  close_fd(e.fd);  // our sends go through the home family from now on
  e.fd = -1;
  if (e.page != nullptr) {
    unref_page(s, e.port_id);
    e.page = nullptr;
  }
  e.page_missing = false;
  e.rights |= MACH_PORT_TYPE_RECEIVE;
  e.recv = rp;
  s.by_id[rp->id] = name;
}

void unwake(Space &s, ReceivePort &rp) {
  if (!rp.woken) return;
  epoll_ctl(rp.epfd, EPOLL_CTL_DEL, s.wake_fd, nullptr);
  rp.woken = false;
}

mach_port_name_t new_entry(Space &s, mach_port_name_t want, kern_return_t &kr) {
  if (want != MACH_PORT_NULL) {
    kr = alloc_name_at(s, want);
    return kr == KERN_SUCCESS ? want : MACH_PORT_NULL;
  }
  mach_port_name_t n = alloc_name(s);
  kr = n == MACH_PORT_NULL ? KERN_NO_SPACE : KERN_SUCCESS;
  return n;
}

mach_port_name_t install_impl(Space &s, CarriedRight &r, mach_port_name_t want, kern_return_t &kr) {
  kr = KERN_SUCCESS;
  switch (r.kind) {
    case REC_NULL:
      return MACH_PORT_NULL;
    case REC_DEAD:
      return MACH_PORT_DEAD;
    case REC_SEND: {
      if (r.id != 0 && want == MACH_PORT_NULL) {
        auto it = s.by_id.find(r.id);
        if (it != s.by_id.end()) {
          mach_port_name_t name = it->second;
          Entry &e = *lookup(s, name);
          // A send right to our own port needs no socket of its own here: it joins the receive
          // right's name (whoever claims our port's id gives us at most a right we already have).
          {
            if (r.fd_owned) close_fd(r.fd);
            r.fd = -1;
            if (e.rights & MACH_PORT_TYPE_SEND) {
              if (e.urefs < MACH_PORT_UREFS_MAX) e.urefs++;  // Mach saturates rather than fail a receive
            } else {
              e.rights |= MACH_PORT_TYPE_SEND;
              e.urefs = 1;
            }
            return name;
          }
        }
      }
      if (!r.fd_owned) {
        int fd = dup_cloexec(r.fd);
        if (fd < 0) {
          kr = KERN_RESOURCE_SHORTAGE;
          return MACH_PORT_NULL;
        }
        r.fd = fd;
        r.fd_owned = true;
      }
      mach_port_name_t n = new_entry(s, want, kr);
      if (n == MACH_PORT_NULL) return MACH_PORT_NULL;
      Entry &e = *lookup(s, n);
      if (r.id == 0) r.id = new_port_id(s);
      e.rights = MACH_PORT_TYPE_SEND;
      e.urefs = 1;
      e.fd = r.fd;
      e.port_id = r.id;
      s.by_id[r.id] = n;
      r.fd = -1;
      r.fd_owned = false;
      return n;
    }
    case REC_SEND_ONCE: {
      if (!r.fd_owned) {
        int fd = dup_cloexec(r.fd);
        if (fd < 0) {
          kr = KERN_RESOURCE_SHORTAGE;
          return MACH_PORT_NULL;
        }
        r.fd = fd;
        r.fd_owned = true;
      }
      mach_port_name_t n = new_entry(s, want, kr);
      if (n == MACH_PORT_NULL) return MACH_PORT_NULL;
      Entry &e = *lookup(s, n);
      e.rights = MACH_PORT_TYPE_SEND_ONCE;
      e.urefs = 1;
      e.fd = r.fd;
      e.port_id = r.id;
      r.fd = -1;
      r.fd_owned = false;
      return n;
    }
    case REC_RECEIVE: {
      std::shared_ptr<ReceivePort> rp = r.recv;
      mach_port_name_t name = MACH_PORT_NULL;
      auto it = want == MACH_PORT_NULL ? s.by_id.find(rp->id) : s.by_id.end();
      if (it != s.by_id.end()) {
        Entry &e = *lookup(s, it->second);
        if (e.recv) {
          // Two receive rights for one port cannot exist: the second one is a forgery.
          destroy_port_object(s, rp);
          r.recv.reset();
          kr = KERN_INVALID_RIGHT;
          return MACH_PORT_DEAD;
        }
        name = it->second;
        merge_receive_into(s, name, e, rp);
      } else {
        name = new_entry(s, want, kr);
        if (name == MACH_PORT_NULL) return MACH_PORT_NULL;
        Entry &e = *lookup(s, name);
        e.rights = MACH_PORT_TYPE_RECEIVE;
        e.recv = rp;
        e.port_id = rp->id;
        s.by_id[rp->id] = name;
      }
      rp->state = PortState::Live;
      unwake(s, *rp);
      r.recv.reset();
      if (rp->ns_fd >= 0) {
        arm_no_senders(s, *rp);
        check_no_senders(s, *rp);
      }
      return name;
    }
    default:
      kr = KERN_INVALID_VALUE;
      return MACH_PORT_NULL;
  }
}

}  // namespace

kern_return_t copyin_right(Space &s, mach_port_name_t name, mach_msg_type_name_t d, CarriedRight &out,
                           uint64_t lend_for) {
  out = CarriedRight();
  out.from_name = name;
  out.disposition = d;
  if (!MACH_MSG_TYPE_PORT_ANY(d)) return KERN_INVALID_VALUE;
  if (name == MACH_PORT_NULL) {
    out.kind = REC_NULL;
    return KERN_SUCCESS;
  }
  if (name == MACH_PORT_DEAD) {
    out.kind = REC_DEAD;
    return KERN_SUCCESS;
  }
  if (is_task_self(name)) return KERN_INVALID_CAPABILITY;  // the task port cannot travel here
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  if ((e->rights & MACH_PORT_TYPE_DEAD_NAME) &&
      (d == MACH_MSG_TYPE_MOVE_SEND || d == MACH_MSG_TYPE_COPY_SEND || d == MACH_MSG_TYPE_MOVE_SEND_ONCE)) {
    // A dead name travels as MACH_PORT_DEAD; moving it consumes a reference.
    out.kind = REC_DEAD;
    if (d != MACH_MSG_TYPE_COPY_SEND) {
      out.took_dead_uref = true;
      if (--e->urefs == 0) {
        e->rights &= ~MACH_PORT_TYPE_DEAD_NAME;
        release_if_empty(s, name, *e);
      }
    }
    return KERN_SUCCESS;
  }
  switch (d) {
    case MACH_MSG_TYPE_MOVE_RECEIVE: {
      if (!(e->rights & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
      std::shared_ptr<ReceivePort> rp = e->recv;
      if (rp->state != PortState::Live) return KERN_INVALID_RIGHT;
      if (e->rights & MACH_PORT_TYPE_SEND) {
        // The home family leaves with the port: our remaining send right needs a family of its own.
        int fd;
        uint64_t token;
        kern_return_t kr = make_family(s, *rp, FamilyKind::Send, fd, token);
        if (kr != KERN_SUCCESS) return KERN_RESOURCE_SHORTAGE;
        e->fd = fd;
        if (rp->page != nullptr) {
          s.pages[rp->id].refs++;
          e->page = rp->page;
        }
      }
      leave_set(s, *rp);
      rp->state = PortState::InTransit;
      wake_waiters(s, rp->epfd, rp->woken);
      wake_direct(s, *rp);
      e->rights &= ~MACH_PORT_TYPE_RECEIVE;
      e->recv.reset();
      if (e->rights & MACH_PORT_TYPE_SEND) {
        if (e->dn_fd >= 0) monitor_watch_dead_name(s, name, *e);
      } else {
        s.by_id.erase(rp->id);
        release_if_empty(s, name, *e);
      }
      out.kind = REC_RECEIVE;
      out.id = rp->id;
      out.recv = rp;
      out.took_entry = true;
      return KERN_SUCCESS;
    }
    case MACH_MSG_TYPE_MOVE_SEND:
    case MACH_MSG_TYPE_COPY_SEND: {
      if (!(e->rights & MACH_PORT_TYPE_SEND)) return KERN_INVALID_RIGHT;
      out.kind = REC_SEND;
      out.id = e->port_id;
      if (e->recv) {
        kern_return_t kr = export_send(s, *e->recv, out.fd, out.fd_owned, out.made_token);
        if (kr != KERN_SUCCESS) return KERN_RESOURCE_SHORTAGE;
        out.made = out.made_token != 0;
        if (d == MACH_MSG_TYPE_MOVE_SEND) {
          out.took_uref = true;
          if (--e->urefs == 0) {
            e->rights &= ~MACH_PORT_TYPE_SEND;
            check_no_senders(s, *e->recv);
          }
        }
        return KERN_SUCCESS;
      }
      out.fd = e->fd;
      out.fd_owned = false;
      if (d == MACH_MSG_TYPE_MOVE_SEND) {
        if (e->urefs == 1) {
          monitor_unwatch_dead_name(s, *e);
          out.fd_owned = true;
          out.took_entry = true;
          e->fd = -1;
          if (e->page != nullptr) {
            unref_page(s, e->port_id);
            e->page = nullptr;
          }
          s.by_id.erase(e->port_id);
          e->rights &= ~MACH_PORT_TYPE_SEND;
          e->urefs = 0;
          release_if_empty(s, name, *e);
        } else {
          e->urefs--;
          out.took_uref = true;
        }
      }
      return KERN_SUCCESS;
    }
    case MACH_MSG_TYPE_MAKE_SEND: {
      if (!(e->rights & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
      kern_return_t kr = export_send(s, *e->recv, out.fd, out.fd_owned, out.made_token);
      if (kr != KERN_SUCCESS) return KERN_RESOURCE_SHORTAGE;
      out.made = out.made_token != 0;
      e->recv->mscount++;
      out.kind = REC_SEND;
      out.id = e->port_id;
      return KERN_SUCCESS;
    }
    case MACH_MSG_TYPE_MAKE_SEND_ONCE: {
      if (!(e->rights & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
      ReceivePort &rp = *e->recv;
      out.fd = lend_idle_once(s, rp, lend_for, out.made_token);
      if (out.fd < 0) {
        kern_return_t kr = make_family(s, rp, FamilyKind::SendOnce, out.fd, out.made_token);
        if (kr != KERN_SUCCESS) return KERN_RESOURCE_SHORTAGE;
      }
      rp.families[out.made_token].lent_for = lend_for;
      out.fd_owned = true;
      out.made = true;
      out.kind = REC_SEND_ONCE;
      out.id = e->port_id;
      return KERN_SUCCESS;
    }
    case MACH_MSG_TYPE_MOVE_SEND_ONCE: {
      if (!(e->rights & MACH_PORT_TYPE_SEND_ONCE)) return KERN_INVALID_RIGHT;
      monitor_unwatch_dead_name(s, *e);
      out.kind = REC_SEND_ONCE;
      out.id = e->port_id;
      out.fd = e->fd;
      out.fd_owned = true;
      out.took_entry = true;
      e->fd = -1;
      e->rights &= ~MACH_PORT_TYPE_SEND_ONCE;
      e->urefs = 0;
      release_if_empty(s, name, *e);
      return KERN_SUCCESS;
    }
    default:
      return KERN_INVALID_VALUE;
  }
}

mach_port_name_t undo_copyin(Space &s, CarriedRight &r) {
  kern_return_t kr;
  switch (r.kind) {
    case REC_NULL:
      return r.from_name;
    case REC_DEAD: {
      if (!r.took_dead_uref) return r.from_name;
      Entry *e = lookup(s, r.from_name);
      if (e != nullptr && (e->rights & MACH_PORT_TYPE_DEAD_NAME)) {
        e->urefs++;
        return r.from_name;
      }
      mach_port_name_t n = e == nullptr && alloc_name_at(s, r.from_name) == KERN_SUCCESS ? r.from_name : alloc_name(s);
      if (n == MACH_PORT_NULL) return MACH_PORT_NULL;
      Entry &d = *lookup(s, n);
      d.rights = MACH_PORT_TYPE_DEAD_NAME;
      d.urefs = 1;
      return n;
    }
    case REC_SEND:
    case REC_SEND_ONCE: {
      if (r.made) {
        // The family made for this right is closed before anyone saw it: no notification.
        if (ReceivePort *rp = port_by_id(s, r.id)) close_family(s, *rp, r.made_token);
        close_fd(r.fd);
      } else if (r.pinned) {
        close_fd(r.fd);  // a private copy made while the lock was dropped
      } else if (r.took_entry) {
        // The whole right left its name: put it back under that name when it is still free.
        Entry *e = lookup(s, r.from_name);
        mach_port_name_t n = MACH_PORT_NULL;
        if (e == nullptr && (r.kind == REC_SEND_ONCE || !s.by_id.count(r.id))) n = install_impl(s, r, r.from_name, kr);
        if (n == MACH_PORT_NULL) n = install_impl(s, r, MACH_PORT_NULL, kr);
        return n;
      }
      r.fd = -1;
      r.fd_owned = false;
      if (r.disposition == MACH_MSG_TYPE_MAKE_SEND) {
        if (ReceivePort *rp = port_by_id(s, r.id)) {
          if (rp->mscount > 0) rp->mscount--;
        }
      } else if (r.took_uref) {
        Entry *e = lookup(s, r.from_name);
        if (e != nullptr && e->port_id == r.id && (e->rights & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE))) {
          if (e->rights & MACH_PORT_TYPE_SEND) {
            e->urefs++;
          } else {
            e->rights |= MACH_PORT_TYPE_SEND;
            e->urefs = 1;
          }
        }
      }
      return r.from_name;
    }
    case REC_RECEIVE: {
      std::shared_ptr<ReceivePort> rp = r.recv;
      r.recv.reset();
      rp->state = PortState::Live;
      unwake(s, *rp);
      auto it = s.by_id.find(rp->id);
      if (it != s.by_id.end()) {
        Entry &e = *lookup(s, it->second);
        merge_receive_into(s, it->second, e, rp);
        return it->second;
      }
      mach_port_name_t n =
          lookup(s, r.from_name) == nullptr && alloc_name_at(s, r.from_name) == KERN_SUCCESS ? r.from_name : alloc_name(s);
      if (n == MACH_PORT_NULL) {
        destroy_port_object(s, rp);
        return MACH_PORT_DEAD;
      }
      Entry &e = *lookup(s, n);
      e.rights = MACH_PORT_TYPE_RECEIVE;
      e.recv = rp;
      e.port_id = rp->id;
      s.by_id[rp->id] = n;
      return n;
    }
    default:
      return r.from_name;
  }
}

void commit_sent(Space &s, CarriedRight &r) {
  switch (r.kind) {
    case REC_SEND:
    case REC_SEND_ONCE:
      if (r.fd_owned) close_fd(r.fd);
      r.fd = -1;
      break;
    case REC_RECEIVE:
      finish_departure(s, *r.recv);
      r.recv.reset();
      break;
    default:
      break;
  }
}

void destroy_carried(Space &s, CarriedRight &r) {
  switch (r.kind) {
    case REC_SEND:
    case REC_SEND_ONCE:
      // Closing is destruction: a send-once right's port hears of it, a send right stops counting.
      if (r.fd_owned) close_fd(r.fd);
      r.fd = -1;
      break;
    case REC_RECEIVE:
      if (r.recv) destroy_port_object(s, r.recv);
      r.recv.reset();
      break;
    default:
      break;
  }
}

mach_port_name_t install_right(Space &s, CarriedRight &r, kern_return_t &kr) {
  mach_port_name_t n = install_impl(s, r, MACH_PORT_NULL, kr);
  if (n == MACH_PORT_NULL && r.kind != REC_NULL) {
    // No room for the name: the right is destroyed, the receiver sees a dead name.
    destroy_carried(s, r);
    return MACH_PORT_DEAD;
  }
  return n;
}

mach_port_name_t install_right_at(Space &s, CarriedRight &r, mach_port_name_t want, kern_return_t &kr) {
  return install_impl(s, r, want, kr);
}

void finish_departure(Space &s, ReceivePort &rp) {
  for (auto &kv : rp.families) {
    monitor_unwatch_family(s, kv.second);
    epoll_ctl(rp.epfd, EPOLL_CTL_DEL, kv.second.fd, nullptr);
    close_fd(kv.second.fd);
    close_fd(kv.second.idle_send);
  }
  rp.families.clear();
  rp.idle_once.clear();
  if (std::unique_ptr<Stash> st = take_stash(s, rp)) {
    for (int fd : st->fds) close_fd(fd);  // our copies: the message travelled with the right
  }
  close_fd(rp.home_send_fd);
  rp.home_send_fd = -1;
  rp.home_token = 0;
  if (rp.page != nullptr) {
    unref_page(s, rp.id);
    rp.page = nullptr;
    rp.room_fd = -1;
  }
  close_fd(rp.page_fd);
  rp.page_fd = -1;
  close_fd(rp.ns_fd);
  rp.ns_fd = -1;
  close_fd(rp.pd_fd);
  rp.pd_fd = -1;
  rp.state = PortState::InTransit;
}

void serialize_receive(Space &s, ReceivePort &rp, std::vector<uint8_t> &block, std::vector<int> &fds) {
  drop_idle_once(s, rp);  // resting send-once families are a cache of this process: they stay behind, closed
  RecvState st{};
  if (rp.page != nullptr && rp.page_fd >= 0) st.flags |= RS_PAGE;
  if ((st.flags & RS_PAGE) && rp.room_fd >= 0) st.flags |= RS_ROOM;
  if (rp.home_token != 0) st.flags |= RS_HOME | (rp.home_exported ? RS_HOME_EXPORTED : 0);
  if (rp.ns_fd >= 0) st.flags |= RS_NO_SENDERS;
  if (rp.pd_fd >= 0) st.flags |= RS_PORT_DESTROYED;
  st.qlimit = port_qlimit(rp);
  st.ns_sync = rp.ns_sync;
  st.context = rp.context;
  std::vector<RecvFamily> fams;
  if (st.flags & RS_PAGE) fds.push_back(rp.page_fd);
  if (st.flags & RS_ROOM) fds.push_back(rp.room_fd);
  if (st.flags & RS_HOME) {
    fds.push_back(rp.families[rp.home_token].fd);
    fds.push_back(rp.home_send_fd);
  }
  for (auto &kv : rp.families) {
    if (kv.first == rp.home_token) continue;
    RecvFamily f{};
    f.kind = static_cast<uint8_t>(kv.second.kind);
    fams.push_back(f);
    fds.push_back(kv.second.fd);
  }
  if (st.flags & RS_NO_SENDERS) fds.push_back(rp.ns_fd);
  if (st.flags & RS_PORT_DESTROYED) fds.push_back(rp.pd_fd);
  if (rp.stash) st.flags |= RS_STASH;
  st.family_count = static_cast<uint32_t>(fams.size());
  size_t at = block.size();
  block.resize(at + sizeof st + fams.size() * sizeof(RecvFamily));
  memcpy(block.data() + at, &st, sizeof st);
  if (!fams.empty()) memcpy(block.data() + at + sizeof st, fams.data(), fams.size() * sizeof(RecvFamily));
  if (rp.stash) {
    // The message at the head of the queue goes along, descriptors last.
    const Stash &sh = *rp.stash;
    StashHeader h{};
    h.data_len = static_cast<uint32_t>(sh.data.size());
    h.aux_len = static_cast<uint32_t>(sh.aux_records.size());
    h.fd_count = static_cast<uint32_t>(sh.fds.size());
    h.flags = (sh.have_creds ? 1u : 0u) | (sh.fds_lost ? 2u : 0u) | (sh.aux_read ? 4u : 0u) |
              (sh.slot_released ? 8u : 0u);
    h.pid = sh.pid;
    h.uid = sh.uid;
    h.gid = sh.gid;
    size_t len = (sizeof h + sh.data.size() + sh.aux_records.size() + 7) & ~size_t{7};
    size_t p = block.size();
    block.resize(p + len);
    memcpy(block.data() + p, &h, sizeof h);
    memcpy(block.data() + p + sizeof h, sh.data.data(), sh.data.size());
    if (!sh.aux_records.empty())
      memcpy(block.data() + p + sizeof h + sh.data.size(), sh.aux_records.data(), sh.aux_records.size());
    fds.insert(fds.end(), sh.fds.begin(), sh.fds.end());
  }
}

namespace {

/** Where a state block's stash header starts, and its padded length; false if malformed. */
bool stash_section(const uint8_t *block, size_t len, const RecvState &st, StashHeader &h, size_t &at) {
  at = sizeof st + st.family_count * sizeof(RecvFamily);
  if (len < at + sizeof h) return false;
  memcpy(&h, block + at, sizeof h);
  if (h.data_len > kMaxDatagram || h.aux_len > kMaxDatagram || h.fd_count > (1u << 16)) return false;
  size_t padded = (sizeof h + static_cast<size_t>(h.data_len) + h.aux_len + 7) & ~size_t{7};
  return len == at + padded;
}

}  // namespace

bool receive_state_fds(const uint8_t *block, size_t len, size_t &nfds) {
  if (len < sizeof(RecvState)) return false;
  RecvState st;
  memcpy(&st, block, sizeof st);
  if (st.family_count > (len - sizeof st) / sizeof(RecvFamily)) return false;
  if (st.flags & ~(RS_HOME | RS_HOME_EXPORTED | RS_PAGE | RS_ROOM | RS_NO_SENDERS | RS_PORT_DESTROYED | RS_STASH))
    return false;
  StashHeader sh{};
  size_t at;
  if (st.flags & RS_STASH) {
    if (!stash_section(block, len, st, sh, at)) return false;
  } else if (len != sizeof st + st.family_count * sizeof(RecvFamily)) {
    return false;
  }
  if ((st.flags & RS_ROOM) && !(st.flags & RS_PAGE)) return false;
  if (st.qlimit > MACH_PORT_QLIMIT_MAX) return false;
  for (uint32_t i = 0; i < st.family_count; i++) {
    RecvFamily f;
    memcpy(&f, block + sizeof st + i * sizeof f, sizeof f);
    if (f.kind != static_cast<uint8_t>(FamilyKind::Send) && f.kind != static_cast<uint8_t>(FamilyKind::SendOnce))
      return false;
  }
  nfds = ((st.flags & RS_PAGE) ? 1 : 0) + ((st.flags & RS_ROOM) ? 1 : 0) + ((st.flags & RS_HOME) ? 2 : 0) +
         st.family_count +
         ((st.flags & RS_NO_SENDERS) ? 1 : 0) + ((st.flags & RS_PORT_DESTROYED) ? 1 : 0) + sh.fd_count;
  return true;
}

std::shared_ptr<ReceivePort> adopt_receive(Space &s, uint64_t id, const uint8_t *block, size_t len, const int *fds,
                                           kern_return_t &kr) {
  size_t nfds = 0;
  RecvState st;
  memcpy(&st, block, sizeof st);
  receive_state_fds(block, len, nfds);
  auto rp = std::make_shared<ReceivePort>();
  rp->epfd = epoll_create1(EPOLL_CLOEXEC);
  bool missing = false;
  for (size_t i = 0; i < nfds; i++) missing |= fds[i] < 0;
  if (rp->epfd < 0 || missing) {
    // Without an epoll (descriptor limit) or with descriptors lost on the way, the port cannot live here.
    for (size_t i = 0; i < nfds; i++) close_fd(fds[i]);
    kr = KERN_RESOURCE_SHORTAGE;
    return nullptr;
  }
  rp->id = id;
  rp->qlimit = st.qlimit;
  rp->ns_sync = st.ns_sync;
  rp->context = st.context;
  size_t i = 0;
  auto add_family = [&](int fd, FamilyKind kind) -> uint64_t {
    uint64_t token = new_token(s);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = token;
    epoll_ctl(rp->epfd, EPOLL_CTL_ADD, fd, &ev);
    Family f;
    f.fd = fd;
    f.kind = kind;
    rp->families.emplace(token, f);
    if (kind == FamilyKind::SendOnce) rp->sorights++;
    return token;
  };
  if (st.flags & RS_PAGE) {
    int pfd = fds[i++];
    int room = (st.flags & RS_ROOM) ? fds[i++] : -1;
    auto it = s.pages.find(id);
    QueuePage *page = nullptr;
    if (it != s.pages.end()) {
      page = it->second.page;  // we already map it (and hold its room eventfd) as a sender
      it->second.refs++;
      close_fd(room);
      room = it->second.room_fd;
    } else if (room >= 0 && (page = map_page(pfd, id)) != nullptr) {
      s.pages[id] = PageMap{page, 1, room};
    }
    if (page != nullptr) {
      rp->page = page;
      rp->page_fd = pfd;
      rp->room_fd = room;
    } else {
      close_fd(pfd);
      close_fd(room);
    }
  }
  if (st.flags & RS_HOME) {
    int rfd = fds[i++];
    rp->home_send_fd = fds[i++];
    rp->home_token = add_family(rfd, FamilyKind::Home);
    rp->home_exported = (st.flags & RS_HOME_EXPORTED) != 0;
  }
  for (uint32_t k = 0; k < st.family_count; k++) {
    RecvFamily f;
    memcpy(&f, block + sizeof st + k * sizeof f, sizeof f);
    add_family(fds[i++], static_cast<FamilyKind>(f.kind));
  }
  if (st.flags & RS_NO_SENDERS) rp->ns_fd = fds[i++];
  if (st.flags & RS_PORT_DESTROYED) rp->pd_fd = fds[i++];
  if (st.flags & RS_STASH) {
    StashHeader h;
    size_t at;
    stash_section(block, len, st, h, at);
    auto stash = std::make_unique<Stash>();
    const uint8_t *p = block + at + sizeof h;
    stash->data.assign(p, p + h.data_len);
    stash->aux_records.assign(p + h.data_len, p + h.data_len + h.aux_len);
    stash->fds.assign(fds + i, fds + i + h.fd_count);
    i += h.fd_count;
    stash->have_creds = h.flags & 1;
    stash->fds_lost = h.flags & 2;
    stash->aux_read = h.flags & 4;
    stash->slot_released = h.flags & 8;
    stash->pid = h.pid;
    stash->uid = h.uid;
    stash->gid = h.gid;
    set_stash(s, *rp, std::move(stash));
  }
  kr = KERN_SUCCESS;
  return rp;
}

}  // namespace tsmig::lx
