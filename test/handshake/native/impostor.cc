// An impostor for the handshake tests (Linux): a process that is not the
// spawned child but gets everything the child had. It steals the child's
// rendezvous descriptor with pidfd_getfd (same user, allowed to ptrace it),
// copies TSMIG_HANDSHAKE from /proc/<pid>/environ, points it at the stolen
// descriptor and runs the claimer with that: its claim really reaches the
// parent's rendezvous, and only the sender pid (kernel credentials) gives it
// away.
//   impostor <child pid> <claimer> report
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "script.h"

#if defined(__linux__)
int main(int argc, char **argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: impostor <child pid> <claimer> <mode>\n");
    return 2;
  }
  std::string pid = argv[1];
  std::ifstream environ_file("/proc/" + pid + "/environ");
  std::stringstream all;
  all << environ_file.rdbuf();
  std::string environment = all.str(), value;
  for (size_t at = 0; at < environment.size();) {
    size_t end = environment.find('\0', at);
    std::string entry = environment.substr(at, end - at);
    if (entry.rfind(TSMIG_HANDSHAKE_ENV "=", 0) == 0) value = entry.substr(sizeof TSMIG_HANDSHAKE_ENV);
    at = end == std::string::npos ? environment.size() : end + 1;
  }
  size_t at_fd = value.rfind("fd=");
  script::expect(at_fd != std::string::npos && at_fd + 3 < value.size() &&
                     value.find_first_not_of("0123456789", at_fd + 3) == std::string::npos,
                 "the child's " TSMIG_HANDSHAKE_ENV);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, std::atoi(argv[1]), 0));
  script::expect(pidfd >= 0, "pidfd_open");
  int stolen = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, std::atoi(value.c_str() + at_fd + 3), 0));
  script::expect(stolen >= 0, "pidfd_getfd");
  fcntl(stolen, F_SETFD, 0);  // the claimer inherits it
  std::string forged = value.substr(0, at_fd) + "fd=" + std::to_string(stolen);
  setenv(TSMIG_HANDSHAKE_ENV, forged.c_str(), 1);
  execv(argv[2], argv + 2);
  std::perror("execv");
  return 1;
}
#else
// The theft needs pidfd_getfd and /proc; on macOS nothing is inherited to steal.
int main() {
  std::fprintf(stderr, "impostor: Linux only\n");
  return 2;
}
#endif
