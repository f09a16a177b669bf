// The fork rule, for code that forks: a C++ parent sets its bootstrap
// special port to a port of its own, forks, and restores the original at
// once (the classic recipe). The child must find that port as its bootstrap
// port (task_get_special_port and the bootstrap_port variable), exchange a
// message through it, and hold nothing else of the parent's: a forked child
// keeps only its special ports, as in Mach. Prints "OK" when all of it holds.
#include <sys/wait.h>
#include <unistd.h>

#include <tsmig/bootstrap.h>
#include <tsmig/runtime.h>

#include "script.h"

namespace {

mach_port_t new_port() {
  mach_port_t port = MACH_PORT_NULL;
  script::check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port), "allocate");
  return port;
}

bool gone(mach_port_t name) {
  mach_port_type_t type = 0;
  return mach_port_type(mach_task_self(), name, &type) == KERN_INVALID_NAME;
}

[[noreturn]] void child(mach_port_t bootstrap_receive, mach_port_t other_receive, mach_port_t other_send) {
  mach_port_t special = MACH_PORT_NULL;
  script::check(task_get_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, &special), "task_get_special_port");
  script::expect(MACH_PORT_VALID(special) && script::right_of(special) == "send", "the bootstrap special port");
  script::expect(special == bootstrap_port, "bootstrap_port names the special port");
  // Only the special port made it across fork(); every other right stayed with the parent.
  script::expect(gone(other_receive) && gone(other_send), "the parent's other rights are gone");
  script::expect(bootstrap_receive == special || gone(bootstrap_receive), "no receive right came along");
  tsmig_space_stats_t stats{};
  script::check(tsmig_space_stats(&stats), "space stats");
  script::expect(stats.names == 1 && stats.receive_rights == 0 && stats.send_rights == 1, "one name: the bootstrap port");

  mach_port_t reply = new_port();
  struct {
    mach_msg_header_t header;
    char body[8];
  } m{};
  m.header.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  m.header.msgh_size = sizeof m;
  m.header.msgh_remote_port = special;
  m.header.msgh_local_port = reply;
  m.header.msgh_id = 1;
  std::memcpy(m.body, "hello", 6);
  script::check(mach_msg(&m.header, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL), "child send");
  script::expect_text(reply, 2, "welcome");
  std::_Exit(0);
}

}  // namespace

int main() {
  task_t self = mach_task_self();
  mach_port_t original = MACH_PORT_NULL;
  script::check(task_get_special_port(self, TASK_BOOTSTRAP_PORT, &original), "task_get_special_port");
  mach_port_t mine = new_port();
  script::check(mach_port_insert_right(self, mine, mine, MACH_MSG_TYPE_MAKE_SEND), "make send");
  mach_port_t other = new_port();
  mach_port_t other_send = new_port();
  script::check(mach_port_insert_right(self, other_send, other_send, MACH_MSG_TYPE_MAKE_SEND), "make send");

  script::check(task_set_special_port(self, TASK_BOOTSTRAP_PORT, mine), "set bootstrap");
  pid_t pid = fork();
  if (pid == 0) child(mine, other, other_send);
  script::expect(pid > 0, "fork");
  script::check(task_set_special_port(self, TASK_BOOTSTRAP_PORT, original), "restore bootstrap");

  union {
    mach_msg_header_t header;
    uint8_t bytes[256];
  } m;
  script::check(mach_msg(&m.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
                             MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT), 0, sizeof m, mine, 20000,
                         MACH_PORT_NULL),
                "parent receive");
  script::expect(m.header.msgh_id == 1, "the child's message");
  mach_msg_audit_trailer_t trailer;
  std::memcpy(&trailer, m.bytes + m.header.msgh_size, sizeof trailer);
  script::expect(tsmig_audit_token_pid(&trailer.msgh_audit) == pid, "sent by the child");
  script::send_text(m.header.msgh_remote_port, 2, "welcome", MACH_MSG_TYPE_MOVE_SEND_ONCE);

  int status = 0;
  script::expect(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child passed");
  mach_port_t now = MACH_PORT_NULL;
  script::check(task_get_special_port(self, TASK_BOOTSTRAP_PORT, &now), "task_get_special_port");
  script::expect(now == original, "the parent's own bootstrap port is back");
  if (MACH_PORT_VALID(now)) mach_port_deallocate(self, now);
  std::printf("OK\n");
  return 0;
}
