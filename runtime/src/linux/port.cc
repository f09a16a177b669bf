// Linux emulation: ports and their families. A port's receive side is a set
// of SOCK_SEQPACKET socket pairs ("families") watched by one epoll; the
// receiving ends stay with the receive right, the sending ends are the send
// rights that travel. A family's receiving end sees EOF once every copy of
// its sending end is closed, which is how send-once rights and no-senders are
// detected. Each port also owns a queue page (a shared memfd page) that
// counts queued messages for the queue limit; the page and the port id reach
// senders through each family's mailbox (wire.h).

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "internal.h"

namespace tsmig::lx {

namespace {

constexpr size_t kPageSize = 4096;

kern_return_t resource_error() {
  return (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) ? KERN_RESOURCE_SHORTAGE
                                                                                      : KERN_FAILURE;
}

/** Writes the family's mailbox from the receiving end (before SO_PASSCRED, which would autobind it). */
bool write_mailbox(int recv_fd, uint64_t port_id, int page_fd, int room_fd) {
  Mailbox mb{kWireMagic, kWireVersion, port_id};
  iovec iov{&mb, sizeof mb};
  int fds[2] = {page_fd, room_fd};
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof fds)];
  memset(cbuf, 0, sizeof cbuf);
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof fds);
  memcpy(CMSG_DATA(c), fds, sizeof fds);
  return sendmsg(recv_fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof mb);
}

}  // namespace

uint64_t inode_of(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_ino);
}

std::shared_ptr<ReceivePort> make_port(Space &s, kern_return_t &kr) {
  auto rp = std::make_shared<ReceivePort>();
  rp->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (rp->epfd < 0) {
    kr = resource_error();
    return nullptr;
  }
  rp->id = new_port_id(s);
  kr = KERN_SUCCESS;
  return rp;
}

QueuePage *map_page(int fd, uint64_t expect_id) {
  struct stat st;
  if (fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) < kPageSize) return nullptr;
  void *p = mmap(nullptr, kPageSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return nullptr;
  auto *page = static_cast<QueuePage *>(p);
  if (page->magic != kPageMagic || (expect_id != 0 && page->port_id != expect_id)) {
    munmap(p, kPageSize);
    return nullptr;
  }
  return page;
}

void unref_page(Space &s, uint64_t id) {
  auto it = s.pages.find(id);
  if (it == s.pages.end()) return;
  if (--it->second.refs == 0) {
    munmap(it->second.page, kPageSize);
    close_fd(it->second.room_fd);
    s.pages.erase(it);
  }
}

int page_room_fd(Space &s, uint64_t id) {
  auto it = s.pages.find(id);
  return it == s.pages.end() ? -1 : it->second.room_fd;
}

kern_return_t ensure_page(Space &s, ReceivePort &rp) {
  if (rp.page != nullptr) return KERN_SUCCESS;
  int fd = memfd_create("tsmig-queue", MFD_CLOEXEC);
  if (fd < 0) return resource_error();
  int room = eventfd(0, EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK);
  if (room < 0 || ftruncate(fd, kPageSize) != 0) {
    close(fd);
    close_fd(room);
    return KERN_RESOURCE_SHORTAGE;
  }
  if (s.pages.count(rp.id) != 0) {
    // Only a port that never had a page gets one here, so nobody can have mapped it yet.
    close(fd);
    close(room);
    return KERN_FAILURE;
  }
  void *p = mmap(nullptr, kPageSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    close(fd);
    close(room);
    return KERN_RESOURCE_SHORTAGE;
  }
  auto *page = static_cast<QueuePage *>(p);
  s.pages[rp.id] = PageMap{page, 1, room};
  page->magic = kPageMagic;
  page->version = kWireVersion;
  page->port_id = rp.id;
  page->queued.store(0);
  page->qlimit.store(static_cast<int32_t>(rp.qlimit));
  page->waiters.store(0);
  page->tokens.store(0);
  rp.page_fd = fd;
  rp.page = page;
  rp.room_fd = room;
  return KERN_SUCCESS;
}

uint32_t port_qlimit(const ReceivePort &rp) {
  return rp.page != nullptr ? static_cast<uint32_t>(rp.page->qlimit.load()) : rp.qlimit;
}

bool page_reserve(QueuePage *page) {
  int32_t q = page->queued.load(std::memory_order_relaxed);
  for (;;) {
    if (q >= page->qlimit.load(std::memory_order_relaxed)) return false;
    if (page->queued.compare_exchange_weak(q, q + 1, std::memory_order_acq_rel)) return true;
  }
}

void page_post(QueuePage *page, int room_fd, int32_t tokens) {
  if (room_fd < 0 || tokens <= 0) return;
  int32_t have = page->tokens.load();
  int32_t want;
  do {
    want = std::min(tokens, page->waiters.load() - have);
    if (want <= 0) return;
  } while (!page->tokens.compare_exchange_weak(have, have + want));
  uint64_t n = static_cast<uint64_t>(want);
  ssize_t w = write(room_fd, &n, sizeof n);
  (void)w;  // a full counter (2^64 - 2 tokens) means waiters will find room anyway
}

bool page_take(QueuePage *page, int room_fd) {
  uint64_t v;
  if (read(room_fd, &v, sizeof v) != static_cast<ssize_t>(sizeof v)) return false;
  int32_t have = page->tokens.load();
  while (have > 0 && !page->tokens.compare_exchange_weak(have, have - 1)) {
  }
  return true;
}

void page_release(QueuePage *page, int room_fd) {
  // Sequentially consistent on both sides: a waiter counts itself, then looks at `queued`.
  // Never below zero: a datagram that claims a slot nobody reserved (a forged WIRE_COUNTED)
  // must not give other senders room beyond the limit.
  int32_t q = page->queued.load();
  while (q > 0 && !page->queued.compare_exchange_weak(q, q - 1)) {
  }
  if (q > 0) page_post(page, room_fd, 1);
}

kern_return_t make_family(Space &s, ReceivePort &rp, FamilyKind kind, int &send_fd, uint64_t &token) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return resource_error();
  int recv_fd = sv[0];
  int snd = sv[1];
  int bufsize = kSendBuffer;
  setsockopt(snd, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof bufsize);
  if (kind != FamilyKind::SendOnce) {
    // Send families are coalesced and counted: they need the mailbox (id + queue page) and the inode.
    kern_return_t kr = ensure_page(s, rp);
    if (kr != KERN_SUCCESS || !write_mailbox(recv_fd, rp.id, rp.page_fd, rp.room_fd)) {
      close(recv_fd);
      close(snd);
      return kr != KERN_SUCCESS ? kr : KERN_RESOURCE_SHORTAGE;
    }
  }
  int one = 1;
  setsockopt(recv_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  token = new_token(s);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = token;
  if (epoll_ctl(rp.epfd, EPOLL_CTL_ADD, recv_fd, &ev) != 0) {
    kern_return_t kr = resource_error();
    close(recv_fd);
    close(snd);
    return kr == KERN_FAILURE ? KERN_RESOURCE_SHORTAGE : kr;
  }
  Family f;
  f.fd = recv_fd;
  f.kind = kind;
  if (kind == FamilyKind::SendOnce) f.send_ino = inode_of(snd);
  rp.families.emplace(token, f);
  wake_direct(s, rp);  // a thread blocked on home alone would not see this family's messages
  if (kind == FamilyKind::SendOnce) rp.sorights++;
  if (kind == FamilyKind::Send && rp.ns_fd >= 0) monitor_watch_family(s, rp, token);
  send_fd = snd;
  return KERN_SUCCESS;
}

int lend_idle_once(Space &s, ReceivePort &rp, uint64_t dest_id, uint64_t &token) {
  if (dest_id == 0) return -1;
  // The newest resting family that last went to the same port: a process that kept a copy of a
  // sending end it was once given (only a hostile one would) can then only speak, as a reply, to
  // messages sent to the port it received that right on.
  for (size_t i = rp.idle_once.size(); i-- > 0;) {
    auto it = rp.families.find(rp.idle_once[i]);
    if (it == rp.families.end() || it->second.lent_for != dest_id) continue;
    token = it->first;
    int fd = it->second.idle_send;
    it->second.idle_send = -1;
    rp.idle_once.erase(rp.idle_once.begin() + static_cast<long>(i));
    rp.sorights++;
    s.once_reused++;
    wake_direct(s, rp);  // like a new family: a thread blocked on home alone would not see its message
    return fd;
  }
  return -1;
}

void rest_once(Space &s, ReceivePort &rp, uint64_t token, int send_fd) {
  auto it = rp.families.find(token);
  if (it == rp.families.end()) {
    close_fd(send_fd);
    return;
  }
  Family &f = it->second;
  bool ours = f.kind == FamilyKind::SendOnce && f.idle_send < 0 && f.lent_for != 0 && f.send_ino != 0 &&
              rp.state == PortState::Live && inode_of(send_fd) == f.send_ino;
  if (!ours) {
    close_fd(send_fd);
    close_family(s, rp, token);
    return;
  }
  if (rp.idle_once.size() >= kIdleOnceMax) close_family(s, rp, rp.idle_once.front());
  f.idle_send = send_fd;
  rp.idle_once.push_back(token);
  if (rp.sorights > 0) rp.sorights--;
}

void drop_idle_once(Space &s, ReceivePort &rp) {
  while (!rp.idle_once.empty()) close_family(s, rp, rp.idle_once.back());
}

kern_return_t ensure_home(Space &s, ReceivePort &rp) {
  if (rp.home_token != 0) return KERN_SUCCESS;
  int snd;
  uint64_t token;
  kern_return_t kr = make_family(s, rp, FamilyKind::Home, snd, token);
  if (kr != KERN_SUCCESS) return kr;
  rp.home_token = token;
  rp.home_send_fd = snd;
  rp.home_exported = false;
  return KERN_SUCCESS;
}

kern_return_t export_send(Space &s, ReceivePort &rp, int &fd, bool &fd_owned, uint64_t &made_token) {
  if (rp.ns_fd < 0) {
    // Without a no-senders request nobody needs to count senders: every copy shares the home family.
    kern_return_t kr = ensure_home(s, rp);
    if (kr != KERN_SUCCESS) return kr;
    rp.home_exported = true;
    fd = rp.home_send_fd;
    fd_owned = false;
    made_token = 0;
    return KERN_SUCCESS;
  }
  kern_return_t kr = make_family(s, rp, FamilyKind::Send, fd, made_token);
  fd_owned = kr == KERN_SUCCESS;
  return kr;
}

void retire_home(Space &s, ReceivePort &rp) {
  if (rp.home_token == 0) return;
  wake_direct(s, rp);  // they must not stay blocked on a family that is no longer home
  auto it = rp.families.find(rp.home_token);
  if (it != rp.families.end()) {
    it->second.kind = FamilyKind::Send;
    if (rp.ns_fd >= 0) monitor_watch_family(s, rp, rp.home_token);
  }
  close_fd(rp.home_send_fd);
  rp.home_send_fd = -1;
  rp.home_token = 0;
  rp.home_exported = false;
}

void close_family(Space &s, ReceivePort &rp, uint64_t token) {
  auto it = rp.families.find(token);
  if (it == rp.families.end()) return;
  Family &f = it->second;
  monitor_unwatch_family(s, f);
  // Unregister before closing: another process may hold the same socket, keeping it alive in our epoll.
  epoll_ctl(rp.epfd, EPOLL_CTL_DEL, f.fd, nullptr);
  if (token == rp.home_token && rp.direct > 0) {
    rp.deferred_close.push_back(f.fd);  // a direct receiver still uses this descriptor number
  } else {
    close_fd(f.fd);
  }
  if (f.idle_send >= 0) {
    close_fd(f.idle_send);  // at rest: it was no send-once right
    for (size_t i = 0; i < rp.idle_once.size(); i++) {
      if (rp.idle_once[i] == token) {
        rp.idle_once.erase(rp.idle_once.begin() + static_cast<long>(i));
        break;
      }
    }
  } else if (f.kind == FamilyKind::SendOnce && rp.sorights > 0) {
    rp.sorights--;
  }
  if (token == rp.home_token) {
    close_fd(rp.home_send_fd);
    rp.home_send_fd = -1;
    rp.home_token = 0;
    rp.home_exported = false;
  }
  rp.families.erase(it);
}

void wake_direct(Space &, ReceivePort &rp) {
  if (rp.direct <= 0 || rp.home_send_fd < 0) return;
  WireHeader h{};
  h.magic = kWireMagic;
  h.version = kWireVersion;
  h.flags = WIRE_WAKE;
  for (int i = 0; i < rp.direct; i++) send(rp.home_send_fd, &h, sizeof h, MSG_DONTWAIT | MSG_NOSIGNAL);
}

void quiesce_direct(Space &s, ReceivePort &rp) {
  rp.no_direct++;
  if (rp.direct == 0) return;
  wake_direct(s, rp);
  std::unique_lock<std::mutex> lk(s.mu, std::adopt_lock);  // the caller holds it; we only wait with it
  s.direct_cv.wait(lk, [&] { return rp.direct == 0; });
  lk.release();
}

void set_stash(Space &s, ReceivePort &rp, std::unique_ptr<Stash> stash) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kStashToken;
  epoll_ctl(rp.epfd, EPOLL_CTL_ADD, s.stash_fd, &ev);
  rp.stash = std::move(stash);
  wake_direct(s, rp);  // other direct receivers must see the head of the queue
}

std::unique_ptr<Stash> take_stash(Space &s, ReceivePort &rp) {
  if (rp.stash) epoll_ctl(rp.epfd, EPOLL_CTL_DEL, s.stash_fd, nullptr);
  return std::move(rp.stash);
}

void close_port_descriptors(Space &s, ReceivePort &rp, bool) {
  wake_direct(s, rp);
  if (std::unique_ptr<Stash> st = take_stash(s, rp)) {
    for (int fd : st->fds) close_fd(fd);  // the queued message is destroyed with the port
  }
  std::vector<uint64_t> tokens;
  tokens.reserve(rp.families.size());
  for (auto &kv : rp.families) tokens.push_back(kv.first);
  for (uint64_t t : tokens) close_family(s, rp, t);
  close_fd(rp.home_send_fd);
  rp.home_send_fd = -1;
  rp.home_token = 0;
  if (rp.page != nullptr) {
    // The sockets are dead now: wake the senders waiting for room, so their next send fails.
    rp.page->qlimit.store(INT32_MAX);
    page_post(rp.page, rp.room_fd, rp.page->waiters.load());
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
}

bool read_mailbox(int send_fd, uint64_t &port_id, int *page_fd, int *room_fd) {
  Mailbox mb{};
  iovec iov{&mb, sizeof mb};
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * 4)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (page_fd != nullptr) {
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof cbuf;
  }
  ssize_t n = recvmsg(send_fd, &msg, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  int got[2] = {-1, -1};
  size_t ngot = 0;
  if (page_fd != nullptr) {
    for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        if (ngot < 2) {
          got[ngot++] = fd;
        } else {
          close(fd);
        }
      }
    }
  }
  bool ok = n == static_cast<ssize_t>(sizeof mb) && mb.magic == kWireMagic && mb.version == kWireVersion &&
            mb.port_id != 0;
  if (!ok || (page_fd != nullptr && room_fd == nullptr)) {
    close_fd(got[0]);
    close_fd(got[1]);
    if (!ok) return false;
  }
  port_id = mb.port_id;
  if (page_fd != nullptr && room_fd != nullptr) {
    *page_fd = got[0];
    *room_fd = got[1];
    if (got[1] < 0 && (msg.msg_flags & MSG_CTRUNC)) errno = EMFILE;  // the kernel had no descriptor for us
  }
  return true;
}

QueuePage *sender_page(Space &s, Entry &e) {
  if (e.page != nullptr) return e.page;
  if (e.page_missing || e.fd < 0) return nullptr;
  auto it = s.pages.find(e.port_id);
  if (it != s.pages.end()) {
    it->second.refs++;
    e.page = it->second.page;
    return e.page;
  }
  uint64_t id = 0;
  int pfd = -1, room = -1;
  if (!read_mailbox(e.fd, id, &pfd, &room) || id != e.port_id || pfd < 0 || room < 0) {
    // No descriptor to spare right now is not "no page": only a bad or missing mailbox is final.
    bool transient = room < 0 && id == e.port_id && (errno == EMFILE || errno == ENFILE);
    close_fd(pfd);
    close_fd(room);
    if (!transient) e.page_missing = true;
    return nullptr;
  }
  QueuePage *page = map_page(pfd, id);
  close(pfd);
  if (page == nullptr) {
    close(room);
    e.page_missing = true;
    return nullptr;
  }
  s.pages[id] = PageMap{page, 1, room};
  e.page = page;
  return page;
}


}  // namespace tsmig::lx
