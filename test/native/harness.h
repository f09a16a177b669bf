// Native test harness for the runtime library: named scenarios in one
// program (`prog <scenario>` runs one, `prog --list` lists them), checks that
// stop the process with file:line on failure, helpers to fork peers that get
// a port through the bootstrap special port (as Mach code does), and the leak
// check every scenario runs: open descriptors and tsmig_space_stats equal
// before and after.
#ifndef TSMIG_TEST_NATIVE_HARNESS_H
#define TSMIG_TEST_NATIVE_HARNESS_H

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <mach/mach.h>
#include <servers/bootstrap.h>
#include <tsmig/runtime.h>

namespace harness {

[[noreturn]] inline void fail(const char *file, int line, const std::string &what) {
  fflush(stdout);
  fprintf(stderr, "FAIL %s:%d (pid %d): %s\n", file, line, getpid(), what.c_str());
  fflush(stderr);
  _exit(1);
}

#define CHECK(cond)                                          \
  do {                                                       \
    if (!(cond)) harness::fail(__FILE__, __LINE__, #cond);   \
  } while (0)

#define CHECK_EQ(a, b)                                                                                      \
  do {                                                                                                      \
    auto va_ = (a);                                                                                         \
    auto vb_ = (b);                                                                                         \
    if (!(va_ == vb_))                                                                                      \
      harness::fail(__FILE__, __LINE__,                                                                     \
                    std::string(#a " == " #b ": ") + std::to_string((long long)va_) + " != " +             \
                        std::to_string((long long)vb_));                                                    \
  } while (0)

/** A Mach call that must return `expected` (prints both codes by name otherwise). */
#define CHECK_KR(expr, expected)                                                                       \
  do {                                                                                                 \
    kern_return_t kr_ = (expr);                                                                        \
    kern_return_t ex_ = (expected);                                                                    \
    if (kr_ != ex_) {                                                                                  \
      char b_[256];                                                                                    \
      snprintf(b_, sizeof b_, "%s: got 0x%x (%s), expected 0x%x (%s)", #expr, (unsigned)kr_,          \
               mach_error_string(kr_), (unsigned)ex_, mach_error_string(ex_));                        \
      harness::fail(__FILE__, __LINE__, b_);                                                           \
    }                                                                                                  \
  } while (0)

#define CHECK_OK(expr) CHECK_KR(expr, KERN_SUCCESS)

/** Descriptors open in this process. */
inline int open_fds() {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  while (struct dirent *e = readdir(d)) {
    if (e->d_name[0] != '.') n++;
  }
  closedir(d);
  return n - 1;  // the directory itself
}

inline tsmig_space_stats_t stats() {
  tsmig_space_stats_t st;
  CHECK_OK(tsmig_space_stats(&st));
  return st;
}

/** Everything a scenario must give back: descriptors, names, rights, memory. */
struct Snapshot {
  int fds;
  tsmig_space_stats_t st;
  static Snapshot take() {
    tsmig_ool_trim();
    return Snapshot{open_fds(), stats()};
  }
};

inline void expect_same(const Snapshot &before, const char *where) {
  // The monitor thread and pooled memory are created on demand and kept: trimming drops the pools.
  Snapshot after = Snapshot::take();
  int monitor_fds = after.st.descriptors - before.st.descriptors;
  bool same = after.st.names == before.st.names && after.st.receive_rights == before.st.receive_rights &&
              after.st.send_rights == before.st.send_rights && after.st.send_once_rights == before.st.send_once_rights &&
              after.st.port_sets == before.st.port_sets && after.st.dead_names == before.st.dead_names &&
              after.st.ool_bytes == before.st.ool_bytes && after.fds - before.fds == monitor_fds &&
              monitor_fds >= 0 && monitor_fds <= 1;
  if (!same) {
    char b[512];
    snprintf(b, sizeof b,
             "leak check (%s): fds %d->%d, runtime fds %u->%u, names %u->%u, recv %u->%u, send %u->%u, "
             "sendonce %u->%u, sets %u->%u, dead %u->%u, ool %llu->%llu",
             where, before.fds, after.fds, before.st.descriptors, after.st.descriptors, before.st.names,
             after.st.names, before.st.receive_rights, after.st.receive_rights, before.st.send_rights,
             after.st.send_rights, before.st.send_once_rights, after.st.send_once_rights, before.st.port_sets,
             after.st.port_sets, before.st.dead_names, after.st.dead_names,
             (unsigned long long)before.st.ool_bytes, (unsigned long long)after.st.ool_bytes);
    fail(__FILE__, __LINE__, b);
  }
}

/** Runtime descriptors must account for every descriptor the process holds beyond its base set. */
inline void expect_runtime_fds_match(int base_fds) {
  Snapshot s = Snapshot::take();
  CHECK_EQ(s.fds - base_fds, (int)s.st.descriptors);
}

// ---------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------

using Scenario = std::function<void()>;

inline std::map<std::string, Scenario> &registry() {
  static std::map<std::string, Scenario> r;
  return r;
}

struct Register {
  Register(const char *name, Scenario fn) { registry()[name] = std::move(fn); }
};

#define SCENARIO(name)                                           \
  static void scenario_##name();                                 \
  static harness::Register register_##name(#name, scenario_##name); \
  static void scenario_##name()

/** Runs the scenario named on the command line, with a leak check around it. */
inline int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  // Ports cost descriptors: take the hard limit, as Node does at start-up (some scenarios hold thousands).
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (argc == 2 && strcmp(argv[1], "--list") == 0) {
    // Scenarios named child_* are halves that another scenario starts in a new process.
    for (auto &kv : registry()) {
      if (kv.first.rfind("child_", 0) != 0) printf("%s\n", kv.first.c_str());
    }
    return 0;
  }
  if (argc < 2 || registry().count(argv[1]) == 0) {
    fprintf(stderr, "usage: %s --list | <scenario>\n", argv[0]);
    return 2;
  }
  Snapshot before = Snapshot::take();
  registry()[argv[1]]();
  expect_same(before, argv[1]);
  printf("ok %s\n", argv[1]);
  return 0;
}

// ---------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------

/**
 * Forks a peer that receives a send right to `port` as its bootstrap port
 * (task_set_special_port before fork, as Mach programs do). The child runs
 * `body(its_name_for_port)` and exits 0 unless a check failed.
 */
inline pid_t fork_peer(mach_port_t port, const std::function<void(mach_port_t)> &body) {
  mach_port_t saved = MACH_PORT_NULL;
  CHECK_OK(task_get_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, &saved));
  CHECK_OK(task_set_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, port));
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // a failed test never leaves peers behind
    if (getppid() == 1) _exit(1);
    mach_port_t p = MACH_PORT_NULL;
    CHECK_OK(task_get_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, &p));
    body(p);
    fflush(stdout);
    _exit(0);
  }
  CHECK_OK(task_set_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, saved));
  if (MACH_PORT_VALID(saved)) mach_port_deallocate(mach_task_self(), saved);
  return pid;
}

/** Waits for a peer and fails unless it exited 0. */
inline void join(pid_t pid) {
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fail(__FILE__, __LINE__, "peer " + std::to_string(pid) + " failed (status " + std::to_string(status) + ")");
  }
}

inline double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

inline mach_port_t new_port() {
  mach_port_t p;
  CHECK_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
  return p;
}

/** A receive right with a send right under the same name. */
inline mach_port_t new_port_with_send() {
  mach_port_t p = new_port();
  CHECK_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
  return p;
}

inline void destroy(mach_port_t p) { CHECK_OK(mach_port_destroy(mach_task_self(), p)); }

#pragma pack(push, 4)
struct Simple {
  mach_msg_header_t h;
  uint32_t value;
};
struct SimpleRcv {
  mach_msg_header_t h;
  uint32_t value;
  mach_msg_max_trailer_t trailer;
};
struct WithPort {
  mach_msg_header_t h;
  mach_msg_body_t body;
  mach_msg_port_descriptor_t port;
  uint32_t value;
};
struct WithPortRcv {
  mach_msg_header_t h;
  mach_msg_body_t body;
  mach_msg_port_descriptor_t port;
  uint32_t value;
  mach_msg_max_trailer_t trailer;
};
#pragma pack(pop)

/** Sends a small message (id, value) to `dest` with the given dispositions. */
inline kern_return_t send_simple(mach_port_t dest, mach_msg_id_t id, uint32_t value,
                                 mach_msg_type_name_t dest_disp = MACH_MSG_TYPE_COPY_SEND,
                                 mach_port_t reply = MACH_PORT_NULL, mach_msg_type_name_t reply_disp = 0,
                                 mach_msg_option_t extra = 0, mach_msg_timeout_t timeout = 0) {
  Simple m{};
  m.h.msgh_bits = MACH_MSGH_BITS(dest_disp, reply_disp);
  m.h.msgh_size = sizeof m;
  m.h.msgh_remote_port = dest;
  m.h.msgh_local_port = reply;
  m.h.msgh_id = id;
  m.value = value;
  return mach_msg(&m.h, MACH_SEND_MSG | extra, sizeof m, 0, MACH_PORT_NULL, timeout, MACH_PORT_NULL);
}

/** Receives one message of up to `size` bytes on `port` (timeout in ms, or wait forever with -1). */
template <typename T>
inline kern_return_t receive(mach_port_t port, T &buf, int timeout_ms = 10000, mach_msg_option_t extra = 0) {
  mach_msg_option_t opt = MACH_RCV_MSG | extra | (timeout_ms >= 0 ? MACH_RCV_TIMEOUT : 0);
  return mach_msg(&buf.h, opt, 0, sizeof buf, port, timeout_ms >= 0 ? timeout_ms : 0, MACH_PORT_NULL);
}

/** Receives into any buffer that starts with a header. */
inline kern_return_t receive_raw(mach_port_t port, mach_msg_header_t *h, mach_msg_size_t size, int timeout_ms = 30000) {
  return mach_msg(h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, size, port, timeout_ms, MACH_PORT_NULL);
}

/** Sends one port right in a descriptor. */
inline kern_return_t send_port(mach_port_t dest, mach_msg_id_t id, mach_port_t right, mach_msg_type_name_t disp,
                               uint32_t value = 0, mach_msg_type_name_t dest_disp = MACH_MSG_TYPE_COPY_SEND) {
  WithPort m{};
  m.h.msgh_bits = MACH_MSGH_BITS(dest_disp, 0) | MACH_MSGH_BITS_COMPLEX;
  m.h.msgh_size = sizeof m;
  m.h.msgh_remote_port = dest;
  m.h.msgh_id = id;
  m.body.msgh_descriptor_count = 1;
  m.port.name = right;
  m.port.disposition = disp;
  m.port.type = MACH_MSG_PORT_DESCRIPTOR;
  m.value = value;
  return mach_msg(&m.h, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

/** Receives a message carrying one port descriptor; returns the right's name. */
inline mach_port_t receive_port(mach_port_t port, mach_msg_id_t id, mach_msg_type_name_t expect_disp,
                                uint32_t *value = nullptr) {
  WithPortRcv m{};
  CHECK_OK(receive(port, m));
  CHECK_EQ(m.h.msgh_id, id);
  CHECK(m.h.msgh_bits & MACH_MSGH_BITS_COMPLEX);
  CHECK_EQ(m.body.msgh_descriptor_count, 1u);
  CHECK_EQ((unsigned)m.port.type, (unsigned)MACH_MSG_PORT_DESCRIPTOR);
  CHECK_EQ((unsigned)m.port.disposition, (unsigned)expect_disp);
  if (value != nullptr) *value = m.value;
  return m.port.name;
}

inline mach_port_type_t type_of(mach_port_t name) {
  mach_port_type_t t = 0;
  CHECK_OK(mach_port_type(mach_task_self(), name, &t));
  return t;
}

inline mach_port_urefs_t refs(mach_port_t name, mach_port_right_t right) {
  mach_port_urefs_t r = 0;
  CHECK_OK(mach_port_get_refs(mach_task_self(), name, right, &r));
  return r;
}

}  // namespace harness

#endif
