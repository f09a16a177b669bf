// Shared by the tsmig benchmark programs in bench/runtime/: the peer protocol
// (a child gets its parent's port as inherited descriptor 3 — argv[1] says
// which — and says hello with a send right to its own port), spawning a peer,
// timing and JSON output. The protocol is the same for Node and C++ peers:
//   hello:  id 1000, remote = parent (COPY_SEND), local = the child's port (MAKE_SEND)
//   work:   any id, sent with COPY_SEND to the other side's send right
//   stop:   id 1999
#ifndef TSMIG_BENCH_H
#define TSMIG_BENCH_H

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <mach/mach.h>
#include <tsmig/runtime.h>

extern "C" char **environ;

namespace bench {

constexpr mach_msg_id_t kHello = 1000;
constexpr mach_msg_id_t kWork = 1001;
constexpr mach_msg_id_t kStop = 1999;

[[noreturn]] inline void die(const char *what, kern_return_t kr) {
  fprintf(stderr, "%s: %s (0x%x)\n", what, mach_error_string(kr), (unsigned)kr);
  exit(1);
}

inline void ok(kern_return_t kr, const char *what) {
  if (kr != KERN_SUCCESS) die(what, kr);
}

inline double now_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

inline mach_port_t new_port(mach_port_msgcount_t qlimit) {
  mach_port_t p;
  ok(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p), "mach_port_allocate");
  mach_port_limits_t lim{qlimit};
  ok(mach_port_set_attributes(mach_task_self(), p, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
                              MACH_PORT_LIMITS_INFO_COUNT),
     "mach_port_set_attributes");
  return p;
}

/** Child side: the parent's send right from the inherited descriptor, and our hello carrying our port. */
inline mach_port_t child_hello(int argc, char **argv, mach_port_t mine) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <inherited fd>\n", argv[0]);
    exit(2);
  }
  mach_port_t parent;
  ok(tsmig_fd_to_send_right(atoi(argv[1]), &parent), "tsmig_fd_to_send_right");
  mach_msg_header_t h{};
  h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND);
  h.msgh_size = sizeof h;
  h.msgh_remote_port = parent;
  h.msgh_local_port = mine;
  h.msgh_id = kHello;
  ok(mach_msg(&h, MACH_SEND_MSG, sizeof h, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL), "hello");
  return parent;
}

/** Parent side: spawns `program` (next to this one) with a send right to `mine` as descriptor 3; returns its send right. */
inline mach_port_t spawn_peer(const char *program, mach_port_t mine, pid_t *pid) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) exit(1);
  self[n] = 0;
  std::string path = std::string(self, strrchr(self, '/') - self) + "/" + program;
  int fd;
  ok(tsmig_send_right_to_fd(mine, &fd), "tsmig_send_right_to_fd");
  if (fd == 3) {
    int other = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    close(fd);
    fd = other;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fd, 3);
  char arg0[] = "peer", arg1[] = "3";
  char *args[] = {arg0, arg1, nullptr};
  if (posix_spawn(pid, path.c_str(), &fa, nullptr, args, ::environ) != 0) {
    perror(path.c_str());
    exit(1);
  }
  posix_spawn_file_actions_destroy(&fa);
  close(fd);
  mach_msg_empty_rcv_t hello;
  ok(mach_msg(&hello.header, MACH_RCV_MSG, 0, sizeof hello, mine, 0, MACH_PORT_NULL), "receive hello");
  if (hello.header.msgh_id != kHello) die("hello", KERN_FAILURE);
  return hello.header.msgh_remote_port;
}

inline void stop_peer(mach_port_t peer, pid_t pid) {
  mach_msg_header_t h{};
  h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
  h.msgh_size = sizeof h;
  h.msgh_remote_port = peer;
  h.msgh_id = kStop;
  mach_msg(&h, MACH_SEND_MSG, sizeof h, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
  waitpid(pid, nullptr, 0);
}

/** Median of per-batch averages. */
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace bench

#endif
