// Child handshake, Linux part (see ../platform.h): every child gets a
// rendezvous port of its own, reached through exactly one inherited
// descriptor (a send right made by tsmig_send_right_to_fd) named "fd=<n>".
// Since a descriptor can be copied to another process (SCM_RIGHTS,
// pidfd_getfd), the parent also checks the claim's sender pid, which the
// kernel stamps on every datagram. (For tests, the shared model of macOS:
// one port for all children, each reaching it through its own descriptor.)
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>

#include <tsmig/handshake.h>
#include <tsmig/runtime.h>

#include "../platform.h"

extern char **environ;

namespace tsmig::handshake::platform {

namespace {

/** The descriptor number of an "fd=<n>" locator, or -1. */
int locator_fd(const std::string &locator) {
  if (locator.compare(0, 3, "fd=") != 0 || locator.size() == 3 || locator.size() > 13) return -1;
  char *end = nullptr;
  long n = strtol(locator.c_str() + 3, &end, 10);
  if (*end != 0 || n < 0 || n > INT_MAX || locator[3] == '-' || locator[3] == '+') return -1;
  return static_cast<int>(n);
}

/** Whether `fd` is open here and could be a rendezvous (a Unix SOCK_SEQPACKET socket). */
bool could_be_rendezvous(int fd) {
  if (fd < 0 || fcntl(fd, F_GETFD) < 0) return false;
  int type = 0, domain = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_SEQPACKET) return false;
  len = sizeof domain;
  return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_UNIX;
}

}  // namespace

bool rendezvous_per_child() {
  const char *shared = getenv("TSMIG_HANDSHAKE_SHARED_RENDEZVOUS");
  return shared == nullptr || std::string(shared) != "1";
}

kern_return_t open_service(const std::string &, const std::string &, mach_port_t *receive, std::string &locator) {
  // Children reach it through descriptors of their own (child_endpoint): it needs no name.
  locator.clear();
  return mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, receive);
}

kern_return_t child_endpoint(mach_port_t rendezvous, const std::string &, int child_fd, int *inherit_fd,
                             std::string &locator) {
  int fd = -1;
  kern_return_t kr = tsmig_send_right_to_fd(rendezvous, &fd);
  if (kr != KERN_SUCCESS) return kr;
  *inherit_fd = fd;
  locator = "fd=" + std::to_string(child_fd >= 0 ? child_fd : fd);
  return KERN_SUCCESS;
}

int add_spawn_actions(posix_spawn_file_actions_t *actions, int inherit_fd) {
  // dup2 onto itself clears close-on-exec in the child only (glibc ≥ 2.29, as POSIX.1-2024 says).
  return posix_spawn_file_actions_adddup2(actions, inherit_fd, inherit_fd);
}

void close_endpoint(int inherit_fd) {
  if (inherit_fd >= 0) close(inherit_fd);
}

void conceal(const std::string &locator) {
  int fd = locator_fd(locator);
  if (could_be_rendezvous(fd)) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

kern_return_t reach(const std::string &locator, mach_port_t *rendezvous) {
  int fd = locator_fd(locator);
  if (fd < 0) return TSMIG_HANDSHAKE_BAD_ENVIRONMENT;
  // Anything else under that number is not ours to take (the variable was copied to another process).
  if (!could_be_rendezvous(fd)) return TSMIG_HANDSHAKE_UNREACHABLE;
  mach_port_name_t name = MACH_PORT_NULL;
  if (tsmig_fd_to_send_right(fd, &name) != KERN_SUCCESS) return TSMIG_HANDSHAKE_UNREACHABLE;
  *rendezvous = name;
  return KERN_SUCCESS;
}

void release(const std::string &locator) {
  int fd = locator_fd(locator);
  if (could_be_rendezvous(fd)) close(fd);
}

int exit_watch(pid_t pid) {
#ifdef SYS_pidfd_open
  // A pidfd is close-on-exec and polls readable once the process has exited; it does not reap.
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

char **current_environment() { return environ; }

}  // namespace tsmig::handshake::platform
