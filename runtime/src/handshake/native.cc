// Child handshake, platform-neutral: the C API for native parents
// (tsmig_spawn_with_ports, and prepare / started / wait / abandon for code
// that starts children itself). One Parent per service prefix serves the
// whole process; a waiting thread drains it, and an outcome it finds for
// another thread's child is parked and that thread woken through its pipe,
// so several threads can spawn and wait at once. Every wait also watches its
// child's exit, so a child that dies before claiming ends the wait at once.
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include <tsmig/runtime.h>

#include "parent.h"
#include "platform.h"

namespace tsmig::handshake {

namespace {

/** When the system cannot watch a child's exit, how often the wait checks on it. */
constexpr int kExitCheckMs = 50;

struct Registry {
  std::mutex mu;
  std::map<std::string, std::unique_ptr<Parent>> parents;  // by service prefix
  std::map<uint64_t, Parent *> tickets;
  std::map<uint64_t, pid_t> pids;
  std::map<uint64_t, Outcome> finished;  // drained by a thread other than the ticket's waiter
  std::map<uint64_t, int> wakers;        // write end of each waiting thread's pipe
  pid_t owner = 0;
};

/** The process's registry; a forked child starts with a fresh one (the parent's rights are not its own). */
Registry &registry() {
  static Registry *r = nullptr;
  static std::mutex create;
  std::lock_guard<std::mutex> lock(create);
  if (r == nullptr || r->owner != getpid()) {
    r = new Registry();  // the old one (a forked parent's) is left alone, never destroyed
    r->owner = getpid();
  }
  return *r;
}

/** Releases the rights of an outcome nobody will take. */
void destroy_outcome(Outcome &outcome) {
  for (const tsmig_named_port_t &p : outcome.child.ports) {
    if (!MACH_PORT_VALID(p.port)) continue;
    if (p.disposition == MACH_MSG_TYPE_PORT_RECEIVE) {
      mach_port_mod_refs(mach_task_self(), p.port, MACH_PORT_RIGHT_RECEIVE, -1);
    } else {
      mach_port_deallocate(mach_task_self(), p.port);
    }
  }
  outcome.child.ports.clear();
}

/** Parks outcomes for their waiting threads and wakes them. Registry lock held. */
void park(Registry &r, std::vector<Outcome> &outcomes) {
  for (Outcome &outcome : outcomes) {
    uint64_t ticket = outcome.ticket;
    r.finished[ticket] = std::move(outcome);
    auto waker = r.wakers.find(ticket);
    if (waker != r.wakers.end()) {
      char byte = 1;
      (void)!write(waker->second, &byte, 1);
    }
  }
  outcomes.clear();
}

int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

/** Whether our child `pid` has exited (without reaping it); also true when it is no longer ours to ask about. */
bool has_exited(pid_t pid) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return errno == ECHILD;
  return info.si_pid == pid;
}

/** The outcome of `ticket` if some thread has drained it; registry lock held. */
bool take_finished(Registry &r, uint64_t ticket, Outcome &out) {
  auto it = r.finished.find(ticket);
  if (it == r.finished.end()) return false;
  out = std::move(it->second);
  r.finished.erase(it);
  return true;
}

/** Ends the ticket's bookkeeping in the registry; registry lock held. */
void forget(Registry &r, uint64_t ticket) {
  r.tickets.erase(ticket);
  r.pids.erase(ticket);
  auto waker = r.wakers.find(ticket);
  if (waker != r.wakers.end()) r.wakers.erase(waker);
}

kern_return_t finish(const Outcome &outcome, tsmig_port_list_t **child_ports) {
  if (outcome.code != KERN_SUCCESS) return outcome.code;
  tsmig_port_list_t *list = make_list(outcome.child.ports);
  if (list == nullptr) return KERN_RESOURCE_SHORTAGE;
  *child_ports = list;
  return KERN_SUCCESS;
}

/** Waits for the claim of `ticket` (its child is `pid`) on `parent`. The ticket is over when this returns. */
kern_return_t wait_for_claim(Registry &r, Parent &parent, uint64_t ticket, pid_t pid, uint32_t timeout_ms,
                             tsmig_port_list_t **child_ports) {
  int wake[2];
  if (pipe(wake) != 0) {
    parent.abandon(ticket);
    std::lock_guard<std::mutex> lock(r.mu);
    forget(r, ticket);
    return KERN_RESOURCE_SHORTAGE;
  }
  fcntl(wake[0], F_SETFD, FD_CLOEXEC);
  fcntl(wake[1], F_SETFD, FD_CLOEXEC);
  fcntl(wake[0], F_SETFL, O_NONBLOCK);
  fcntl(wake[1], F_SETFL, O_NONBLOCK);
  int watch = -1;
  parent.watch_fd(&watch);
  int exited_fd = platform::exit_watch(pid);
  {
    std::lock_guard<std::mutex> lock(r.mu);
    r.wakers[ticket] = wake[1];
  }
  bool forever = timeout_ms == TSMIG_HANDSHAKE_NO_TIMEOUT;
  int64_t deadline = now_ms() + (timeout_ms == 0 ? TSMIG_HANDSHAKE_DEFAULT_TIMEOUT_MS : timeout_ms);
  kern_return_t result = KERN_SUCCESS;
  Outcome outcome;
  bool done = false;
  bool child_exited = false;
  for (;;) {
    std::vector<Outcome> outcomes;
    parent.drain(outcomes);
    {
      std::lock_guard<std::mutex> lock(r.mu);
      park(r, outcomes);
      done = take_finished(r, ticket, outcome);
    }
    if (done || child_exited) break;
    int64_t left = forever ? -1 : deadline - now_ms();
    if (!forever && left <= 0) break;
    pollfd fds[3] = {{watch, POLLIN, 0}, {wake[0], POLLIN, 0}, {exited_fd, POLLIN, 0}};
    int slice = exited_fd < 0 ? kExitCheckMs : -1;
    int wait = forever ? slice : static_cast<int>(slice < 0 ? left : std::min<int64_t>(left, slice));
    int n = poll(fds, exited_fd < 0 ? 2 : 3, wait);
    if (n < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) tsmig_watch_ack(watch);
    if (fds[1].revents & POLLIN) {
      char drained[16];
      while (read(wake[0], drained, sizeof drained) > 0) {
      }
    }
    // One more drain after the exit: a claim answered just before it still counts.
    child_exited = exited_fd >= 0 ? (fds[2].revents & (POLLIN | POLLHUP)) != 0 : has_exited(pid);
  }
  if (!done && parent.abandon(ticket) == TSMIG_HANDSHAKE_UNKNOWN_TICKET) {
    // Another thread answered the claim after our last look.
    std::lock_guard<std::mutex> lock(r.mu);
    done = take_finished(r, ticket, outcome);
  }
  if (done) {
    result = finish(outcome, child_ports);
    if (result == KERN_RESOURCE_SHORTAGE) destroy_outcome(outcome);
  } else {
    result = child_exited ? TSMIG_HANDSHAKE_CHILD_EXITED : TSMIG_HANDSHAKE_TIMED_OUT;
  }
  {
    std::lock_guard<std::mutex> lock(r.mu);
    forget(r, ticket);
  }
  close(wake[0]);
  close(wake[1]);
  if (watch >= 0) tsmig_watch_close(watch);
  if (exited_fd >= 0) close(exited_fd);
  return result;
}

Parent *parent_of(Registry &r, uint64_t ticket, pid_t *pid) {
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.tickets.find(ticket);
  if (it == r.tickets.end()) return nullptr;
  if (pid != nullptr) {
    auto p = r.pids.find(ticket);
    *pid = p == r.pids.end() ? 0 : p->second;
  }
  return it->second;
}

}  // namespace

}  // namespace tsmig::handshake

using namespace tsmig::handshake;

extern "C" {

kern_return_t tsmig_handshake_prepare(const tsmig_named_port_t *ports, size_t port_count, const char *service_prefix,
                                      int child_fd, uint64_t *ticket, char *environment, size_t environment_size,
                                      int *inherit_fd) {
  if (ticket == nullptr || environment == nullptr || environment_size < 256 || inherit_fd == nullptr) {
    return KERN_INVALID_ARGUMENT;
  }
  std::string prefix = service_prefix != nullptr ? service_prefix : TSMIG_HANDSHAKE_DEFAULT_PREFIX;
  Registry &r = registry();
  Parent *parent;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    std::unique_ptr<Parent> &slot = r.parents[prefix];
    if (!slot) slot = std::make_unique<Parent>(prefix);
    parent = slot.get();
  }
  Prepared prepared;
  kern_return_t kr = parent->prepare(ports, port_count, child_fd, prepared);
  if (kr != KERN_SUCCESS) return kr;
  std::string entry = std::string(TSMIG_HANDSHAKE_ENV "=") + prepared.environment_value;
  memcpy(environment, entry.c_str(), entry.size() + 1);
  *ticket = prepared.ticket;
  *inherit_fd = prepared.inherit_fd;
  std::lock_guard<std::mutex> lock(r.mu);
  r.tickets[prepared.ticket] = parent;
  return KERN_SUCCESS;
}

kern_return_t tsmig_handshake_started(uint64_t ticket, pid_t pid) {
  Registry &r = registry();
  Parent *parent = parent_of(r, ticket, nullptr);
  if (parent == nullptr) return TSMIG_HANDSHAKE_UNKNOWN_TICKET;
  std::vector<Outcome> outcomes;
  kern_return_t kr = parent->started(ticket, pid, outcomes);
  std::lock_guard<std::mutex> lock(r.mu);
  if (kr == KERN_SUCCESS) r.pids[ticket] = pid;
  park(r, outcomes);
  return kr;
}

kern_return_t tsmig_handshake_wait(uint64_t ticket, uint32_t timeout_ms, tsmig_port_list_t **child_ports) {
  if (child_ports == nullptr) return KERN_INVALID_ARGUMENT;
  *child_ports = nullptr;
  Registry &r = registry();
  pid_t pid = 0;
  Parent *parent = parent_of(r, ticket, &pid);
  if (parent == nullptr) return TSMIG_HANDSHAKE_UNKNOWN_TICKET;
  if (pid <= 0) {
    // started() comes first: without a pid there is no child to wait for.
    tsmig_handshake_abandon(ticket);
    return KERN_INVALID_ARGUMENT;
  }
  return wait_for_claim(r, *parent, ticket, pid, timeout_ms, child_ports);
}

kern_return_t tsmig_handshake_abandon(uint64_t ticket) {
  Registry &r = registry();
  Parent *parent = parent_of(r, ticket, nullptr);
  if (parent == nullptr) return TSMIG_HANDSHAKE_UNKNOWN_TICKET;
  kern_return_t kr = parent->abandon(ticket);
  std::lock_guard<std::mutex> lock(r.mu);
  Outcome unclaimed;
  // Claimed while nobody waited: the child's rights have no taker.
  if (take_finished(r, ticket, unclaimed)) {
    destroy_outcome(unclaimed);
    kr = KERN_SUCCESS;
  }
  forget(r, ticket);
  return kr;
}

kern_return_t tsmig_spawn_with_ports(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                                     const tsmig_named_port_t *ports, size_t port_count,
                                     tsmig_spawn_options_t *options, tsmig_port_list_t **child_ports) {
  if (pid == nullptr || path == nullptr || argv == nullptr || child_ports == nullptr) return KERN_INVALID_ARGUMENT;
  *child_ports = nullptr;
  *pid = -1;
  tsmig_spawn_options_t defaults{};
  tsmig_spawn_options_t &o = options != nullptr ? *options : defaults;
  o.spawn_errno = 0;
  uint64_t ticket = 0;
  char entry[256];
  int inherit_fd = -1;
  kern_return_t kr = tsmig_handshake_prepare(ports, port_count, o.service_prefix, -1, &ticket, entry, sizeof entry,
                                             &inherit_fd);
  if (kr != KERN_SUCCESS) return kr;

  // The caller's environment without any TSMIG_HANDSHAKE of its own, then this child's.
  std::vector<char *> env;
  const size_t key = strlen(TSMIG_HANDSHAKE_ENV "=");
  for (char *const *e = envp != nullptr ? envp : platform::current_environment(); e != nullptr && *e != nullptr; e++) {
    if (strncmp(*e, TSMIG_HANDSHAKE_ENV "=", key) != 0) env.push_back(*e);
  }
  env.push_back(entry);
  env.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  int err = posix_spawn_file_actions_init(&actions);
  pid_t child = -1;
  if (err == 0) {
    if (o.add_file_actions != nullptr) err = o.add_file_actions(&actions, o.context);
    if (err == 0 && inherit_fd >= 0) err = platform::add_spawn_actions(&actions, inherit_fd);
    if (err == 0) {
      err = o.search_path ? posix_spawnp(&child, path, &actions, o.attr, argv, env.data())
                          : posix_spawn(&child, path, &actions, o.attr, argv, env.data());
    }
    posix_spawn_file_actions_destroy(&actions);
  }
  platform::close_endpoint(inherit_fd);
  if (err != 0) {
    tsmig_handshake_abandon(ticket);
    o.spawn_errno = err;
    return TSMIG_HANDSHAKE_SPAWN_FAILED;
  }
  *pid = child;
  kr = tsmig_handshake_started(ticket, child);
  if (kr != KERN_SUCCESS) {
    tsmig_handshake_abandon(ticket);
    return kr;
  }
  return tsmig_handshake_wait(ticket, o.claim_timeout_ms, child_ports);
}

}  // extern "C"
