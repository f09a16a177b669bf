// Child handshake, macOS part (see ../platform.h): one rendezvous service per
// parent, checked in with the bootstrap server under
// "<prefix>.<pid>.<token>" and found by children through the locator
// "service=<name>". No descriptor is inherited and no special port is
// swapped around fork(): the parent tells its children apart by the pid the
// kernel puts in each claim's audit trailer.
#include <crt_externs.h>
#include <fcntl.h>
#include <sys/event.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <tsmig/bootstrap.h>
#include <tsmig/handshake.h>

#include "../platform.h"

namespace tsmig::handshake::platform {

namespace {

const char kServicePrefix[] = "service=";

/** A descriptor that is readable at once (the process to watch is already gone). */
int readable_now() {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  char byte = 0;
  (void)!write(fds[1], &byte, 1);
  close(fds[1]);
  return fds[0];
}

}  // namespace

bool rendezvous_per_child() { return false; }

kern_return_t open_service(const std::string &prefix, const std::string &token, mach_port_t *receive,
                           std::string &locator) {
  std::string name = prefix + "." + std::to_string(getpid()) + "." + token;
  if (name.size() >= BOOTSTRAP_MAX_NAME_LEN) return TSMIG_HANDSHAKE_INVALID_PORTS;
  mach_port_t port = MACH_PORT_NULL;
  kern_return_t kr = bootstrap_check_in(bootstrap_port, name.c_str(), &port);
  // A sandbox (or a missing bootstrap port) says no here; the caller needs a prefix it may use.
  if (kr == BOOTSTRAP_NOT_PRIVILEGED || kr == KERN_DENIED || kr == KERN_NO_ACCESS || kr == MACH_SEND_INVALID_DEST) {
    return TSMIG_HANDSHAKE_CHECK_IN_DENIED;
  }
  if (kr != KERN_SUCCESS) return kr;
  *receive = port;
  locator = kServicePrefix + name;
  return KERN_SUCCESS;
}

kern_return_t child_endpoint(mach_port_t, const std::string &service_locator, int, int *inherit_fd,
                             std::string &locator) {
  // Children find the service by name: nothing to inherit.
  *inherit_fd = -1;
  locator = service_locator;
  return KERN_SUCCESS;
}

int add_spawn_actions(posix_spawn_file_actions_t *, int) { return 0; }

void close_endpoint(int) {}

void conceal(const std::string &) {}

kern_return_t reach(const std::string &locator, mach_port_t *rendezvous) {
  if (locator.compare(0, sizeof kServicePrefix - 1, kServicePrefix) != 0) return TSMIG_HANDSHAKE_BAD_ENVIRONMENT;
  std::string name = locator.substr(sizeof kServicePrefix - 1);
  if (name.empty() || name.size() >= BOOTSTRAP_MAX_NAME_LEN) return TSMIG_HANDSHAKE_BAD_ENVIRONMENT;
  mach_port_t port = MACH_PORT_NULL;
  if (bootstrap_look_up(bootstrap_port, name.c_str(), &port) != KERN_SUCCESS) return TSMIG_HANDSHAKE_UNREACHABLE;
  *rendezvous = port;
  return KERN_SUCCESS;
}

void release(const std::string &) {}

int exit_watch(pid_t pid) {
  int kq = kqueue();
  if (kq < 0) return -1;
  fcntl(kq, F_SETFD, FD_CLOEXEC);
  struct kevent change;
  EV_SET(&change, pid, EVFILT_PROC, EV_ADD | EV_ENABLE, NOTE_EXIT, 0, nullptr);
  if (kevent(kq, &change, 1, nullptr, 0, nullptr) != 0) {
    int error = errno;
    close(kq);
    // The process is already gone: say so the way a live watch would.
    return error == ESRCH ? readable_now() : -1;
  }
  return kq;
}

char **current_environment() { return *_NSGetEnviron(); }

}  // namespace tsmig::handshake::platform
