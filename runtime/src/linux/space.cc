// Linux emulation: the IPC space — one per process. Names look like Mach's
// (index << 8 | generation, never 0 or ~0), rights to one port coalesce
// under one name with user references, and every mach_port_* call of the API
// is answered here with Mach's return codes. See README.md for the model.

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "internal.h"

extern "C" {
/** The task's own name: index 1, generation 3, as Mach's first names look. */
mach_port_t mach_task_self_ = 0x103;
}

namespace tsmig::lx {

namespace {

Space *g_space = nullptr;
std::once_flag g_once;

uint64_t mix64(uint64_t x) {
  // splitmix64: spreads a counter over 64 bits so ids of different processes do not collide.
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void init_space() {
  Space *s = new Space();  // never destroyed: threads may still call in while the process exits
  s->table.resize(2);
  s->table[1].used = true;
  s->table[1].gen = 3;
  s->table[1].rights = MACH_PORT_TYPE_SEND;
  s->wake_fd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
  s->stash_fd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof seed)) {
    seed = static_cast<uint64_t>(getpid()) << 32 ^ reinterpret_cast<uintptr_t>(s);
  }
  s->id_state = seed;
  const char *ool = getenv("TSMIG_OOL");
  s->ool_copy_mode = ool != nullptr && strcmp(ool, "copy") == 0;
  s->ool_protect_mode = ool != nullptr && strcmp(ool, "protect") == 0;
  g_space = s;
  install_fork_handlers();
}

}  // namespace

Space *raw_space() { return g_space; }


Space &space() {
  std::call_once(g_once, init_space);
  if (g_reset_pending.load(std::memory_order_acquire)) {
    Lock lk(g_space->mu);
    if (g_reset_pending.load(std::memory_order_relaxed)) {
      reset_space_after_fork_locked(*g_space);
      g_reset_pending.store(false, std::memory_order_release);
    }
  }
  return *g_space;
}

uint64_t space_epoch() { return space().epoch.load(std::memory_order_acquire); }

ReceivePort::~ReceivePort() {
  if (epfd >= 0) close(epfd);
}

PortSet::~PortSet() {
  if (epfd >= 0) close(epfd);
}

void close_fd(int fd) {
  if (fd >= 0) close(fd);
}

int dup_cloexec(int fd) { return fcntl(fd, F_DUPFD_CLOEXEC, 0); }

bool is_task_self(mach_port_name_t name) { return name == mach_task_self_; }

Entry *lookup(Space &s, mach_port_name_t name) {
  uint32_t index = name >> 8;
  if (index < 2 || index >= s.table.size()) return nullptr;
  Entry &e = s.table[index];
  if (!e.used || e.gen != (name & 0xff)) return nullptr;
  return &e;
}

mach_port_name_t alloc_name(Space &s) {
  uint32_t index;
  while (!s.free_indices.empty()) {
    index = s.free_indices.back();
    s.free_indices.pop_back();
    if (index < s.table.size() && !s.table[index].used) goto found;
  }
  if (s.table.size() >= 0xFFFFFFu) return MACH_PORT_NULL;
  index = static_cast<uint32_t>(s.table.size());
  s.table.emplace_back();
found:
  Entry &e = s.table[index];
  e.used = true;
  return (index << 8) | e.gen;
}

kern_return_t alloc_name_at(Space &s, mach_port_name_t name) {
  uint32_t index = name >> 8;
  if (index < 2 || index >= 0xFFFFFFu) return KERN_INVALID_VALUE;
  if (index >= (1u << 20)) return KERN_NO_SPACE;  // keeps the table dense enough to stay an array
  while (s.table.size() <= index) {
    s.free_indices.push_back(static_cast<uint32_t>(s.table.size()));
    s.table.emplace_back();
  }
  Entry &e = s.table[index];
  if (e.used) return KERN_NAME_EXISTS;
  e = Entry();
  e.gen = static_cast<uint8_t>(name & 0xff);
  e.used = true;
  // alloc_name skips indices that are in use, so the stale free-list slot is harmless.
  return KERN_SUCCESS;
}

void free_name(Space &s, mach_port_name_t name) {
  uint32_t index = name >> 8;
  Entry &e = s.table[index];
  uint8_t gen = static_cast<uint8_t>(e.gen + 4);
  e = Entry();
  e.gen = gen;
  s.free_indices.push_back(index);
}

uint64_t new_port_id(Space &s) {
  uint64_t id;
  do {
    id = mix64(++s.id_state);
  } while (id == 0);
  return id;
}

uint64_t new_token(Space &s) { return s.next_token++; }

mach_port_name_t receive_name(Space &s, uint64_t id) {
  auto it = s.by_id.find(id);
  if (it == s.by_id.end()) return MACH_PORT_NULL;
  Entry *e = lookup(s, it->second);
  if (e == nullptr || !(e->rights & MACH_PORT_TYPE_RECEIVE)) return MACH_PORT_NULL;
  return it->second;
}

void wake_waiters(Space &s, int epfd, bool &woken) {
  if (woken || epfd < 0) return;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, s.wake_fd, &ev) == 0) woken = true;
}

void release_if_empty(Space &s, mach_port_name_t name, Entry &e) {
  if (e.rights != 0) return;
  monitor_unwatch_dead_name(s, e);
  if (e.dn_fd >= 0) {
    // The name's last right left while a dead-name request was armed: Mach says "port deleted".
    int fd = e.dn_fd;
    e.dn_fd = -1;
    notify_port_deleted(s, fd, name);
  }
  if (e.page != nullptr) unref_page(s, e.port_id);
  free_name(s, name);
}

void drop_send(Space &s, mach_port_name_t name, Entry &e) {
  e.rights &= ~MACH_PORT_TYPE_SEND;
  e.urefs = 0;
  if (e.recv) {
    check_no_senders(s, *e.recv);
    return;
  }
  monitor_unwatch_dead_name(s, e);
  close_fd(e.fd);
  e.fd = -1;
  if (e.page != nullptr) {
    unref_page(s, e.port_id);
    e.page = nullptr;
  }
  s.by_id.erase(e.port_id);
  release_if_empty(s, name, e);
}

void make_dead(Space &s, mach_port_name_t name, Entry &e) {
  if (e.recv || !(e.rights & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE))) return;
  monitor_unwatch_dead_name(s, e);
  uint32_t refs = (e.rights & MACH_PORT_TYPE_SEND) ? e.urefs : 1;
  if (e.rights & MACH_PORT_TYPE_SEND) s.by_id.erase(e.port_id);
  close_fd(e.fd);
  e.fd = -1;
  if (e.page != nullptr) {
    unref_page(s, e.port_id);
    e.page = nullptr;
  }
  e.rights = MACH_PORT_TYPE_DEAD_NAME;
  e.urefs = refs;
  if (e.dn_fd >= 0) {
    // The notification names the dead name and holds one more reference to it, as Mach's does.
    int fd = e.dn_fd;
    e.dn_fd = -1;
    if (e.urefs < MACH_PORT_UREFS_MAX) e.urefs++;
    notify_dead_name(s, fd, name);
  }
}

bool check_dead(Space &s, mach_port_name_t name, Entry &e) {
  if (e.recv || e.fd < 0 || !(e.rights & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE))) return false;
  pollfd p{e.fd, 0, 0};
  if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR))) {
    make_dead(s, name, e);
    return true;
  }
  return false;
}

void leave_set(Space &s, ReceivePort &rp) {
  if (rp.pset == MACH_PORT_NULL) return;
  Entry *se = lookup(s, rp.pset);
  if (se != nullptr && se->pset) {
    epoll_ctl(se->pset->epfd, EPOLL_CTL_DEL, rp.epfd, nullptr);
    auto &m = se->pset->members;
    for (size_t i = 0; i < m.size(); i++) {
      if (m[i] == rp.id) {
        m.erase(m.begin() + static_cast<long>(i));
        break;
      }
    }
  }
  rp.pset = MACH_PORT_NULL;
}

void destroy_port_object(Space &s, const std::shared_ptr<ReceivePort> &rp) {
  if (rp->pd_fd >= 0) {
    // A port-destroyed request turns destruction into a move: the right goes to the notify port.
    int pd = rp->pd_fd;
    rp->pd_fd = -1;
    rp->state = PortState::InTransit;
    wake_waiters(s, rp->epfd, rp->woken);
    CarriedRight c;
    c.kind = REC_RECEIVE;
    c.id = rp->id;
    c.recv = rp;
    mach_msg_port_descriptor_t d{};
    d.disposition = MACH_MSG_TYPE_PORT_RECEIVE;
    d.type = MACH_MSG_PORT_DESCRIPTOR;
    struct {
      mach_msg_body_t body;
      mach_msg_port_descriptor_t port;
    } __attribute__((packed)) body{{1}, d};
    send_notification(s, pd, MACH_NOTIFY_PORT_DESTROYED, &body, sizeof body, &c);
    return;
  }
  rp->state = PortState::Gone;
  close_port_descriptors(s, *rp, false);
  wake_waiters(s, rp->epfd, rp->woken);
}

void destroy_receive(Space &s, mach_port_name_t name, Entry &entry) {
  std::shared_ptr<ReceivePort> rp = entry.recv;
  Entry *e = &entry;
  leave_set(s, *rp);
  if (rp->pd_fd >= 0) {
    // Taken out of the space as a message would take it; our send right, if any, keeps a family.
    quiesce_direct(s, *rp);
    rp->no_direct--;
    e = lookup(s, name);  // the lock was released while direct receivers left: look again
    if (e == nullptr || e->recv != rp) return;
    CarriedRight c;
    kern_return_t kr = copyin_right(s, name, MACH_MSG_TYPE_MOVE_RECEIVE, c);
    if (kr == KERN_SUCCESS) {
      destroy_port_object(s, rp);
      return;
    }
  }
  e->rights &= ~MACH_PORT_TYPE_RECEIVE;
  e->recv.reset();
  s.by_id.erase(rp->id);
  if (e->rights & MACH_PORT_TYPE_SEND) {
    // Our own send rights to the port become a dead name with the same references.
    e->rights = MACH_PORT_TYPE_DEAD_NAME;
    if (e->dn_fd >= 0) {
      int fd = e->dn_fd;
      e->dn_fd = -1;
      if (e->urefs < MACH_PORT_UREFS_MAX) e->urefs++;
      notify_dead_name(s, fd, name);
    }
  }
  destroy_port_object(s, rp);
  release_if_empty(s, name, *e);
}

namespace {

void destroy_port_set(Space &s, mach_port_name_t name, Entry &e) {
  std::shared_ptr<PortSet> ps = e.pset;
  for (uint64_t id : std::vector<uint64_t>(ps->members)) {
    mach_port_name_t m = receive_name(s, id);
    if (m != MACH_PORT_NULL) leave_set(s, *lookup(s, m)->recv);
  }
  ps->state = PortState::Gone;
  wake_waiters(s, ps->epfd, ps->woken);
  e.rights &= ~MACH_PORT_TYPE_PORT_SET;
  e.pset.reset();
  release_if_empty(s, name, e);
}

void destroy_send_once(Space &s, mach_port_name_t name, Entry &e) {
  // Closing the sending end unused tells the receiver to deliver a send-once notification.
  monitor_unwatch_dead_name(s, e);
  close_fd(e.fd);
  e.fd = -1;
  e.rights &= ~MACH_PORT_TYPE_SEND_ONCE;
  e.urefs = 0;
  release_if_empty(s, name, e);
}

kern_return_t check_task(ipc_space_t task) {
  return is_task_self(task) ? KERN_SUCCESS : MACH_SEND_INVALID_DEST;
}

mach_port_type_t type_of(const Entry &e) { return e.rights | (e.dn_fd >= 0 ? MACH_PORT_TYPE_DNREQUEST : 0); }

}  // namespace

}  // namespace tsmig::lx

using namespace tsmig::lx;

extern "C" {

kern_return_t mach_port_allocate(ipc_space_t task, mach_port_right_t right, mach_port_name_t *name) {
  if (kern_return_t kr = check_task(task)) return kr;
  if (name == nullptr) return KERN_INVALID_ARGUMENT;
  Space &s = space();
  Lock lk(s.mu);
  switch (right) {
    case MACH_PORT_RIGHT_RECEIVE: {
      kern_return_t kr;
      std::shared_ptr<ReceivePort> rp = make_port(s, kr);
      if (!rp) return kr;
      mach_port_name_t n = alloc_name(s);
      if (n == MACH_PORT_NULL) return KERN_NO_SPACE;
      Entry &e = *lookup(s, n);
      e.rights = MACH_PORT_TYPE_RECEIVE;
      e.recv = rp;
      e.port_id = rp->id;
      s.by_id[rp->id] = n;
      *name = n;
      return KERN_SUCCESS;
    }
    case MACH_PORT_RIGHT_PORT_SET: {
      auto ps = std::make_shared<PortSet>();
      ps->epfd = epoll_create1(EPOLL_CLOEXEC);
      if (ps->epfd < 0) return KERN_RESOURCE_SHORTAGE;
      mach_port_name_t n = alloc_name(s);
      if (n == MACH_PORT_NULL) return KERN_NO_SPACE;
      Entry &e = *lookup(s, n);
      e.rights = MACH_PORT_TYPE_PORT_SET;
      e.pset = ps;
      *name = n;
      return KERN_SUCCESS;
    }
    case MACH_PORT_RIGHT_DEAD_NAME: {
      mach_port_name_t n = alloc_name(s);
      if (n == MACH_PORT_NULL) return KERN_NO_SPACE;
      Entry &e = *lookup(s, n);
      e.rights = MACH_PORT_TYPE_DEAD_NAME;
      e.urefs = 1;
      *name = n;
      return KERN_SUCCESS;
    }
    default:
      return KERN_INVALID_VALUE;
  }
}

kern_return_t mach_port_type(ipc_space_t task, mach_port_name_t name, mach_port_type_t *ptype) {
  if (kern_return_t kr = check_task(task)) return kr;
  if (ptype == nullptr) return KERN_INVALID_ARGUMENT;
  if (is_task_self(name)) {
    *ptype = MACH_PORT_TYPE_SEND;
    return KERN_SUCCESS;
  }
  Space &s = space();
  Lock lk(s.mu);
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  check_dead(s, name, *e);
  *ptype = type_of(*e);
  return KERN_SUCCESS;
}

kern_return_t mach_port_get_refs(ipc_space_t task, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_urefs_t *refs) {
  if (kern_return_t kr = check_task(task)) return kr;
  if (refs == nullptr) return KERN_INVALID_ARGUMENT;
  if (right >= MACH_PORT_RIGHT_LABELH) return KERN_INVALID_VALUE;
  Space &s = space();
  Lock lk(s.mu);
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  check_dead(s, name, *e);
  mach_port_type_t bit = MACH_PORT_TYPE(right);
  if (!(e->rights & bit)) {
    *refs = 0;
  } else if (right == MACH_PORT_RIGHT_SEND || right == MACH_PORT_RIGHT_DEAD_NAME) {
    *refs = e->urefs;
  } else {
    *refs = 1;
  }
  return KERN_SUCCESS;
}

kern_return_t mach_port_mod_refs(ipc_space_t task, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_delta_t delta) {
  if (kern_return_t kr = check_task(task)) return kr;
  if (!MACH_PORT_VALID(name)) {
    return (right == MACH_PORT_RIGHT_SEND || right == MACH_PORT_RIGHT_SEND_ONCE) ? KERN_SUCCESS : KERN_INVALID_VALUE;
  }
  Space &s = space();
  Lock lk(s.mu);
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  check_dead(s, name, *e);
  switch (right) {
    case MACH_PORT_RIGHT_SEND:
    case MACH_PORT_RIGHT_DEAD_NAME: {
      // A send right whose port died is a dead name now; Mach adjusts its references the same way.
      bool dead = e->rights & MACH_PORT_TYPE_DEAD_NAME;
      if (right == MACH_PORT_RIGHT_DEAD_NAME && !dead) return KERN_INVALID_RIGHT;
      if (!dead && !(e->rights & MACH_PORT_TYPE_SEND)) return KERN_INVALID_RIGHT;
      if (MACH_PORT_UREFS_UNDERFLOW(e->urefs, delta)) return KERN_INVALID_VALUE;
      if (MACH_PORT_UREFS_OVERFLOW(e->urefs, delta)) return KERN_UREFS_OVERFLOW;
      e->urefs = static_cast<uint32_t>(static_cast<int64_t>(e->urefs) + delta);
      if (e->urefs == 0) {
        if (dead) {
          e->rights &= ~MACH_PORT_TYPE_DEAD_NAME;
          release_if_empty(s, name, *e);
        } else {
          drop_send(s, name, *e);
        }
      }
      return KERN_SUCCESS;
    }
    case MACH_PORT_RIGHT_RECEIVE:
      if (!(e->rights & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
      if (delta == 0) return KERN_SUCCESS;
      if (delta != -1) return KERN_INVALID_VALUE;
      destroy_receive(s, name, *e);
      return KERN_SUCCESS;
    case MACH_PORT_RIGHT_SEND_ONCE:
      if (!(e->rights & MACH_PORT_TYPE_SEND_ONCE)) return KERN_INVALID_RIGHT;
      if (delta == 0) return KERN_SUCCESS;
      if (delta != -1) return KERN_INVALID_VALUE;
      destroy_send_once(s, name, *e);
      return KERN_SUCCESS;
    case MACH_PORT_RIGHT_PORT_SET:
      if (!(e->rights & MACH_PORT_TYPE_PORT_SET)) return KERN_INVALID_RIGHT;
      if (delta == 0) return KERN_SUCCESS;
      if (delta != -1) return KERN_INVALID_VALUE;
      destroy_port_set(s, name, *e);
      return KERN_SUCCESS;
    default:
      return KERN_INVALID_VALUE;
  }
}

kern_return_t mach_port_deallocate(ipc_space_t task, mach_port_name_t name) {
  if (kern_return_t kr = check_task(task)) return kr;
  if (!MACH_PORT_VALID(name)) return KERN_INVALID_RIGHT;
  if (is_task_self(name)) return KERN_SUCCESS;
  Space &s = space();
  Lock lk(s.mu);
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  check_dead(s, name, *e);
  if (e->rights & MACH_PORT_TYPE_SEND_ONCE) {
    destroy_send_once(s, name, *e);
  } else if (e->rights & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DEAD_NAME)) {
    if (--e->urefs == 0) {
      if (e->rights & MACH_PORT_TYPE_DEAD_NAME) {
        e->rights &= ~MACH_PORT_TYPE_DEAD_NAME;
        release_if_empty(s, name, *e);
      } else {
        drop_send(s, name, *e);
      }
    }
  } else {
    return KERN_INVALID_RIGHT;
  }
  return KERN_SUCCESS;
}

kern_return_t mach_port_destroy(ipc_space_t task, mach_port_name_t name) {
  if (kern_return_t kr = check_task(task)) return kr;
  if (!MACH_PORT_VALID(name)) return KERN_INVALID_NAME;
  Space &s = space();
  Lock lk(s.mu);
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  if (e->rights & MACH_PORT_TYPE_PORT_SET) {
    destroy_port_set(s, name, *e);
    return KERN_SUCCESS;
  }
  if (e->rights & MACH_PORT_TYPE_SEND_ONCE) {
    destroy_send_once(s, name, *e);
    return KERN_SUCCESS;
  }
  if (e->rights & MACH_PORT_TYPE_SEND) {
    if (e->recv) {
      e->rights &= ~MACH_PORT_TYPE_SEND;
      e->urefs = 0;
    } else {
      e->urefs = 0;
      drop_send(s, name, *e);
      return KERN_SUCCESS;  // the name is gone (a send right never shares a name with a receive right here)
    }
  }
  if (e->rights & MACH_PORT_TYPE_RECEIVE) {
    destroy_receive(s, name, *e);
    return KERN_SUCCESS;
  }
  if (e->rights & MACH_PORT_TYPE_DEAD_NAME) {
    e->rights = 0;
    e->urefs = 0;
    release_if_empty(s, name, *e);
  }
  return KERN_SUCCESS;
}

kern_return_t mach_port_names(ipc_space_t task, mach_port_name_array_t *names, mach_msg_type_number_t *namesCnt,
                              mach_port_type_array_t *types, mach_msg_type_number_t *typesCnt) {
  if (kern_return_t kr = check_task(task)) return kr;
  if (!names || !namesCnt || !types || !typesCnt) return KERN_INVALID_ARGUMENT;
  Space &s = space();
  Lock lk(s.mu);
  std::vector<mach_port_name_t> ns;
  std::vector<mach_port_type_t> ts;
  for (uint32_t i = 2; i < s.table.size(); i++) {
    Entry &e = s.table[i];
    if (!e.used) continue;
    mach_port_name_t n = (i << 8) | e.gen;
    check_dead(s, n, e);
    if (!e.used) continue;
    ns.push_back(n);
    ts.push_back(type_of(e));
  }
  uintptr_t a = 0, b = 0;
  size_t bytes = ns.size() * sizeof(mach_port_name_t);
  if (!ns.empty()) {
    if (region_allocate(s, bytes, a, false) != KERN_SUCCESS) return KERN_RESOURCE_SHORTAGE;
    if (region_allocate(s, bytes, b, false) != KERN_SUCCESS) {
      region_deallocate(s, a, bytes);
      return KERN_RESOURCE_SHORTAGE;
    }
    memcpy(reinterpret_cast<void *>(a), ns.data(), bytes);
    memcpy(reinterpret_cast<void *>(b), ts.data(), bytes);
  }
  *names = reinterpret_cast<mach_port_name_array_t>(a);
  *types = reinterpret_cast<mach_port_type_array_t>(b);
  *namesCnt = *typesCnt = static_cast<mach_msg_type_number_t>(ns.size());
  return KERN_SUCCESS;
}

kern_return_t mach_port_move_member(ipc_space_t task, mach_port_name_t member, mach_port_name_t after) {
  if (kern_return_t kr = check_task(task)) return kr;
  Space &s = space();
  Lock lk(s.mu);
  Entry *m = lookup(s, member);
  if (m == nullptr) return KERN_INVALID_NAME;
  if (!(m->rights & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
  ReceivePort &rp = *m->recv;
  if (after == MACH_PORT_NULL) {
    if (rp.pset == MACH_PORT_NULL) return KERN_NOT_IN_SET;
    leave_set(s, rp);
    return KERN_SUCCESS;
  }
  Entry *se = lookup(s, after);
  if (se == nullptr) return KERN_INVALID_NAME;
  if (!(se->rights & MACH_PORT_TYPE_PORT_SET)) return KERN_INVALID_RIGHT;
  if (rp.pset == after) return KERN_ALREADY_IN_SET;
  leave_set(s, rp);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = rp.id;
  if (epoll_ctl(se->pset->epfd, EPOLL_CTL_ADD, rp.epfd, &ev) != 0) return KERN_RESOURCE_SHORTAGE;
  se->pset->members.push_back(rp.id);
  rp.pset = after;
  wake_direct(s, rp);
  return KERN_SUCCESS;
}

kern_return_t mach_port_get_set_status(ipc_space_t task, mach_port_name_t name, mach_port_name_array_t *members,
                                       mach_msg_type_number_t *membersCnt) {
  if (kern_return_t kr = check_task(task)) return kr;
  if (!members || !membersCnt) return KERN_INVALID_ARGUMENT;
  Space &s = space();
  Lock lk(s.mu);
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  if (!(e->rights & MACH_PORT_TYPE_PORT_SET)) return KERN_INVALID_RIGHT;
  std::vector<mach_port_name_t> ns;
  for (uint64_t id : e->pset->members) {
    mach_port_name_t n = receive_name(s, id);
    if (n != MACH_PORT_NULL) ns.push_back(n);
  }
  uintptr_t a = 0;
  if (!ns.empty()) {
    if (region_allocate(s, ns.size() * sizeof(mach_port_name_t), a, false) != KERN_SUCCESS)
      return KERN_RESOURCE_SHORTAGE;
    memcpy(reinterpret_cast<void *>(a), ns.data(), ns.size() * sizeof(mach_port_name_t));
  }
  *members = reinterpret_cast<mach_port_name_array_t>(a);
  *membersCnt = static_cast<mach_msg_type_number_t>(ns.size());
  return KERN_SUCCESS;
}

kern_return_t mach_port_set_attributes(ipc_space_t task, mach_port_name_t name, mach_port_flavor_t flavor,
                                       mach_port_info_t port_info, mach_msg_type_number_t port_infoCnt) {
  if (kern_return_t kr = check_task(task)) return kr;
  Space &s = space();
  Lock lk(s.mu);
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  if (!(e->rights & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
  ReceivePort &rp = *e->recv;
  switch (flavor) {
    case MACH_PORT_LIMITS_INFO: {
      if (port_info == nullptr || port_infoCnt < MACH_PORT_LIMITS_INFO_COUNT) return KERN_FAILURE;
      natural_t q = reinterpret_cast<mach_port_limits_t *>(port_info)->mpl_qlimit;
      if (q > MACH_PORT_QLIMIT_MAX) return KERN_INVALID_VALUE;
      rp.qlimit = q;
      if (rp.page != nullptr) {
        rp.page->qlimit.store(static_cast<int32_t>(q));
        page_post(rp.page, rp.room_fd, rp.page->waiters.load());  // senders blocked on the old limit look again
      }
      return KERN_SUCCESS;
    }
    case MACH_PORT_DNREQUESTS_SIZE:
      return KERN_SUCCESS;
    default:
      return KERN_INVALID_VALUE;
  }
}

kern_return_t mach_port_get_attributes(ipc_space_t task, mach_port_name_t name, mach_port_flavor_t flavor,
                                       mach_port_info_t port_info_out, mach_msg_type_number_t *port_info_outCnt) {
  if (kern_return_t kr = check_task(task)) return kr;
  if (port_info_out == nullptr || port_info_outCnt == nullptr) return KERN_INVALID_ARGUMENT;
  Space &s = space();
  Lock lk(s.mu);
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  if (flavor == MACH_PORT_DNREQUESTS_SIZE) {
    if (*port_info_outCnt < MACH_PORT_DNREQUESTS_SIZE_COUNT) return KERN_FAILURE;
    port_info_out[0] = 0;
    *port_info_outCnt = MACH_PORT_DNREQUESTS_SIZE_COUNT;
    return KERN_SUCCESS;
  }
  if (!(e->rights & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
  ReceivePort &rp = *e->recv;
  switch (flavor) {
    case MACH_PORT_LIMITS_INFO:
      if (*port_info_outCnt < MACH_PORT_LIMITS_INFO_COUNT) return KERN_FAILURE;
      reinterpret_cast<mach_port_limits_t *>(port_info_out)->mpl_qlimit = port_qlimit(rp);
      *port_info_outCnt = MACH_PORT_LIMITS_INFO_COUNT;
      return KERN_SUCCESS;
    case MACH_PORT_RECEIVE_STATUS: {
      if (*port_info_outCnt < MACH_PORT_RECEIVE_STATUS_COUNT) return KERN_FAILURE;
      mach_port_status_t st{};
      st.mps_pset = rp.pset;
      st.mps_seqno = rp.seqno;
      st.mps_mscount = rp.mscount;
      st.mps_qlimit = port_qlimit(rp);
      int32_t queued = rp.page != nullptr ? rp.page->queued.load() : 0;
      st.mps_msgcount = queued > 0 ? static_cast<natural_t>(queued) : 0;
      st.mps_sorights = rp.sorights;
      bool senders = (e->rights & MACH_PORT_TYPE_SEND) || rp.home_exported;
      for (auto &kv : rp.families) {
        if (kv.second.kind == FamilyKind::Send && !kv.second.senders_gone) senders = true;
      }
      st.mps_srights = senders;
      st.mps_pdrequest = rp.pd_fd >= 0;
      st.mps_nsrequest = rp.ns_fd >= 0;
      memcpy(port_info_out, &st, sizeof st);
      *port_info_outCnt = MACH_PORT_RECEIVE_STATUS_COUNT;
      return KERN_SUCCESS;
    }
    default:
      return KERN_INVALID_VALUE;
  }
}

kern_return_t mach_port_set_context(ipc_space_t task, mach_port_name_t name, mach_port_context_t context) {
  if (kern_return_t kr = check_task(task)) return kr;
  Space &s = space();
  Lock lk(s.mu);
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  if (!(e->rights & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
  e->recv->context = context;
  return KERN_SUCCESS;
}

kern_return_t mach_port_get_context(ipc_space_t task, mach_port_name_t name, mach_port_context_t *context) {
  if (kern_return_t kr = check_task(task)) return kr;
  if (context == nullptr) return KERN_INVALID_ARGUMENT;
  Space &s = space();
  Lock lk(s.mu);
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  if (!(e->rights & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
  *context = e->recv->context;
  return KERN_SUCCESS;
}

kern_return_t mach_port_insert_right(ipc_space_t task, mach_port_name_t name, mach_port_t poly,
                                     mach_msg_type_name_t polyPoly) {
  if (kern_return_t kr = check_task(task)) return kr;
  if (!MACH_PORT_VALID(name)) return KERN_INVALID_VALUE;
  if (!MACH_MSG_TYPE_PORT_ANY(polyPoly)) return KERN_INVALID_VALUE;
  Space &s = space();
  Lock lk(s.mu);
  Entry *pe = lookup(s, poly);
  if (pe == nullptr) return KERN_INVALID_NAME;
  if (name == poly) {
    // The common cases: a send right for our own receive right, or more references.
    switch (polyPoly) {
      case MACH_MSG_TYPE_MAKE_SEND:
        if (!(pe->rights & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
        if (pe->rights & MACH_PORT_TYPE_SEND) {
          if (pe->urefs >= MACH_PORT_UREFS_MAX) return KERN_UREFS_OVERFLOW;
          pe->urefs++;
        } else {
          pe->rights |= MACH_PORT_TYPE_SEND;
          pe->urefs = 1;
        }
        pe->recv->mscount++;
        return KERN_SUCCESS;
      case MACH_MSG_TYPE_COPY_SEND:
        if (!(pe->rights & MACH_PORT_TYPE_SEND)) return KERN_INVALID_RIGHT;
        if (pe->urefs >= MACH_PORT_UREFS_MAX) return KERN_UREFS_OVERFLOW;
        pe->urefs++;
        return KERN_SUCCESS;
      case MACH_MSG_TYPE_MOVE_SEND:
        return (pe->rights & MACH_PORT_TYPE_SEND) ? KERN_SUCCESS : KERN_INVALID_RIGHT;
      case MACH_MSG_TYPE_MOVE_RECEIVE:
        return (pe->rights & MACH_PORT_TYPE_RECEIVE) ? KERN_SUCCESS : KERN_INVALID_RIGHT;
      default:
        return KERN_RIGHT_EXISTS;
    }
  }
  if (lookup(s, name) != nullptr || is_task_self(name)) return KERN_NAME_EXISTS;
  CarriedRight c;
  kern_return_t kr = copyin_right(s, poly, polyPoly, c);
  if (kr != KERN_SUCCESS) return kr;
  if ((c.kind == REC_SEND || c.kind == REC_RECEIVE) && s.by_id.count(c.id)) {
    // One port has one name in a space for its send and receive rights.
    undo_copyin(s, c);
    return KERN_RIGHT_EXISTS;
  }
  if (c.kind != REC_SEND && c.kind != REC_SEND_ONCE && c.kind != REC_RECEIVE) {
    undo_copyin(s, c);
    return KERN_INVALID_CAPABILITY;
  }
  if (install_right_at(s, c, name, kr) == MACH_PORT_NULL) undo_copyin(s, c);
  return kr;
}

kern_return_t mach_port_extract_right(ipc_space_t task, mach_port_name_t name, mach_msg_type_name_t msgt_name,
                                      mach_port_t *poly, mach_msg_type_name_t *polyPoly) {
  if (kern_return_t kr = check_task(task)) return kr;
  if (poly == nullptr || polyPoly == nullptr) return KERN_INVALID_ARGUMENT;
  if (!MACH_MSG_TYPE_PORT_ANY(msgt_name)) return KERN_INVALID_VALUE;
  Space &s = space();
  Lock lk(s.mu);
  Entry *e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  if (msgt_name == MACH_MSG_TYPE_MAKE_SEND && (e->rights & MACH_PORT_TYPE_RECEIVE)) {
    // A send right to our own port lands on the receive right's name.
    if (e->rights & MACH_PORT_TYPE_SEND) {
      if (e->urefs >= MACH_PORT_UREFS_MAX) return KERN_UREFS_OVERFLOW;
      e->urefs++;
    } else {
      e->rights |= MACH_PORT_TYPE_SEND;
      e->urefs = 1;
    }
    e->recv->mscount++;
    *poly = name;
    *polyPoly = MACH_MSG_TYPE_PORT_SEND;
    return KERN_SUCCESS;
  }
  CarriedRight c;
  kern_return_t kr = copyin_right(s, name, msgt_name, c);
  if (kr != KERN_SUCCESS) return kr;
  *poly = install_right(s, c, kr);
  *polyPoly = received_type(msgt_name);
  return kr;
}

}  // extern "C"
