// Linux emulation: fork(). As in Mach, a forked child starts with a fresh IPC
// space that holds only the task's special ports (the bootstrap port...), so
// code that sets the bootstrap port before fork() works unchanged. The space
// lock is held across fork(); in the child, the handler does only
// async-signal-safe work (close, dup, mmap, plain stores): it closes every
// descriptor the parent's rights hold, gives bootstrap_port a name for the
// bootstrap special port (as Mach's libc does in the child), and turns shared
// out-of-line mappings into private ones. The data structures
// are rebuilt on the child's first call into the library.

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <new>

#include <tsmig/bootstrap.h>

#include "internal.h"

namespace tsmig::lx {

std::atomic<bool> g_reset_pending{false};

namespace {

void raw_close(int &fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

void before_fork() {
  Space *s = raw_space();
  if (s == nullptr) return;
  s->mu.lock();
  // The child may need one name for its bootstrap port and cannot allocate: reserve a slot now.
  s->fork_slot = 0;
  if (s->special[TASK_BOOTSTRAP_PORT].fd >= 0) {
    for (uint32_t i : s->free_indices) {
      if (i < s->table.size() && !s->table[i].used) s->fork_slot = i;
    }
    if (s->fork_slot == 0) {
      s->fork_slot = static_cast<uint32_t>(s->table.size());
      s->table.emplace_back();
      s->free_indices.push_back(s->fork_slot);
    }
  }
}

void after_fork_parent() {
  if (Space *s = raw_space()) s->mu.unlock();
}

void after_fork_child() {
  Space *sp = raw_space();
  if (sp == nullptr) return;
  Space &s = *sp;
  // New ids from here on: the parent goes on drawing from the same sequence.
  uint64_t seed = 0;
  if (syscall(SYS_getrandom, &seed, sizeof seed, GRND_NONBLOCK) != static_cast<long>(sizeof seed)) {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    seed = static_cast<uint64_t>(ts.tv_nsec) ^ (static_cast<uint64_t>(getpid()) << 40);
  }
  s.id_state ^= seed;
  const SpecialPort &boot = s.special[TASK_BOOTSTRAP_PORT];
  Entry *kept = lookup(s, bootstrap_port);
  if (kept != nullptr && (boot.fd < 0 || kept->port_id != boot.id || !(kept->rights & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE))))
    kept = nullptr;
  for (uint32_t i = 2; i < s.table.size(); i++) {
    Entry &e = s.table[i];
    if (!e.used) continue;
    raw_close(e.fd);
    raw_close(e.dn_fd);
    e.dn_token = 0;
    e.page = nullptr;
    if (e.recv) {
      ReceivePort &rp = *e.recv;
      for (auto &kv : rp.families) {
        raw_close(kv.second.fd);
        raw_close(kv.second.idle_send);
      }
      raw_close(rp.home_send_fd);
      raw_close(rp.page_fd);
      rp.room_fd = -1;  // owned by the page map, closed below
      raw_close(rp.ns_fd);
      raw_close(rp.pd_fd);
      raw_close(rp.epfd);
      rp.page = nullptr;
      if (rp.stash) {
        for (int &fd : rp.stash->fds) raw_close(fd);
      }
    }
    if (e.pset) raw_close(e.pset->epfd);
  }
  if (boot.fd >= 0) {
    // As Mach's libc does in a forked child, bootstrap_port names a send right to the bootstrap port.
    Entry *e = kept;
    if (e == nullptr && s.fork_slot != 0 && s.fork_slot < s.table.size()) {
      e = &s.table[s.fork_slot];
      e->used = true;
      bootstrap_port = (s.fork_slot << 8) | e->gen;
    }
    if (e != nullptr) {
      e->kept_after_fork = true;
      e->port_id = boot.id;
      e->fd = fcntl(boot.fd, F_DUPFD_CLOEXEC, 0);
    } else {
      bootstrap_port = MACH_PORT_NULL;
    }
  } else {
    bootstrap_port = MACH_PORT_NULL;
  }
  for (auto &kv : s.pages) {
    munmap(kv.second.page, 4096);
    raw_close(kv.second.room_fd);
  }
  for (auto &kv : s.send_watches) {
    raw_close(kv.second.room_fd);
    raw_close(kv.second.dest_fd);
    int watch = kv.first;
    raw_close(watch);
  }
  raw_close(s.monitor.epfd);
  s.monitor.started = false;
  for (auto &kv : s.regions) {
    Region &r = kv.second;
    if (r.kind != RegionKind::Segment) continue;
    if (r.state == RegionState::Owned && r.fd >= 0) {
      // Shared with the parent until now: the child gets a private copy-on-write view, as Mach copies.
      mmap(reinterpret_cast<void *>(r.addr), r.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, r.fd, 0);
      r.kind = RegionKind::PrivateCopy;
    } else if (r.state != RegionState::Owned) {
      munmap(reinterpret_cast<void *>(r.addr), r.len);
      r.state = RegionState::Away;
    }
    raw_close(r.fd);
  }
  new (&s.mu) std::mutex();
  new (&s.direct_cv) std::condition_variable();
  g_reset_pending.store(true, std::memory_order_release);
}

}  // namespace

void install_fork_handlers() { pthread_atfork(before_fork, after_fork_parent, after_fork_child); }

void reset_space_after_fork_locked(Space &s) {
  s.by_id.clear();
  for (uint32_t i = 2; i < s.table.size(); i++) {
    Entry &e = s.table[i];
    if (!e.used) continue;
    if (e.kept_after_fork && e.fd >= 0) {
      uint64_t id = e.port_id;
      int fd = e.fd;
      uint8_t gen = e.gen;
      e = Entry();
      e.used = true;
      e.gen = gen;
      e.rights = MACH_PORT_TYPE_SEND;
      e.urefs = 1;
      e.fd = fd;
      e.port_id = id;
      s.by_id[id] = (i << 8) | gen;
    } else {
      if (bootstrap_port == ((i << 8) | e.gen)) bootstrap_port = MACH_PORT_NULL;
      free_name(s, (i << 8) | e.gen);  // descriptors were closed by the fork handler
    }
  }
  s.pages.clear();
  s.send_watches.clear();
  s.monitor.regs.clear();
  for (auto it = s.regions.begin(); it != s.regions.end();) {
    Region &r = it->second;
    if (r.state == RegionState::Away) {
      it = s.regions.erase(it);
    } else if (r.state == RegionState::Free) {
      munmap(reinterpret_cast<void *>(r.addr), r.len);
      it = s.regions.erase(it);
    } else {
      ++it;
    }
  }
  s.free_segments.clear();
  s.free_anonymous.clear();
  s.away.clear();
  s.free_segment_bytes = s.free_anonymous_bytes = s.away_bytes = 0;
  s.epoch.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace tsmig::lx
