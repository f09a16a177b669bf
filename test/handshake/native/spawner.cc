// A native parent for the handshake tests: a C++ program linked with the
// runtime library that starts a child with tsmig::spawn_with_ports. Modes:
//   exchange <command> [args]   hands the five ports of script.h, plays the
//                               parent's side of the exchange, checks what
//                               it still holds afterwards, prints "OK"
//   many <n> <command> [args]   n threads spawn a child each at once (the
//                               children play the exchange); prints "OK"
//   fail <command> [args]       expects the handshake to fail; prints the
//                               code and whether every right and descriptor
//                               held for the child is gone ("clean")
//   held <claimer>              starts `claimer announce` through the step
//                               API and lets it claim before its pid is
//                               registered (while another child's handshake
//                               drains the rendezvous); the early claim must
//                               be held, not refused, and answered once the
//                               pid is registered; prints "OK"
//   vanish <claimer>            (Linux) starts `claimer vanish`, which sends
//                               its claim and exits; reads the claim only
//                               once the child is dead; prints the code and
//                               "clean" or "leaked", as `fail` does
#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <thread>
#include <vector>

#include <tsmig/runtime.h>

#include "script.h"

// macOS declares it in no header; Linux's <unistd.h> does (the same declaration).
extern char **environ;

namespace {

mach_port_t new_port() {
  mach_port_t port = MACH_PORT_NULL;
  script::check(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port), "allocate");
  return port;
}

mach_port_urefs_t refs(mach_port_t port, mach_port_right_t right) {
  mach_port_urefs_t n = 0;
  mach_port_get_refs(mach_task_self(), port, right, &n);
  return n;
}

int open_descriptors() {
  int n = 0;
  if (DIR *d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) n++;
    closedir(d);
  }
  return n;
}

int wait_exit(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/** One child, the whole exchange; any difference ends the program with a message. */
void exchange(const std::vector<std::string> &command) {
  mach_port_t control = new_port(), data = new_port(), moved = new_port(), receiver = new_port(), once = new_port();
  task_t self = mach_task_self();
  script::check(mach_port_insert_right(self, data, data, MACH_MSG_TYPE_MAKE_SEND), "make data");
  script::check(mach_port_insert_right(self, moved, moved, MACH_MSG_TYPE_MAKE_SEND), "make moved");
  script::check(mach_port_insert_right(self, receiver, receiver, MACH_MSG_TYPE_MAKE_SEND), "make receiver");
  pid_t pid = -1;
  tsmig::PortMap child;
  script::check(tsmig::spawn_with_ports(pid, command[0], command,
                                        {{"control", control, MACH_MSG_TYPE_MAKE_SEND},
                                         {"data", data, MACH_MSG_TYPE_COPY_SEND},
                                         {"moved", moved, MACH_MSG_TYPE_MOVE_SEND},
                                         {"receiver", receiver, MACH_MSG_TYPE_MOVE_RECEIVE},
                                         {"once", once, MACH_MSG_TYPE_MAKE_SEND_ONCE}},
                                        child),
                "spawn_with_ports");
  script::expect(child.size() == 1 && script::right_of(child.at("inbox")) == "send", "the child's inbox");
  mach_port_t inbox = child.at("inbox");
  // What stayed here: copies and made rights never touch ours; moved ones left.
  script::expect(refs(data, MACH_PORT_RIGHT_SEND) == 1, "data keeps its one send reference");
  script::expect(refs(moved, MACH_PORT_RIGHT_SEND) == 0, "the moved send right left");
  script::expect(refs(receiver, MACH_PORT_RIGHT_RECEIVE) == 0 && refs(receiver, MACH_PORT_RIGHT_SEND) == 1,
                 "the receive right left, our send right to it stayed");
  script::expect_text(control, 100, "control=send;data=send;moved=send;once=send-once;receiver=receive");
  script::send_text(inbox, 200, "ping");
  script::expect_text(control, 201, "pong:ping");
  script::expect_text(data, 300, "data");
  script::expect_text(moved, 400, "moved");
  script::expect_text(once, 500, "once");
  script::send_text(receiver, 600, "to-receiver");
  script::expect_text(control, 601, "got:to-receiver");
  script::send_text(inbox, 999, "");
  script::expect(wait_exit(pid) == 0, "the child exits 0");
  for (mach_port_t p : {control, data, moved, once}) mach_port_mod_refs(self, p, MACH_PORT_RIGHT_RECEIVE, -1);
  mach_port_deallocate(self, data);
  mach_port_deallocate(self, receiver);
  mach_port_deallocate(self, inbox);
}

kern_return_t spawn_and_kill(const std::vector<std::string> &command, const std::vector<tsmig::NamedPort> &ports) {
  pid_t pid = -1;
  tsmig::PortMap child;
  tsmig_spawn_options_t options{};
  options.claim_timeout_ms = 1500;
  kern_return_t kr = tsmig::spawn_with_ports(pid, command[0], command, ports, child, &options);
  if (pid > 0) {
    kill(pid, SIGKILL);
    wait_exit(pid);
  }
  return kr;
}

using Attempt = std::function<kern_return_t(const std::vector<tsmig::NamedPort> &)>;

/** Runs `attempt` twice (the first makes what every later handshake shares) and prints the second's code and whether it left anything behind. */
int counted_failure(const Attempt &attempt) {
  mach_port_t kept = new_port();
  attempt({{"kept", kept, MACH_MSG_TYPE_MAKE_SEND}});
  tsmig_space_stats_t before{};
  tsmig_space_stats(&before);
  int fds_before = open_descriptors();
  mach_port_t moved = new_port();
  kern_return_t kr = attempt({{"kept", kept, MACH_MSG_TYPE_MAKE_SEND}, {"moved", moved, MACH_MSG_TYPE_MOVE_RECEIVE}});
  tsmig_space_stats_t after{};
  tsmig_space_stats(&after);
  bool clean = after.names == before.names && after.receive_rights == before.receive_rights &&
               after.send_rights == before.send_rights && after.descriptors == before.descriptors &&
               open_descriptors() == fds_before && refs(kept, MACH_PORT_RIGHT_SEND) == 0 &&
               refs(kept, MACH_PORT_RIGHT_RECEIVE) == 1;
  std::printf("%s 0x%x %s\n", clean ? "clean" : "leaked", kr, tsmig_handshake_error_string(kr));
  if (!clean) {
    std::printf("names %u→%u receive %u→%u send %u→%u runtime fds %u→%u fds %d→%d kept send refs %u\n", before.names,
                after.names, before.receive_rights, after.receive_rights, before.send_rights, after.send_rights,
                before.descriptors, after.descriptors, fds_before, open_descriptors(), refs(kept, MACH_PORT_RIGHT_SEND));
  }
  mach_port_mod_refs(mach_task_self(), kept, MACH_PORT_RIGHT_RECEIVE, -1);
  return 0;
}

int fail(const std::vector<std::string> &command) {
  return counted_failure([&command](const std::vector<tsmig::NamedPort> &ports) { return spawn_and_kill(command, ports); });
}

/** This process's environment with `entry` (TSMIG_HANDSHAKE=...) added. */
std::vector<char *> environment_with(char *entry) {
  std::vector<char *> env;
  for (char **e = environ; *e != nullptr; e++) env.push_back(*e);
  env.push_back(entry);
  env.push_back(nullptr);
  return env;
}

/**
 * A child that dies mid-handshake: `claimer vanish` sends its claim and
 * exits at once. Its exit is awaited (not reaped) before the parent reads
 * anything, so the claim is read from a dead child with a dead reply port.
 */
kern_return_t vanish_once(const std::string &claimer, const std::vector<tsmig::NamedPort> &ports) {
  std::vector<tsmig_named_port_t> c_ports;
  for (const tsmig::NamedPort &p : ports) c_ports.push_back({p.name.c_str(), p.port, p.disposition});
  uint64_t ticket = 0;
  char entry[256];
  int inherit = -1;
  script::check(tsmig_handshake_prepare(c_ports.data(), c_ports.size(), nullptr, -1, &ticket, entry, sizeof entry,
                                        &inherit),
                "prepare");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (inherit >= 0) posix_spawn_file_actions_adddup2(&actions, inherit, inherit);
  std::vector<char *> env = environment_with(entry);
  char *argv[] = {const_cast<char *>(claimer.c_str()), const_cast<char *>("vanish"), nullptr};
  pid_t pid = -1;
  script::expect(posix_spawn(&pid, claimer.c_str(), &actions, nullptr, argv, env.data()) == 0, "posix_spawn");
  posix_spawn_file_actions_destroy(&actions);
  if (inherit >= 0) close(inherit);
  script::check(tsmig_handshake_started(ticket, pid), "started");
  siginfo_t info{};
  script::expect(waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) == 0, "waitid");
  tsmig_port_list_t *list = nullptr;
  kern_return_t kr = tsmig_handshake_wait(ticket, 20000, &list);
  if (list != nullptr) {
    for (size_t i = 0; i < list->count; i++) mach_port_deallocate(mach_task_self(), list->ports[i].port);
    tsmig_port_list_free(list);
  }
  script::expect(wait_exit(pid) == 0, "the vanishing child sent its claim and exited 0");
  return kr;
}

void held(const std::string &claimer) {
  mach_port_t control = new_port();
  tsmig_named_port_t ports[] = {{"control", control, MACH_MSG_TYPE_MAKE_SEND}};
  uint64_t ticket = 0;
  char entry[256];
  int inherit = -1;
  script::check(tsmig_handshake_prepare(ports, 1, nullptr, -1, &ticket, entry, sizeof entry, &inherit), "prepare");
  int out[2];
  script::expect(pipe(out) == 0, "pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  if (inherit >= 0) posix_spawn_file_actions_adddup2(&actions, inherit, inherit);
  std::vector<char *> env = environment_with(entry);
  char *argv[] = {const_cast<char *>(claimer.c_str()), const_cast<char *>("announce"), nullptr};
  pid_t early = -1;
  script::expect(posix_spawn(&early, claimer.c_str(), &actions, nullptr, argv, env.data()) == 0, "posix_spawn");
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (inherit >= 0) close(inherit);
  // Once it says so, its claim is on the way; give it time to be queued.
  char line[16] = {};
  script::expect(read(out[0], line, sizeof line - 1) > 0 && std::string(line) == "claiming\n", "the child announces");
  close(out[0]);
  usleep(300 * 1000);
  // Another child's handshake drains the rendezvous ports: it meets the early claim, whose pid nobody knows yet.
  exchange({claimer, "exchange"});
  script::check(tsmig_handshake_started(ticket, early), "started");
  tsmig_port_list_t *list = nullptr;
  script::check(tsmig_handshake_wait(ticket, 20000, &list), "wait");
  script::expect(list->count == 1 && std::string(list->ports[0].name) == "inbox", "the early child's inbox");
  mach_port_deallocate(mach_task_self(), list->ports[0].port);
  tsmig_port_list_free(list);
  script::expect_text(control, 100, "held");
  script::expect(wait_exit(early) == 0, "the early child exits 0");
  mach_port_mod_refs(mach_task_self(), control, MACH_PORT_RIGHT_RECEIVE, -1);
}

}  // namespace

int main(int argc, char **argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "exchange" && argc > 2) {
    exchange(std::vector<std::string>(argv + 2, argv + argc));
    std::printf("OK\n");
    return 0;
  }
  if (mode == "many" && argc > 3) {
    int n = std::atoi(argv[2]);
    std::vector<std::string> command(argv + 3, argv + argc);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; i++) threads.emplace_back([&command] { exchange(command); });
    for (std::thread &t : threads) t.join();
    std::printf("OK\n");
    return 0;
  }
  if (mode == "fail" && argc > 2) return fail(std::vector<std::string>(argv + 2, argv + argc));
  if (mode == "held" && argc > 2) {
    held(argv[2]);
    std::printf("OK\n");
    return 0;
  }
  if (mode == "vanish" && argc > 2) {
    std::string claimer = argv[2];
    return counted_failure(
        [&claimer](const std::vector<tsmig::NamedPort> &ports) { return vanish_once(claimer, ports); });
  }
  std::fprintf(stderr, "usage: spawner exchange|many <n>|fail <command> [args] | held <claimer> | vanish <claimer>\n");
  return 2;
}
