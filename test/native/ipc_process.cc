// Native tests of the runtime at process level: fork() keeps only the
// special ports, the bootstrap name server and its protocol, a child started
// with TSMIG_BOOTSTRAP_FD, descriptors imported as send rights, malformed
// datagrams rejected without leaking what they carried, 100,000 messages
// carrying rights without leaking, descriptor exhaustion handled cleanly, and
// a classic mach_msg_server loop with MIG's ownership rules, and the
// send-once pool (reused reply families, and a peer that breaks its rules).

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <dirent.h>

#include <atomic>
#include <set>
#include <thread>

#include "../../runtime/src/linux/wire.h"
#include "harness.h"

extern char **environ;

using namespace harness;
using namespace tsmig::lx;

namespace {

int non_runtime_fds() { return open_fds() - (int)stats().descriptors; }

std::set<int> fd_set_now() {
  std::set<int> fds;
  DIR *d = opendir("/proc/self/fd");
  int self = dirfd(d);
  while (struct dirent *e = readdir(d)) {
    if (e->d_name[0] != '.' && atoi(e->d_name) != self) fds.insert(atoi(e->d_name));
  }
  closedir(d);
  return fds;
}

}  // namespace

// A forked child has exactly its special ports; everything else the parent held is gone.
SCENARIO(fork_keeps_special_ports) {
  mach_port_t boot = new_port_with_send(), access = new_port_with_send();
  mach_port_t recv = new_port(), set, dead, so;
  mach_msg_type_name_t t;
  CHECK_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set));
  CHECK_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_DEAD_NAME, &dead));
  CHECK_OK(mach_port_extract_right(mach_task_self(), recv, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t));
  CHECK_OK(task_set_special_port(mach_task_self(), TASK_ACCESS_PORT, access));
  vm_address_t region;
  CHECK_OK(vm_allocate(mach_task_self(), &region, 1 << 20, VM_FLAGS_ANYWHERE));
  memset((void *)region, 1, 1 << 20);
  int base = non_runtime_fds();
  pid_t pid = fork_peer(boot, [base, access, region](mach_port_t) {
    // bootstrap_port names the bootstrap port; the only other right is the access port we ask for.
    CHECK(MACH_PORT_VALID(bootstrap_port));
    mach_port_name_array_t names;
    mach_port_type_array_t types;
    mach_msg_type_number_t n1, n2;
    CHECK_OK(mach_port_names(mach_task_self(), &names, &n1, &types, &n2));
    CHECK_EQ(n1, 1u);
    CHECK_EQ(names[0], bootstrap_port);
    CHECK_EQ(types[0], MACH_PORT_TYPE_SEND);
    CHECK_OK(vm_deallocate(mach_task_self(), (vm_address_t)names, n1 * sizeof *names));
    CHECK_OK(vm_deallocate(mach_task_self(), (vm_address_t)types, n2 * sizeof *types));
    mach_port_t acc;
    CHECK_OK(task_get_special_port(mach_task_self(), TASK_ACCESS_PORT, &acc));
    CHECK(MACH_PORT_VALID(acc));
    (void)access;
    CHECK_OK(send_simple(acc, 2, 0));
    CHECK_OK(send_simple(bootstrap_port, 1, 0));
    // Every descriptor of the parent's rights is closed here: only ours remain.
    CHECK_EQ(non_runtime_fds(), base);
    // Out-of-line memory is the child's own copy.
    CHECK_EQ(((uint8_t *)region)[4096], 1);
    memset((void *)region, 2, 1 << 20);
    CHECK_OK(vm_deallocate(mach_task_self(), region, 1 << 20));
  });
  join(pid);
  SimpleRcv r;
  CHECK_OK(receive(boot, r));
  CHECK_EQ(r.h.msgh_id, 1);
  CHECK_OK(receive(access, r));
  CHECK_EQ(r.h.msgh_id, 2);
  CHECK_EQ(((uint8_t *)region)[4096], 1);  // the child's writes stayed in the child
  CHECK_OK(vm_deallocate(mach_task_self(), region, 1 << 20));
  CHECK_OK(task_set_special_port(mach_task_self(), TASK_ACCESS_PORT, MACH_PORT_NULL));
  CHECK_OK(mach_port_deallocate(mach_task_self(), so));
  CHECK_OK(receive(recv, r));  // the send-once right we dropped
  CHECK_EQ(r.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
  for (mach_port_t p : {boot, access, recv, set}) destroy(p);
  CHECK_OK(mach_port_deallocate(mach_task_self(), dead));
}

SCENARIO(bootstrap_name_server) {
  // In-process: start, answer, stop.
  mach_port_t local;
  CHECK_OK(tsmig_name_server_start(&local));
  mach_port_t svc;
  CHECK_KR(bootstrap_look_up(MACH_PORT_NULL, "nothing", &svc), MACH_SEND_INVALID_DEST);
  CHECK_KR(bootstrap_look_up(local, "nothing", &svc), BOOTSTRAP_UNKNOWN_SERVICE);
  CHECK_OK(tsmig_name_server_stop());
  CHECK_KR(bootstrap_look_up(local, "nothing", &svc), MACH_SEND_INVALID_DEST);
  CHECK_OK(mach_port_deallocate(mach_task_self(), local));  // a dead name now
  mig_dealloc_reply_port(mig_get_reply_port());

  // The name server in a process of its own, used as the bootstrap port of another process.
  mach_port_t inbox = new_port_with_send();
  pid_t ns = fork_peer(inbox, [](mach_port_t parent) {
    mach_port_t port = new_port();
    CHECK_OK(send_port(parent, 1, port, MACH_MSG_TYPE_MAKE_SEND));
    CHECK_OK(tsmig_name_server_serve(port));
  });
  mach_port_t server = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  int gate[2];
  CHECK(pipe(gate) == 0);
  pid_t pid = fork_peer(server, [gate](mach_port_t) {
    // The child uses the bootstrap port it inherited, as a Mach program would.
    mach_port_t mine;
    CHECK_OK(bootstrap_check_in(bootstrap_port, "tsmig.test.svc", &mine));
    CHECK_EQ(type_of(mine), MACH_PORT_TYPE_RECEIVE);
    mach_port_t again;
    CHECK_KR(bootstrap_check_in(bootstrap_port, "tsmig.test.svc", &again), BOOTSTRAP_SERVICE_ACTIVE);
    CHECK(write(gate[1], "c", 1) == 1);
    SimpleRcv r;
    CHECK_OK(receive(mine, r));
    CHECK_EQ(r.h.msgh_id, 42);
    CHECK_OK(send_simple(r.h.msgh_remote_port, 142, r.value + 1, MACH_MSG_TYPE_MOVE_SEND_ONCE));
    mach_port_t reg;
    CHECK_OK(bootstrap_look_up(bootstrap_port, "tsmig.test.registered", &reg));
    CHECK_OK(send_simple(reg, 43, 0));
    destroy(mine);
  });
  char c;
  CHECK(read(gate[0], &c, 1) == 1);
  mach_port_t reg = new_port_with_send();
  CHECK_OK(bootstrap_register(server, const_cast<char *>("tsmig.test.registered"), reg));
  CHECK_KR(bootstrap_register(server, const_cast<char *>("tsmig.test.registered"), reg), BOOTSTRAP_NAME_IN_USE);
  CHECK_OK(bootstrap_look_up(server, "tsmig.test.svc", &svc));
  CHECK_EQ(type_of(svc), MACH_PORT_TYPE_SEND);
  mach_port_t reply = new_port();
  CHECK_OK(send_simple(svc, 42, 1, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE));
  SimpleRcv r;
  CHECK_OK(receive(reply, r));
  CHECK_EQ(r.h.msgh_id, 142);
  CHECK_EQ(r.value, 2u);
  CHECK_OK(receive(reg, r));
  CHECK_EQ(r.h.msgh_id, 43);
  join(pid);
  // The service died with the child: the name server forgets it (once its notification arrives).
  kern_return_t kr = KERN_SUCCESS;
  for (int i = 0; i < 1000 && kr != BOOTSTRAP_UNKNOWN_SERVICE; i++) {
    mach_port_t gone;
    kr = bootstrap_look_up(server, "tsmig.test.svc", &gone);
    if (kr == KERN_SUCCESS) {
      mach_port_deallocate(mach_task_self(), gone);
      usleep(10000);
    }
  }
  CHECK_KR(kr, BOOTSTRAP_UNKNOWN_SERVICE);
  char long_name[200];
  memset(long_name, 'n', sizeof long_name);
  long_name[199] = 0;
  CHECK_KR(bootstrap_look_up(server, long_name, &svc), BOOTSTRAP_UNKNOWN_SERVICE);  // cut to 127 characters
  CHECK_OK(mach_port_deallocate(mach_task_self(), svc));  // the service's port, dead now
  // A name server that dies mid-conversation: the client gets MIG_SERVER_DIED or a dead destination.
  kill(ns, SIGKILL);
  int status;
  waitpid(ns, &status, 0);
  CHECK_KR(bootstrap_look_up(server, "tsmig.test.svc", &svc), MACH_SEND_INVALID_DEST);
  CHECK_OK(mach_port_deallocate(mach_task_self(), server));
  destroy(reply);
  destroy(reg);
  destroy(inbox);
  mig_dealloc_reply_port(mig_get_reply_port());
  close(gate[0]);
  close(gate[1]);
}

// A program started with TSMIG_BOOTSTRAP_FD gets that send right as its bootstrap port.
SCENARIO(spawn_with_bootstrap_fd) {
  mach_port_t p = new_port();
  int fd;
  CHECK_OK(tsmig_send_right_to_fd(p, &fd));
  CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  fcntl(fd, F_SETFD, 0);  // inherited on purpose
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  CHECK(n > 0);
  self[n] = 0;
  std::string env = "TSMIG_BOOTSTRAP_FD=" + std::to_string(fd);
  std::vector<char *> envp;
  for (char **e = environ; *e != nullptr; e++) envp.push_back(*e);
  envp.push_back(const_cast<char *>(env.c_str()));
  envp.push_back(nullptr);
  char *argv[] = {self, const_cast<char *>("child_spawned"), nullptr};
  pid_t pid;
  CHECK_EQ(posix_spawn(&pid, self, nullptr, nullptr, argv, envp.data()), 0);
  close(fd);
  SimpleRcv r;
  CHECK_OK(receive(p, r, 30000, MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT)));
  CHECK_EQ(r.h.msgh_id, 77);
  auto *a = reinterpret_cast<mach_msg_audit_trailer_t *>(&r.trailer);
  CHECK_EQ(tsmig_audit_token_pid(&a->msgh_audit), pid);
  CHECK_EQ(r.value, (uint32_t)pid);
  join(pid);
  destroy(p);
}

SCENARIO(child_spawned) {
  CHECK(MACH_PORT_VALID(bootstrap_port));
  CHECK_EQ(type_of(bootstrap_port), MACH_PORT_TYPE_SEND);
  CHECK_OK(send_simple(bootstrap_port, 77, (uint32_t)getpid()));
}

SCENARIO(descriptor_import) {
  mach_port_t p = new_port_with_send();
  int fd;
  CHECK_OK(tsmig_send_right_to_fd(p, &fd));
  mach_port_t n;
  CHECK_OK(tsmig_fd_to_send_right(fd, &n));
  CHECK_EQ(n, p);  // coalesced with our own port's name
  CHECK_EQ(refs(p, MACH_PORT_RIGHT_SEND), 2u);
  // Anything that is not a tsmig send right is refused, and closed.
  int pfd[2];
  CHECK(pipe(pfd) == 0);
  CHECK_KR(tsmig_fd_to_send_right(pfd[0], &n), KERN_INVALID_ARGUMENT);
  CHECK(fcntl(pfd[0], F_GETFD) < 0);
  close(pfd[1]);
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
  CHECK_KR(tsmig_fd_to_send_right(sv[0], &n), KERN_INVALID_ARGUMENT);
  close(sv[1]);
  CHECK_KR(tsmig_fd_to_send_right(-1, &n), KERN_INVALID_ARGUMENT);
  // A send right from another process: it works, and a second copy coalesces with it.
  mach_port_t inbox = new_port_with_send();
  pid_t pid = fork_peer(inbox, [](mach_port_t parent) {
    mach_port_t mine = new_port();
    int f1, f2;
    CHECK_OK(tsmig_send_right_to_fd(mine, &f1));
    CHECK_OK(tsmig_send_right_to_fd(mine, &f2));
    CHECK_OK(send_port(parent, 1, mine, MACH_MSG_TYPE_MAKE_SEND));
    // Hand the raw descriptors over in a plain socket message is not needed: the parent imports its own copies.
    close(f1);
    close(f2);
    SimpleRcv r;
    CHECK_OK(receive(mine, r));
    CHECK_EQ(r.h.msgh_id, 5);
    destroy(mine);
  });
  mach_port_t peer = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  CHECK_OK(tsmig_send_right_to_fd(peer, &fd));
  CHECK_OK(tsmig_fd_to_send_right(fd, &n));
  CHECK_EQ(n, peer);
  CHECK_EQ(refs(peer, MACH_PORT_RIGHT_SEND), 2u);
  CHECK_OK(send_simple(peer, 5, 0));
  join(pid);
  CHECK_OK(mach_port_mod_refs(mach_task_self(), peer, MACH_PORT_RIGHT_DEAD_NAME, -2));
  CHECK_OK(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND, -2));
  destroy(p);
  destroy(inbox);
}

// Malformed datagrams are refused: the receiver destroys what they carried and goes on.
SCENARIO(malformed_datagrams) {
  mach_port_t p = new_port();
  mach_port_t watched = new_port();  // a port whose send rights we smuggle in bad datagrams
  mach_port_t prev;
  CHECK_OK(mach_port_request_notification(mach_task_self(), watched, MACH_NOTIFY_NO_SENDERS, 0, watched,
                                          MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
  int raw;
  CHECK_OK(tsmig_send_right_to_fd(p, &raw));
  uint64_t rejected = stats().rejected_datagrams;
  auto send_raw = [&](const void *data, size_t len, const std::vector<int> &fds) {
    iovec iov{const_cast<void *>(data), len};
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * 8)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (!fds.empty()) {
      msg.msg_control = cbuf;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
      cmsghdr *c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    CHECK_EQ(sendmsg(raw, &msg, MSG_NOSIGNAL), (ssize_t)len);
  };
  auto smuggled = [&] {
    int fd;
    CHECK_OK(tsmig_send_right_to_fd(watched, &fd));
    return fd;
  };
  // A valid datagram, built by hand: header, the Mach message, nothing carried.
  struct {
    WireHeader w;
    mach_msg_header_t h;
  } good{};
  good.w = WireHeader{kWireMagic, kWireVersion, 0, sizeof(mach_msg_header_t), 0, 0, 0, 0, 0};
  good.h.msgh_bits = MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND);
  good.h.msgh_size = sizeof good.h;
  good.h.msgh_id = 1234;
  int bad = 0;
  // 1. Not even a header, carrying a right.
  int f = smuggled();
  send_raw("hello", 5, {f});
  close(f);
  bad++;
  // 2. Wrong magic.
  auto copy = good;
  copy.w.magic ^= 1;
  send_raw(&copy, sizeof copy, {});
  bad++;
  // 3. The header promises a descriptor that does not come.
  copy = good;
  copy.w.fd_count = 1;
  send_raw(&copy, sizeof copy, {});
  bad++;
  // 4. Descriptors nobody announced.
  f = smuggled();
  int pf[2];
  CHECK(pipe(pf) == 0);
  send_raw(&good, sizeof good, {f, pf[0]});
  close(f);
  close(pf[0]);
  bad++;
  // 5. A record that contradicts the message (a send-once record for a port descriptor of a send right).
  struct {
    WireHeader w;
    WireRecord rec;
    mach_msg_header_t h;
    mach_msg_body_t body;
    mach_msg_port_descriptor_t d;
  } mism{};
  mism.w = WireHeader{kWireMagic, kWireVersion, 0, sizeof(mach_msg_header_t) + 4 + 12, 16, 1, 1, 0, 0};
  mism.rec = WireRecord{REC_SEND_ONCE, {0, 0, 0}, 0, 99};
  mism.h.msgh_bits = MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND) | MACH_MSGH_BITS_COMPLEX;
  mism.h.msgh_size = mism.w.mach_size;
  mism.body.msgh_descriptor_count = 1;
  mism.d.disposition = MACH_MSG_TYPE_PORT_SEND;
  mism.d.type = MACH_MSG_PORT_DESCRIPTOR;
  f = smuggled();
  send_raw(&mism, sizeof mism, {f});
  close(f);
  bad++;
  // 6. Sizes that do not add up, and an empty datagram.
  copy = good;
  copy.w.mach_size += 4;
  send_raw(&copy, sizeof copy, {});
  bad++;
  send_raw("", 0, {});
  bad++;
  // 7. Larger than any tsmig datagram: truncated on receipt, refused.
  std::vector<char> big(400 * 1024 + 4096, 'z');  // the runtime accepts datagrams up to 400 KiB
  memcpy(big.data(), &good, sizeof good);
  send_raw(big.data(), big.size(), {});
  bad++;
  // Then a good one: it is the only message the receiver sees.
  send_raw(&good, sizeof good, {});
  SimpleRcv r;
  CHECK_OK(receive(p, r));
  CHECK_EQ(r.h.msgh_id, 1234);
  CHECK_KR(receive(p, r, 0), MACH_RCV_TIMED_OUT);
  CHECK_EQ(stats().rejected_datagrams - rejected, (uint64_t)bad);
  // Every smuggled send right was destroyed: the watched port has no senders left.
  SimpleRcv n;
  CHECK_OK(receive(watched, n));
  CHECK_EQ(n.h.msgh_id, MACH_NOTIFY_NO_SENDERS);
  close(pf[1]);
  close(raw);
  destroy(p);
  destroy(watched);
}

// 100,000 messages carrying rights (RPCs with a reply right and a send right each): nothing leaks.
SCENARIO(leaks_100k_messages) {
  const int rounds = 100000;
  mach_port_t server = new_port_with_send();
  mach_port_limits_t lim{MACH_PORT_QLIMIT_LARGE};
  CHECK_OK(mach_port_set_attributes(mach_task_self(), server, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim, 1));
  pid_t pid = fork_peer(server, [rounds](mach_port_t srv) {
    Snapshot before = Snapshot::take();
    mach_port_t reply = new_port(), token = new_port_with_send();
    for (int i = 0; i < rounds; i++) {
      WithPort m{};
      m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) | MACH_MSGH_BITS_COMPLEX;
      m.h.msgh_size = sizeof m;
      m.h.msgh_remote_port = srv;
      m.h.msgh_local_port = reply;
      m.h.msgh_id = 600;
      m.body.msgh_descriptor_count = 1;
      m.port.name = token;
      m.port.disposition = (i % 2) ? MACH_MSG_TYPE_COPY_SEND : MACH_MSG_TYPE_MAKE_SEND;
      m.port.type = MACH_MSG_PORT_DESCRIPTOR;
      m.value = i;
      SimpleRcv r;
      CHECK_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
      CHECK_OK(receive(reply, r));
      CHECK_EQ(r.value, (uint32_t)i);
    }
    destroy(reply);
    CHECK_EQ(refs(token, MACH_PORT_RIGHT_SEND), 1u);
    destroy(token);
    expect_same(before, "100k peer");
  });
  mach_port_t first_token = MACH_PORT_NULL;
  for (int i = 0; i < rounds; i++) {
    WithPortRcv m;
    CHECK_OK(receive(server, m));
    if (first_token == MACH_PORT_NULL) {
      first_token = m.port.name;  // we keep this reference to the end
    } else {
      CHECK_EQ(m.port.name, first_token);  // every later copy coalesces under the same name...
      CHECK_EQ(refs(first_token, MACH_PORT_RIGHT_SEND), 2u);
      CHECK_OK(mach_port_deallocate(mach_task_self(), m.port.name));  // ...and we drop it again
    }
    CHECK_OK(send_simple(m.h.msgh_remote_port, 700, m.value, MACH_MSG_TYPE_MOVE_SEND_ONCE));
  }
  join(pid);
  CHECK_OK(mach_port_deallocate(mach_task_self(), first_token));  // a dead name now
  destroy(server);
}

// Near the descriptor limit: errors, no crash, nothing lost or leaked.
SCENARIO(descriptor_exhaustion) {
  mach_port_t inbox = new_port_with_send();
  int gate[2];
  CHECK(pipe(gate) == 0);
  pid_t pid = fork_peer(inbox, [gate](mach_port_t parent) {
    close(gate[1]);
    mach_port_t mine = new_port();
    CHECK_OK(send_port(parent, 1, mine, MACH_MSG_TYPE_MAKE_SEND));
    Snapshot before = Snapshot::take();
    rlimit saved, rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &saved) == 0);
    rl = saved;
    rl.rlim_cur = (rlim_t)open_fds() + 12;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    // Allocating until the limit: a Mach error, then everything frees cleanly.
    std::vector<mach_port_t> ports;
    kern_return_t kr;
    for (;;) {
      mach_port_t p;
      kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p);
      if (kr != KERN_SUCCESS) break;
      ports.push_back(p);
    }
    CHECK_KR(kr, KERN_RESOURCE_SHORTAGE);
    // Making a reply right needs descriptors too: the send fails and consumes nothing.
    CHECK_KR(send_simple(parent, 2, 0, MACH_MSG_TYPE_COPY_SEND, ports[0], MACH_MSG_TYPE_MAKE_SEND_ONCE),
             MACH_SEND_NO_BUFFER);
    for (mach_port_t p : ports) destroy(p);
    // A message with more rights than we have descriptors for: received with dead names in their place.
    char c;
    CHECK(read(gate[0], &c, 1) == 1);
    for (int i = 0; i < 3; i++) ports.push_back(new_port());  // leave only a few descriptors free
#pragma pack(push, 4)
    struct {
      mach_msg_header_t h;
      mach_msg_body_t body;
      mach_msg_ool_ports_descriptor_t d;
      mach_msg_max_trailer_t t;
    } m{};
#pragma pack(pop)
    kr = receive_raw(mine, &m.h, sizeof m);
    CHECK_KR(kr, MACH_RCV_BODY_ERROR | MACH_MSG_IPC_SPACE);
    auto *names = static_cast<mach_port_t *>(m.d.address);
    int dead = 0;
    for (unsigned i = 0; i < m.d.count; i++) {
      if (names[i] == MACH_PORT_DEAD) {
        dead++;
      } else {
        CHECK_OK(mach_port_deallocate(mach_task_self(), names[i]));
      }
    }
    CHECK(dead > 0);
    CHECK_OK(vm_deallocate(mach_task_self(), (vm_address_t)names, m.d.count * sizeof *names));
    for (int i = 0; i < 3; i++) destroy(ports[ports.size() - 1 - i]);
    CHECK(setrlimit(RLIMIT_NOFILE, &saved) == 0);
    expect_same(before, "after exhaustion");
    destroy(mine);
  });
  mach_port_t peer = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  // 30 send rights to 30 different ports, for a peer with only a few descriptors left.
  std::vector<mach_port_t> ports(30);
  for (auto &p : ports) p = new_port();
#pragma pack(push, 4)
  struct {
    mach_msg_header_t h;
    mach_msg_body_t body;
    mach_msg_ool_ports_descriptor_t d;
  } m{};
#pragma pack(pop)
  m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
  m.h.msgh_size = sizeof m;
  m.h.msgh_remote_port = peer;
  m.body.msgh_descriptor_count = 1;
  m.d.address = ports.data();
  m.d.count = 30;
  m.d.disposition = MACH_MSG_TYPE_MAKE_SEND;
  m.d.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
  CHECK_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
  CHECK(write(gate[1], "g", 1) == 1);
  join(pid);
  for (auto p : ports) destroy(p);
  CHECK_OK(mach_port_deallocate(mach_task_self(), peer));
  destroy(inbox);
  close(gate[0]);
  close(gate[1]);
}

namespace {

#pragma pack(push, 4)
struct AddRequest {
  mach_msg_header_t Head;
  NDR_record_t NDR;
  int32_t a, b;
};
struct AddReply {
  mach_msg_header_t Head;
  NDR_record_t NDR;
  kern_return_t RetCode;
  int32_t sum;
};
struct TakeRequest {
  mach_msg_header_t Head;
  mach_msg_body_t body;
  mach_msg_port_descriptor_t port;
};
#pragma pack(pop)

mach_port_t g_deferred_reply = MACH_PORT_NULL;

/** A hand-written MIG demux: 500 add, 501 take a port and fail, 502 answer later (MIG_NO_REPLY). */
boolean_t demux(mach_msg_header_t *in, mach_msg_header_t *out) {
  auto *rep = reinterpret_cast<mig_reply_error_t *>(out);
  rep->Head.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(in->msgh_bits), 0);
  rep->Head.msgh_remote_port = in->msgh_remote_port;
  rep->Head.msgh_local_port = MACH_PORT_NULL;
  rep->Head.msgh_id = in->msgh_id + 100;
  rep->Head.msgh_size = sizeof(mig_reply_error_t);
  rep->NDR = NDR_record;
  switch (in->msgh_id) {
    case 500: {
      auto *req = reinterpret_cast<AddRequest *>(in);
      auto *r = reinterpret_cast<AddReply *>(out);
      r->RetCode = KERN_SUCCESS;
      r->sum = req->a + req->b;
      r->Head.msgh_size = sizeof(AddReply);
      return TRUE;
    }
    case 501:
      rep->RetCode = KERN_INVALID_ARGUMENT;  // failing: the server loop destroys the request's port right
      return TRUE;
    case 502:
      g_deferred_reply = in->msgh_remote_port;  // MIG_NO_REPLY: the handler owns the reply right
      rep->RetCode = MIG_NO_REPLY;
      return TRUE;
    default:
      rep->RetCode = MIG_BAD_ID;
      return FALSE;
  }
}

}  // namespace

SCENARIO(mig_server_loop) {
  mach_port_t server = new_port_with_send();
  pid_t pid = fork_peer(server, [](mach_port_t srv) {
    mach_port_t reply = mig_get_reply_port();
    union {
      AddRequest req;
      AddReply rep;
      uint8_t raw[sizeof(AddReply) + MAX_TRAILER_SIZE];
    } m{};
    m.req.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    m.req.Head.msgh_size = sizeof m.req;
    m.req.Head.msgh_remote_port = srv;
    m.req.Head.msgh_local_port = reply;
    m.req.Head.msgh_id = 500;
    m.req.NDR = NDR_record;
    m.req.a = 40;
    m.req.b = 2;
    CHECK_OK(mach_msg(&m.req.Head, MACH_SEND_MSG | MACH_RCV_MSG, sizeof m.req, sizeof m, reply, 0, 0));
    CHECK_EQ(m.rep.Head.msgh_id, 600);
    CHECK_EQ(m.rep.RetCode, KERN_SUCCESS);
    CHECK_EQ(m.rep.sum, 42);
    // A failing routine: the port right we sent is destroyed by the server loop (its port hears of it).
    mach_port_t watched = new_port();
    union {
      TakeRequest req;
      mig_reply_error_t rep;
      uint8_t raw[sizeof(mig_reply_error_t) + MAX_TRAILER_SIZE];
    } u{};
    TakeRequest &t = u.req;
    t.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) | MACH_MSGH_BITS_COMPLEX;
    t.Head.msgh_size = sizeof t;
    t.Head.msgh_remote_port = srv;
    t.Head.msgh_local_port = reply;
    t.Head.msgh_id = 501;
    t.body.msgh_descriptor_count = 1;
    t.port.name = watched;
    t.port.disposition = MACH_MSG_TYPE_MAKE_SEND_ONCE;
    t.port.type = MACH_MSG_PORT_DESCRIPTOR;
    CHECK_OK(mach_msg(&t.Head, MACH_SEND_MSG | MACH_RCV_MSG, sizeof t, sizeof u, reply, 0, 0));
    auto *err = &u.rep;
    CHECK_EQ(err->Head.msgh_id, 601);
    CHECK_EQ(err->RetCode, KERN_INVALID_ARGUMENT);
    SimpleRcv n;
    CHECK_OK(receive(watched, n));
    CHECK_EQ(n.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
    destroy(watched);
    // Unknown routine: MIG_BAD_ID. Deferred routine: the reply comes later, from the handler.
    m.req.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    m.req.Head.msgh_size = sizeof m.req;
    m.req.Head.msgh_remote_port = srv;
    m.req.Head.msgh_local_port = reply;
    m.req.Head.msgh_id = 555;
    CHECK_OK(mach_msg(&m.req.Head, MACH_SEND_MSG | MACH_RCV_MSG, sizeof m.req, sizeof m, reply, 0, 0));
    CHECK_EQ(reinterpret_cast<mig_reply_error_t *>(&m)->RetCode, MIG_BAD_ID);
    m.req.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
    m.req.Head.msgh_size = sizeof m.req;
    m.req.Head.msgh_remote_port = srv;
    m.req.Head.msgh_local_port = reply;
    m.req.Head.msgh_id = 502;
    CHECK_OK(mach_msg(&m.req.Head, MACH_SEND_MSG | MACH_RCV_MSG, sizeof m.req, sizeof m, reply, 0, 0));
    CHECK_EQ(m.rep.Head.msgh_id, 602);
    mig_dealloc_reply_port(reply);
  });
  for (int i = 0; i < 4; i++) {
    CHECK_OK(mach_msg_server_once(demux, sizeof(AddReply) + 64, server, 0));
    if (g_deferred_reply != MACH_PORT_NULL) {
      CHECK_OK(send_simple(g_deferred_reply, 602, 0, MACH_MSG_TYPE_MOVE_SEND_ONCE));
      g_deferred_reply = MACH_PORT_NULL;
    }
  }
  join(pid);
  destroy(server);
}

int main(int argc, char **argv) { return harness::main(argc, argv); }

// The send-once pool: a reply right's family comes back with the reply and
// rests, and the next reply right for the same destination reuses it. That
// must change nothing a program can see: replies arrive, no descriptor
// accumulates, the port counts no send-once right it does not have, a server
// that dies holding a reused right still produces the send-once
// notification, and moving or destroying the port leaves nothing behind.
SCENARIO(send_once_pool) {
  Snapshot before = Snapshot::take();
  mach_port_t inbox = new_port_with_send();
  auto answerer = [](mach_port_t parent) {
    mach_port_t port = new_port();
    CHECK_OK(send_port(parent, 1, port, MACH_MSG_TYPE_MAKE_SEND));
    for (;;) {
      WithPortRcv m{};
      CHECK_OK(receive(port, m, -1));
      switch (m.h.msgh_id) {
        case 10: {
          uint32_t v;  // a simple message: the value follows the header
          memcpy(&v, reinterpret_cast<const uint8_t *>(&m) + sizeof(mach_msg_header_t), sizeof v);
          CHECK_OK(send_simple(m.h.msgh_remote_port, 110, v + 1, MACH_MSG_TYPE_MOVE_SEND_ONCE));
          break;
        }
        case 11:
          _exit(0);  // dies holding the reply right
        case 13: {
          CHECK_EQ(type_of(m.port.name), MACH_PORT_TYPE_RECEIVE);
          SimpleRcv none;  // resting families did not travel as send-once rights that then die
          CHECK_KR(receive(m.port.name, none, 200), MACH_RCV_TIMED_OUT);
          destroy(m.port.name);
          break;
        }
        default:
          return;
      }
    }
  };
  pid_t pid_a = fork_peer(inbox, answerer);
  mach_port_t a = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  pid_t pid_b = fork_peer(inbox, answerer);
  mach_port_t b = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  mach_port_t reply = new_port();
  auto call = [reply](mach_port_t srv, uint32_t v) {
    CHECK_OK(send_simple(srv, 10, v, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE));
    SimpleRcv r;
    CHECK_OK(receive(reply, r));
    CHECK_EQ(r.h.msgh_id, 110);
    CHECK_EQ(r.value, v + 1);
    CHECK_EQ(MACH_MSGH_BITS_REMOTE(r.h.msgh_bits), 0u);
  };
  auto sorights = [reply] {
    mach_port_status_t st{};
    mach_msg_type_number_t count = MACH_PORT_RECEIVE_STATUS_COUNT;
    CHECK_OK(mach_port_get_attributes(mach_task_self(), reply, MACH_PORT_RECEIVE_STATUS,
                                      reinterpret_cast<mach_port_info_t>(&st), &count));
    return st.mps_sorights;
  };
  call(a, 1);
  uint64_t reused = stats().send_once_reused;
  int fds = open_fds();
  for (uint32_t i = 0; i < 200; i++) call(a, i);
  CHECK_EQ(stats().send_once_reused - reused, 200u);
  CHECK_EQ(open_fds(), fds);
  CHECK_EQ(sorights(), 0u);
  // Another destination gets a family of its own; from then on it reuses that one.
  reused = stats().send_once_reused;
  call(b, 7);
  CHECK_EQ(stats().send_once_reused - reused, 0u);
  call(b, 8);
  CHECK_EQ(stats().send_once_reused - reused, 1u);
  // A server that dies holding a reused reply right: the reply port hears of it at once.
  reused = stats().send_once_reused;
  CHECK_OK(send_simple(a, 11, 0, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE));
  CHECK_EQ(stats().send_once_reused - reused, 1u);
  CHECK_EQ(sorights(), 1u);
  SimpleRcv n;
  CHECK_OK(receive(reply, n, 5000));  // the bound only keeps a broken pool from hanging the test
  CHECK_EQ(n.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
  CHECK_EQ(sorights(), 0u);
  join(pid_a);
  CHECK_OK(mach_port_deallocate(mach_task_self(), a));  // a dead name now
  // The port moves away with a family at rest (B's): nothing of it stays here.
  call(b, 9);
  CHECK_OK(send_port(b, 13, reply, MACH_MSG_TYPE_MOVE_RECEIVE));
  CHECK_OK(send_simple(b, 12, 0));
  join(pid_b);
  CHECK_OK(mach_port_deallocate(mach_task_self(), b));
  destroy(inbox);
  expect_same(before, "send_once_pool");
}

// The same with the port destroyed here while families rest on it.
SCENARIO(send_once_pool_destroyed) {
  Snapshot before = Snapshot::take();
  mach_port_t inbox = new_port_with_send();
  pid_t pid = fork_peer(inbox, [](mach_port_t parent) {
    mach_port_t port = new_port();
    CHECK_OK(send_port(parent, 1, port, MACH_MSG_TYPE_MAKE_SEND));
    for (;;) {
      SimpleRcv r;
      CHECK_OK(receive(port, r, -1));
      if (r.h.msgh_id != 10) return;
      CHECK_OK(send_simple(r.h.msgh_remote_port, 110, r.value, MACH_MSG_TYPE_MOVE_SEND_ONCE));
    }
  });
  mach_port_t srv = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  mach_port_t reply = new_port();
  for (uint32_t i = 0; i < 3; i++) {
    CHECK_OK(send_simple(srv, 10, i, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE));
    SimpleRcv r;
    CHECK_OK(receive(reply, r));
    CHECK_EQ(r.value, i);
  }
  destroy(reply);
  CHECK_OK(send_simple(srv, 12, 0));
  join(pid);
  CHECK_OK(mach_port_deallocate(mach_task_self(), srv));
  destroy(inbox);
  expect_same(before, "send_once_pool_destroyed");
}

// A peer that keeps a copy of a reply right's descriptor (no tsmig program
// can; this one digs it out of /proc) and later sends a well-formed reply on
// it while the family rests: the message is destroyed, never taken for the
// reply of a later call, and the family is not reused.
SCENARIO(send_once_pool_hostile_copy) {
  Snapshot before = Snapshot::take();
  mach_port_t inbox = new_port_with_send();
  pid_t pid = fork_peer(inbox, [](mach_port_t parent) {
    mach_port_t port = new_port();
    CHECK_OK(send_port(parent, 1, port, MACH_MSG_TYPE_MAKE_SEND));
    int kept = -1;
    for (;;) {
      std::set<int> had = fd_set_now();
      SimpleRcv r;
      CHECK_OK(receive(port, r, -1));
      if (r.h.msgh_id == 10) {
        if (kept < 0) {
          for (int fd : fd_set_now()) {
            if (!had.count(fd)) kept = dup(fd);  // the reply right's sending end
          }
          CHECK(kept >= 0);
        }
        CHECK_OK(send_simple(r.h.msgh_remote_port, 110, r.value + 1, MACH_MSG_TYPE_MOVE_SEND_ONCE));
      } else if (r.h.msgh_id == 14) {
        struct {
          WireHeader w;
          Simple m;
        } fake{};
        fake.w.magic = kWireMagic;
        fake.w.version = kWireVersion;
        fake.w.mach_size = sizeof(Simple);
        fake.m.h.msgh_bits = MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE);
        fake.m.h.msgh_size = sizeof(Simple);
        fake.m.h.msgh_id = 110;
        fake.m.value = 999;
        CHECK(send(kept, &fake, sizeof fake, MSG_NOSIGNAL) == (ssize_t)sizeof fake);
        CHECK_OK(send_simple(parent, 2, 0));
      } else {
        return;
      }
    }
  });
  mach_port_t srv = receive_port(inbox, 1, MACH_MSG_TYPE_PORT_SEND);
  mach_port_t reply = new_port();
  auto call = [&](uint32_t v) {
    CHECK_OK(send_simple(srv, 10, v, MACH_MSG_TYPE_COPY_SEND, reply, MACH_MSG_TYPE_MAKE_SEND_ONCE));
    SimpleRcv r;
    CHECK_OK(receive(reply, r));
    CHECK_EQ(r.h.msgh_id, 110);
    CHECK_EQ(r.value, v + 1);
  };
  call(1);  // the family rests, and the peer keeps a copy of its sending end
  uint64_t rejected = stats().rejected_datagrams;
  CHECK_OK(send_simple(srv, 14, 0));
  SimpleRcv ack;
  CHECK_OK(receive(inbox, ack));
  CHECK_EQ(ack.h.msgh_id, 2);
  SimpleRcv none;
  CHECK_KR(receive(reply, none, 300), MACH_RCV_TIMED_OUT);
  CHECK_EQ(stats().rejected_datagrams - rejected, 1u);
  uint64_t reused = stats().send_once_reused;
  call(2);  // a fresh family: the spoiled one is gone
  CHECK_EQ(stats().send_once_reused - reused, 0u);
  CHECK_OK(send_simple(srv, 12, 0));
  join(pid);
  destroy(reply);
  CHECK_OK(mach_port_deallocate(mach_task_self(), srv));
  destroy(inbox);
  expect_same(before, "send_once_pool_hostile_copy");
}
