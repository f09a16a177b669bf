// Linux emulation: the tsmig runtime extensions of <tsmig/runtime.h> — the
// watch descriptor an event loop polls, space statistics for leak tests,
// send rights as plain descriptors (to hand a port to a child), and trimming
// the out-of-line caches.

#include <fcntl.h>
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
  if (e->recv) {
    *fd_out = e->recv->epfd;
  } else if (e->pset) {
    *fd_out = e->pset->epfd;
  } else {
    return KERN_INVALID_RIGHT;
  }
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
      for (auto &kv : rp.families) fd(kv.second.fd);
      fd(rp.home_send_fd);
      fd(rp.page_fd);
      fd(rp.ns_fd);
      fd(rp.pd_fd);
    }
    if (e.pset) fd(e.pset->epfd);
  }
  for (auto &kv : s.regions) {
    fd(kv.second.fd);
    if (kv.second.state != RegionState::Away) st.ool_bytes += kv.second.len;
  }
  for (int k = 1; k <= TASK_MAX_SPECIAL_PORT; k++) fd(s.special[k].fd);
  fd(s.monitor.epfd);
  fd(s.wake_fd);
  st.rejected_datagrams = s.rejected;
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
