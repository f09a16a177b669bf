// Linux emulation: the tsmig runtime extensions of <tsmig/runtime.h> — the
// watch descriptor an event loop polls, space statistics for leak tests,
// send rights as plain descriptors (to hand a port to a child), and trimming
// the out-of-line caches.

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

using namespace tsmig::lx;

extern "C" {

kern_return_t tsmig_port_watch_fd(mach_port_name_t name, int *fd_out) {
  if (fd_out == nullptr) return KERN_INVALID_ARGUMENT;
  Space &s = space();
  Lock lk(s.mu);
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  int epfd;
  if (e->recv) {
    epfd = e->recv->epfd;
  } else if (e->pset) {
    epfd = e->pset->epfd;
  } else {
    return KERN_INVALID_RIGHT;
  }
  // A copy polls the same epoll instance; the caller may keep it past the right's life.
  int fd = dup_cloexec(epfd);
  if (fd < 0) return KERN_RESOURCE_SHORTAGE;
  *fd_out = fd;
  return KERN_SUCCESS;
}

kern_return_t tsmig_port_send_watch_fd(mach_port_name_t name, int *fd_out) {
  if (fd_out == nullptr) return KERN_INVALID_ARGUMENT;
  Space &s = space();
  Lock lk(s.mu);
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  check_dead(s, name, *e);
  if (e->rights & MACH_PORT_TYPE_DEAD_NAME) {
    // Nothing to wait for: the send fails at once.
    int fd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) return KERN_RESOURCE_SHORTAGE;
    *fd_out = fd;
    return KERN_SUCCESS;
  }
  if (!(e->rights & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE | MACH_PORT_TYPE_RECEIVE))) return KERN_INVALID_RIGHT;
  int socket_fd;
  QueuePage *page = nullptr;
  if (e->recv) {
    if (ensure_home(s, *e->recv) != KERN_SUCCESS || ensure_page(s, *e->recv) != KERN_SUCCESS)
      return KERN_RESOURCE_SHORTAGE;
    socket_fd = e->recv->home_send_fd;
    page = e->recv->page;
  } else {
    socket_fd = e->fd;
    if (e->rights & MACH_PORT_TYPE_SEND) page = sender_page(s, *e);
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return KERN_RESOURCE_SHORTAGE;
  SendWatch w;
  w.port_id = e->port_id;
  // Full by count: wait for a token on the room semaphore. Otherwise the socket's bytes were full.
  bool counted = page != nullptr && page->queued.load() >= page->qlimit.load();
  // Our own port cannot die under us: then only its room matters.
  bool watch_socket = !(e->recv && counted);
  bool ok = true;
  if (watch_socket) {
    w.dest_fd = dup_cloexec(socket_fd);
    epoll_event ev{};
    ev.events = counted ? EPOLLRDHUP : (EPOLLOUT | EPOLLRDHUP);  // hang-ups report either way
    ev.data.u64 = 1;
    ok = w.dest_fd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, w.dest_fd, &ev) == 0;
  }
  if (ok && counted) {
    PageMap &pm = s.pages[w.port_id];
    w.room_fd = dup_cloexec(pm.room_fd);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 2;
    ok = w.room_fd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, w.room_fd, &ev) == 0;
    if (ok) {
      pm.refs++;
      w.page = page;
      page->waiters.fetch_add(1);
      // A slot freed before we counted ourselves posted no token: post one for ourselves.
      if (page->queued.load() < page->qlimit.load()) page_post(page, w.room_fd, 1);
    }
  }
  if (!ok) {
    close_fd(w.dest_fd);
    close_fd(w.room_fd);
    close(ep);
    return KERN_RESOURCE_SHORTAGE;
  }
  s.send_watches[ep] = w;
  *fd_out = ep;
  return KERN_SUCCESS;
}

kern_return_t tsmig_watch_ack(int watch_fd) {
  Space &s = space();
  Lock lk(s.mu);
  auto it = s.send_watches.find(watch_fd);
  if (it != s.send_watches.end() && it->second.room_fd >= 0) {
    // Take the token that made the watch readable: the next one comes with the next freed slot.
    if (it->second.page != nullptr) page_take(it->second.page, it->second.room_fd);
  }
  return KERN_SUCCESS;
}

kern_return_t tsmig_watch_close(int watch_fd) {
  Space &s = space();
  Lock lk(s.mu);
  auto it = s.send_watches.find(watch_fd);
  if (it != s.send_watches.end()) {
    SendWatch &w = it->second;
    if (w.page != nullptr) {
      w.page->waiters.fetch_sub(1);
      // Leaving with room we were told about: let the next waiter have it.
      if (w.page->queued.load() < w.page->qlimit.load()) page_post(w.page, w.room_fd, 1);
      unref_page(s, w.port_id);
    }
    close_fd(w.room_fd);
    close_fd(w.dest_fd);
    s.send_watches.erase(it);
  }
  if (close(watch_fd) != 0) return KERN_INVALID_ARGUMENT;
  return KERN_SUCCESS;
}

kern_return_t tsmig_space_stats(tsmig_space_stats_t *out) {
  if (out == nullptr) return KERN_INVALID_ARGUMENT;
  Space &s = space();
  Lock lk(s.mu);
  tsmig_space_stats_t st{};
  auto fd = [&](int f) { st.descriptors += f >= 0 ? 1 : 0; };
  for (uint32_t i = 2; i < s.table.size(); i++) {
    Entry &e = s.table[i];
    if (!e.used) continue;
    st.names++;
    if (e.rights & MACH_PORT_TYPE_RECEIVE) st.receive_rights++;
    if (e.rights & MACH_PORT_TYPE_SEND) st.send_rights++;
    if (e.rights & MACH_PORT_TYPE_SEND_ONCE) st.send_once_rights++;
    if (e.rights & MACH_PORT_TYPE_PORT_SET) st.port_sets++;
    if (e.rights & MACH_PORT_TYPE_DEAD_NAME) st.dead_names++;
    fd(e.fd);
    fd(e.dn_fd);
    if (e.recv) {
      ReceivePort &rp = *e.recv;
      fd(rp.epfd);
      for (auto &kv : rp.families) {
        fd(kv.second.fd);
        fd(kv.second.idle_send);
      }
      fd(rp.home_send_fd);
      fd(rp.page_fd);  // (its room eventfd belongs to the page map, counted below)
      fd(rp.ns_fd);
      fd(rp.pd_fd);
      if (rp.stash) {
        for (int f : rp.stash->fds) fd(f);
      }
    }
    if (e.pset) fd(e.pset->epfd);
  }
  for (auto &kv : s.regions) {
    fd(kv.second.fd);
    if (kv.second.state != RegionState::Away) st.ool_bytes += kv.second.len;
  }
  for (auto &kv : s.pages) fd(kv.second.room_fd);
  for (auto &kv : s.send_watches) {
    fd(kv.second.room_fd);
    fd(kv.second.dest_fd);
  }
  for (int k = 1; k <= TASK_MAX_SPECIAL_PORT; k++) fd(s.special[k].fd);
  fd(s.monitor.epfd);
  fd(s.wake_fd);
  fd(s.stash_fd);
  st.rejected_datagrams = s.rejected;
  st.send_once_reused = s.once_reused;
  *out = st;
  return KERN_SUCCESS;
}

kern_return_t tsmig_send_right_to_fd(mach_port_name_t name, int *fd_out) {
  if (fd_out == nullptr) return KERN_INVALID_ARGUMENT;
  Space &s = space();
  Lock lk(s.mu);
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  int fd;
  if (e->recv) {
    bool owned;
    uint64_t token;
    if (export_send(s, *e->recv, fd, owned, token) != KERN_SUCCESS) return KERN_RESOURCE_SHORTAGE;
    if (!owned) fd = dup_cloexec(fd);
    e->recv->mscount++;
  } else if (e->rights & MACH_PORT_TYPE_SEND) {
    fd = dup_cloexec(e->fd);
  } else {
    return KERN_INVALID_RIGHT;
  }
  if (fd < 0) return KERN_RESOURCE_SHORTAGE;
  *fd_out = fd;
  return KERN_SUCCESS;
}

kern_return_t tsmig_fd_to_send_right(int fd, mach_port_name_t *name_out) {
  uint64_t id = 0;
  if (name_out == nullptr || fd < 0 || !validate_send_fd(fd, id)) {
    if (fd >= 0) close(fd);
    return KERN_INVALID_ARGUMENT;
  }
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  Space &s = space();
  Lock lk(s.mu);
  CarriedRight c;
  c.kind = REC_SEND;
  c.id = id;
  c.fd = fd;
  c.fd_owned = true;
  kern_return_t kr;
  mach_port_name_t n = install_right(s, c, kr);
  if (n == MACH_PORT_DEAD) return kr != KERN_SUCCESS ? kr : KERN_RESOURCE_SHORTAGE;
  *name_out = n;
  return KERN_SUCCESS;
}

kern_return_t tsmig_ool_trim(void) {
  Space &s = space();
  Lock lk(s.mu);
  trim_pools(s, true);
  return KERN_SUCCESS;
}

}  // extern "C"
