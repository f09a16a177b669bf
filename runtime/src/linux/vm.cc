// Linux emulation: out-of-line memory. vm_allocate hands out regions from a
// per-process pool: large ones are memfd-backed shared segments (so a region
// is already shareable), small ones anonymous. A region that is a whole
// segment, sent with deallocate, travels as its memfd — no copy; anything
// else is copied once into a fresh pool segment (or, when small, into the
// datagram). Ownership moves with the message: the sender keeps its mapping
// and remembers it by memfd inode (it must not touch it any more), so a
// segment that comes back is used again instead of faulted in anew (with
// TSMIG_OOL=protect the kept mapping is inaccessible while away). Pools and
// that cache are bounded. TSMIG_OOL=copy makes every large region a sealed
// private copy instead (see README.md, trust model).

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "internal.h"

extern "C" {
vm_size_t vm_page_size = 4096;
vm_size_t vm_page_mask = 4095;
int vm_page_shift = 12;
}

namespace tsmig::lx {

namespace {

size_t page_round(size_t n) { return (n + 4095) & ~static_cast<size_t>(4095); }

Region *find_region(Space &s, uintptr_t addr) {
  auto it = s.regions.upper_bound(addr);
  if (it == s.regions.begin()) return nullptr;
  --it;
  return addr < it->first + it->second.len ? &it->second : nullptr;
}

void erase_from(std::multimap<size_t, uintptr_t> &m, size_t len, uintptr_t addr) {
  auto range = m.equal_range(len);
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second == addr) {
      m.erase(it);
      return;
    }
  }
}

/** Unmaps a region and forgets it, whatever its state. */
void unmap_region(Space &s, uintptr_t addr) {
  auto it = s.regions.find(addr);
  if (it == s.regions.end()) return;
  Region &r = it->second;
  if (r.state == RegionState::Free) {
    if (r.kind == RegionKind::Segment) {
      erase_from(s.free_segments, r.len, addr);
      s.free_segment_bytes -= r.len;
    } else {
      erase_from(s.free_anonymous, r.len, addr);
      s.free_anonymous_bytes -= r.len;
    }
  } else if (r.state == RegionState::Away) {
    s.away.erase(r.ino);
    s.away_bytes -= r.len;
  }
  munmap(reinterpret_cast<void *>(addr), r.len);
  close_fd(r.fd);
  s.regions.erase(it);
}

void trim_to_caps(Space &s) {
  while (s.free_segment_bytes > kPoolCapSegments && !s.free_segments.empty()) {
    unmap_region(s, std::prev(s.free_segments.end())->second);
  }
  while (s.free_anonymous_bytes > kPoolCapAnonymous && !s.free_anonymous.empty()) {
    unmap_region(s, std::prev(s.free_anonymous.end())->second);
  }
  while (s.away_bytes > kAwayCap && !s.away.empty()) {
    // The mapping unused the longest goes first.
    uintptr_t victim = 0;
    uint64_t oldest = UINT64_MAX;
    for (auto &kv : s.away) {
      Region &r = s.regions[kv.second];
      if (r.last_use < oldest) {
        oldest = r.last_use;
        victim = kv.second;
      }
    }
    unmap_region(s, victim);
  }
}

/** A region the user gave back: pooled when it can be reused whole, unmapped otherwise. */
void release_region(Space &s, Region &r) {
  if (r.fragmented || r.kind == RegionKind::PrivateCopy) {
    unmap_region(s, r.addr);
    return;
  }
  r.state = RegionState::Free;
  r.last_use = ++s.use_clock;
  if (r.kind == RegionKind::Segment) {
    s.free_segments.emplace(r.len, r.addr);
    s.free_segment_bytes += r.len;
  } else {
    s.free_anonymous.emplace(r.len, r.addr);
    s.free_anonymous_bytes += r.len;
  }
  trim_to_caps(s);
}

/** A region of exactly `len` bytes from the pool or the system; zeroed from `zero_from` on. */
kern_return_t take_region(Space &s, size_t len, bool segment, uintptr_t &addr, size_t zero_from) {
  auto &pool = segment ? s.free_segments : s.free_anonymous;
  auto it = pool.find(len);
  if (it != pool.end()) {
    addr = it->second;
    pool.erase(it);
    (segment ? s.free_segment_bytes : s.free_anonymous_bytes) -= len;
    Region &r = s.regions[addr];
    r.state = RegionState::Owned;
    r.last_use = ++s.use_clock;
    if (zero_from < len) memset(reinterpret_cast<void *>(addr + zero_from), 0, len - zero_from);
    return KERN_SUCCESS;
  }
  Region r;
  r.len = len;
  r.last_use = ++s.use_clock;
  void *p;
  if (segment) {
    int fd = memfd_create("tsmig-ool", MFD_CLOEXEC);
    if (fd < 0) return KERN_RESOURCE_SHORTAGE;
    if (ftruncate(fd, static_cast<off_t>(len)) != 0) {
      close(fd);
      return KERN_RESOURCE_SHORTAGE;
    }
    p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      close(fd);
      return KERN_RESOURCE_SHORTAGE;
    }
    r.kind = RegionKind::Segment;
    r.fd = fd;
    r.ino = inode_of(fd);
  } else {
    p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return KERN_RESOURCE_SHORTAGE;
    r.kind = RegionKind::Anonymous;
  }
  r.addr = reinterpret_cast<uintptr_t>(p);
  addr = r.addr;
  s.regions.emplace(addr, r);
  return KERN_SUCCESS;
}

bool g_vm_readv_works = true;

}  // namespace

bool safe_copy(void *dst, const void *src, size_t n) {
  if (n == 0) return true;
  if (g_vm_readv_works) {
    // The kernel copies from our own address space and reports a bad range instead of faulting.
    iovec local{dst, n};
    iovec remote{const_cast<void *>(src), n};
    ssize_t r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    if (r == static_cast<ssize_t>(n)) return true;
    if (r >= 0 || errno == EFAULT) return false;
    g_vm_readv_works = false;  // not allowed here (seccomp): copy directly from now on
  }
  memcpy(dst, src, n);
  return true;
}

kern_return_t region_allocate(Space &s, size_t size, uintptr_t &addr, bool shareable) {
  size_t len = page_round(size);
  if (len < size) return KERN_INVALID_ARGUMENT;
  return take_region(s, len, shareable || len >= kSegmentMin, addr, 0);
}

kern_return_t region_deallocate(Space &s, uintptr_t addr, size_t size) {
  if (size == 0) return KERN_SUCCESS;
  uintptr_t start = addr & ~static_cast<uintptr_t>(4095);
  uintptr_t end = page_round(addr + size);
  if (end < start || addr + size < addr) return KERN_INVALID_ADDRESS;
  uintptr_t cur = start;
  while (cur < end) {
    Region *r = find_region(s, cur);
    if (r == nullptr) {
      // Memory the runtime did not hand out: deallocated as Mach would, page by page.
      auto next = s.regions.lower_bound(cur);
      uintptr_t stop = next == s.regions.end() ? end : std::min<uintptr_t>(end, next->first);
      munmap(reinterpret_cast<void *>(cur), stop - cur);
      cur = stop;
      continue;
    }
    uintptr_t rs = r->addr, re = r->addr + r->len;
    if (r->state != RegionState::Owned) {
      cur = re;  // pooled or cached memory is not the caller's to free
      continue;
    }
    if (cur == rs && end >= re) {
      release_region(s, *r);
      cur = re;
      continue;
    }
    // Part of a region: unmap that part and keep the rest as fragments that are never pooled.
    uintptr_t ps = std::max(cur, rs), pe = std::min(end, re);
    Region keep = *r;
    s.regions.erase(rs);
    munmap(reinterpret_cast<void *>(ps), pe - ps);
    close_fd(keep.fd);
    keep.fd = -1;
    keep.fragmented = true;
    if (ps > rs) {
      Region a = keep;
      a.len = ps - rs;
      s.regions.emplace(rs, a);
    }
    if (re > pe) {
      Region b = keep;
      b.addr = pe;
      b.len = re - pe;
      s.regions.emplace(pe, b);
    }
    cur = pe;
  }
  return KERN_SUCCESS;
}

mach_msg_return_t copyin_region(Space &s, OutMessage &msg, const void *addr, size_t size, bool deallocate,
                                CarriedRegion &r) {
  r = CarriedRegion();
  r.size = static_cast<uint32_t>(size);
  if (size == 0) {
    r.kind = REC_OOL_EMPTY;
    return MACH_MSG_SUCCESS;
  }
  if (addr == nullptr) return MACH_SEND_INVALID_MEMORY;
  uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  if (deallocate) {
    r.dealloc_addr = a;
    r.dealloc_size = size;
  }
  if (size <= kInlineRegionMax && msg.inline_data.size() + size <= kInlineBudget) {
    size_t off = msg.inline_data.size();
    msg.inline_data.resize(off + size);
    if (!safe_copy(msg.inline_data.data() + off, addr, size)) {
      msg.inline_data.resize(off);
      return MACH_SEND_INVALID_MEMORY;
    }
    r.kind = REC_OOL_INLINE;
    r.value = off;
    return MACH_MSG_SUCCESS;
  }
  size_t len = page_round(size);
  if (s.ool_copy_mode) {
    // A sealed private copy: the receiver can check nobody can change it any more.
    int fd = memfd_create("tsmig-ool-copy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return MACH_SEND_NO_BUFFER;
    void *p = MAP_FAILED;
    if (ftruncate(fd, static_cast<off_t>(len)) == 0) p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      close(fd);
      return MACH_SEND_NO_BUFFER;
    }
    bool copied = safe_copy(p, addr, size);
    munmap(p, len);
    if (!copied) {
      close(fd);
      return MACH_SEND_INVALID_MEMORY;
    }
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
      close(fd);
      return MACH_SEND_NO_BUFFER;
    }
    r.kind = REC_OOL_SEALED;
    r.value = len;
    r.fd = fd;
    r.fd_owned = true;
    return MACH_MSG_SUCCESS;
  }
  Region *g = find_region(s, a);
  if (deallocate && g != nullptr && g->kind == RegionKind::Segment && g->state == RegionState::Owned &&
      !g->fragmented && g->fd >= 0 && a == g->addr && len == g->len) {
    // A whole segment the sender gives away: its memfd goes, nothing is copied.
    r.kind = REC_OOL_MEMFD;
    r.value = g->len;
    r.fd = g->fd;
    r.sent_segment = g->addr;
    r.segment_was_owned = true;
    r.dealloc_addr = 0;
    r.dealloc_size = 0;
    return MACH_MSG_SUCCESS;
  }
  uintptr_t seg;
  if (take_region(s, len, true, seg, size) != KERN_SUCCESS) return MACH_SEND_NO_BUFFER;
  if (!safe_copy(reinterpret_cast<void *>(seg), addr, size)) {
    release_region(s, s.regions[seg]);
    return MACH_SEND_INVALID_MEMORY;
  }
  Region &copy = s.regions[seg];
  r.kind = REC_OOL_MEMFD;
  r.value = copy.len;
  r.fd = copy.fd;
  r.sent_segment = seg;
  r.segment_was_owned = false;
  return MACH_MSG_SUCCESS;
}

void undo_region(Space &s, CarriedRegion &r) {
  if (r.sent_segment != 0 && !r.segment_was_owned) {
    auto it = s.regions.find(r.sent_segment);
    if (it != s.regions.end()) release_region(s, it->second);
  }
  if (r.fd_owned) close_fd(r.fd);
  r = CarriedRegion();
}

void commit_region(Space &s, CarriedRegion &r) {
  if (r.sent_segment != 0) {
    auto it = s.regions.find(r.sent_segment);
    if (it != s.regions.end()) {
      // The segment belongs to the receiver now: keep the mapping, inaccessible, in case it comes back.
      Region &g = it->second;
      // Kept mapped for the day it comes back. Made inaccessible only on request: changing the page
      // tables costs a fault per page on the next touch, 20x the transfer itself on paravirtual VMs.
      if (s.ool_protect_mode) mprotect(reinterpret_cast<void *>(g.addr), g.len, PROT_NONE);
      close_fd(g.fd);
      g.fd = -1;
      g.state = RegionState::Away;
      g.last_use = ++s.use_clock;
      auto old = s.away.find(g.ino);
      if (old != s.away.end() && old->second != g.addr) unmap_region(s, old->second);
      s.away[g.ino] = g.addr;
      s.away_bytes += g.len;
      trim_to_caps(s);
    }
  }
  if (r.fd_owned) close_fd(r.fd);
  if (r.dealloc_addr != 0) region_deallocate(s, r.dealloc_addr, r.dealloc_size);
  r = CarriedRegion();
}

kern_return_t receive_region(Space &s, uint8_t kind, uint32_t size, uint64_t value, int fd, const uint8_t *inline_data,
                             uintptr_t &addr) {
  addr = 0;
  switch (kind) {
    case REC_OOL_EMPTY:
      return KERN_SUCCESS;
    case REC_OOL_INLINE: {
      kern_return_t kr = region_allocate(s, size, addr, false);
      if (kr != KERN_SUCCESS) return kr;
      memcpy(reinterpret_cast<void *>(addr), inline_data, size);
      return KERN_SUCCESS;
    }
    case REC_OOL_MEMFD:
    case REC_OOL_SEALED: {
      struct stat st;
      if (fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != value || value < size || (value & 4095) != 0 ||
          value == 0) {
        close(fd);
        return KERN_INVALID_ARGUMENT;
      }
      size_t len = static_cast<size_t>(value);
      if (kind == REC_OOL_SEALED) {
        int seals = fcntl(fd, F_GET_SEALS);
        if (seals < 0 || (seals & (F_SEAL_WRITE | F_SEAL_SHRINK)) != (F_SEAL_WRITE | F_SEAL_SHRINK)) {
          close(fd);
          return KERN_INVALID_ARGUMENT;
        }
        void *p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        close(fd);
        if (p == MAP_FAILED) return KERN_RESOURCE_SHORTAGE;
        Region r;
        r.addr = reinterpret_cast<uintptr_t>(p);
        r.len = len;
        r.kind = RegionKind::PrivateCopy;
        s.regions.emplace(r.addr, r);
        addr = r.addr;
        return KERN_SUCCESS;
      }
      uint64_t ino = static_cast<uint64_t>(st.st_ino);
      auto away = s.away.find(ino);
      if (away != s.away.end()) {
        Region &g = s.regions[away->second];
        if (g.len == len &&
            (!s.ool_protect_mode || mprotect(reinterpret_cast<void *>(g.addr), len, PROT_READ | PROT_WRITE) == 0)) {
          // A segment we sent earlier came back: the mapping is still there, no page faults.
          s.away.erase(away);
          s.away_bytes -= len;
          g.state = RegionState::Owned;
          g.fd = fd;
          g.last_use = ++s.use_clock;
          addr = g.addr;
          return KERN_SUCCESS;
        }
        unmap_region(s, away->second);
      }
      void *p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (p == MAP_FAILED) {
        close(fd);
        return KERN_RESOURCE_SHORTAGE;
      }
      Region r;
      r.addr = reinterpret_cast<uintptr_t>(p);
      r.len = len;
      r.kind = RegionKind::Segment;
      r.fd = fd;
      r.ino = ino;
      r.last_use = ++s.use_clock;
      s.regions.emplace(r.addr, r);
      addr = r.addr;
      return KERN_SUCCESS;
    }
    default:
      close_fd(fd);
      return KERN_INVALID_ARGUMENT;
  }
}

void trim_pools(Space &s, bool everything) {
  if (!everything) {
    trim_to_caps(s);
    return;
  }
  while (!s.free_segments.empty()) unmap_region(s, s.free_segments.begin()->second);
  while (!s.free_anonymous.empty()) unmap_region(s, s.free_anonymous.begin()->second);
  while (!s.away.empty()) unmap_region(s, s.away.begin()->second);
}

}  // namespace tsmig::lx

using namespace tsmig::lx;

extern "C" {

kern_return_t vm_allocate(vm_map_t target_task, vm_address_t *address, vm_size_t size, int flags) {
  if (!is_task_self(target_task)) return MACH_SEND_INVALID_DEST;
  if (address == nullptr) return KERN_INVALID_ARGUMENT;
  if (size == 0) {
    *address = 0;
    return KERN_SUCCESS;
  }
  if (flags & ~VM_FLAGS_ANYWHERE) return KERN_INVALID_ARGUMENT;
  Space &s = space();
  Lock lk(s.mu);
  if (!(flags & VM_FLAGS_ANYWHERE)) {
    // A fixed address: fresh anonymous memory exactly there, or KERN_NO_SPACE if anything is mapped.
    uintptr_t at = *address & ~static_cast<uintptr_t>(4095);
    size_t len = page_round(size + (*address - at));
    void *p = mmap(reinterpret_cast<void *>(at), len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED) return KERN_NO_SPACE;
    if (reinterpret_cast<uintptr_t>(p) != at) {
      munmap(p, len);
      return KERN_NO_SPACE;
    }
    Region r;
    r.addr = at;
    r.len = len;
    r.kind = RegionKind::Anonymous;
    r.fragmented = true;  // the caller chose the address: never pooled
    s.regions.emplace(at, r);
    *address = at;
    return KERN_SUCCESS;
  }
  uintptr_t a;
  kern_return_t kr = region_allocate(s, size, a, false);
  if (kr == KERN_SUCCESS) *address = a;
  return kr;
}

kern_return_t vm_deallocate(vm_map_t target_task, vm_address_t address, vm_size_t size) {
  if (!is_task_self(target_task)) return MACH_SEND_INVALID_DEST;
  Space &s = space();
  Lock lk(s.mu);
  return region_deallocate(s, address, size);
}

kern_return_t mach_vm_allocate(vm_map_t target, mach_vm_address_t *address, mach_vm_size_t size, int flags) {
  if (address == nullptr) return KERN_INVALID_ARGUMENT;
  vm_address_t a = static_cast<vm_address_t>(*address);
  kern_return_t kr = vm_allocate(target, &a, static_cast<vm_size_t>(size), flags);
  if (kr == KERN_SUCCESS) *address = a;
  return kr;
}

kern_return_t mach_vm_deallocate(vm_map_t target, mach_vm_address_t address, mach_vm_size_t size) {
  return vm_deallocate(target, static_cast<vm_address_t>(address), static_cast<vm_size_t>(size));
}

}  // extern "C"
