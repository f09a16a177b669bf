/*
 * tsmig/handshake.h — the child handshake: a parent starts a child process
 * and hands it Mach port rights, authenticated, before the child does
 * anything else with them. One call on each side:
 *
 *   parent: tsmig_spawn_with_ports()   (or prepare / started / wait around a
 *           spawn of your own)        — C++: tsmig::spawn_with_ports()
 *   child:  tsmig_claim_parent_ports() — C++: tsmig::claim_parent_ports()
 *
 * How the child finds the parent (the environment variable TSMIG_HANDSHAKE,
 * "1:<token>:<locator>", removed from the child's environment as soon as the
 * runtime loads so no grandchild sees it):
 *   Linux: the locator is "fd=<n>": the child inherits exactly one descriptor,
 *     a send right to a rendezvous port made for this child alone. The
 *     runtime marks it close-on-exec at load and consumes it when claiming.
 *   macOS: the locator is "service=<name>": a rendezvous service the parent
 *     checked in with the bootstrap server, named after the parent's pid and
 *     a random token. No special-port swapping around fork().
 * Either way the parent answers only a claim whose sender (the pid in the
 * kernel's audit trailer) is the child it spawned for those ports, and only
 * once (on Linux the child's rendezvous port is destroyed as the answer
 * leaves). It refuses everything else with an error reply, and keeps the
 * ports. The claimant must be the spawned process itself (exec is fine, a
 * fork is not). Trust: processes of the same user are kept out even when
 * they copy the variable or steal the descriptor; on Linux a process with
 * CAP_SYS_ADMIN can forge its credentials, as it can do anything else.
 *
 * The claim and its answer are Mach messages (Apple's 64-bit layout, packed
 * to 4 bytes):
 *   claim  (TSMIG_HANDSHAKE_CLAIM_ID, complex; reply port: a send-once right)
 *   answer (TSMIG_HANDSHAKE_CLAIM_ID + 100, complex)
 *     header, body (descriptor count n), n port descriptors (the sender's
 *     ports), NDR record, uint32 version (1), char token[32] (lowercase hex),
 *     uint32 names_size, names: n NUL-terminated names back to back, in
 *     descriptor order (names_size bytes, zero-padded to 4).
 *   refusal: a mig_reply_error_t (id TSMIG_HANDSHAKE_CLAIM_ID + 100, not
 *     complex) whose RetCode is one of the TSMIG_HANDSHAKE_* codes below.
 *
 * Ownership. Each handed or offered port says what travels with a
 * disposition: MACH_MSG_TYPE_MAKE_SEND (a send right made from your receive
 * right), MACH_MSG_TYPE_COPY_SEND (a copy of your send right), or a move
 * (MOVE_SEND, MOVE_RECEIVE, MOVE_SEND_ONCE) or MAKE_SEND_ONCE. Made and
 * copied rights never touch what you hold. Moved rights belong to the
 * handshake from the call on — they reach the other side, or are destroyed
 * if the handshake fails — unless the call returns KERN_INVALID_ARGUMENT or
 * TSMIG_HANDSHAKE_INVALID_PORTS (a claim also TSMIG_HANDSHAKE_NO_PARENT or
 * TSMIG_HANDSHAKE_ALREADY_CLAIMED): those take nothing.
 * Every right received from the other side is the caller's, listed in a
 * tsmig_port_list_t (free the list with tsmig_port_list_free; that releases
 * memory, not rights).
 *
 * Plain C, usable from C and C++; the C++ forms at the end are inline
 * wrappers.
 */
#ifndef TSMIG_HANDSHAKE_H
#define TSMIG_HANDSHAKE_H

#include <spawn.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <tsmig/mach.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The environment variable naming the rendezvous. */
#define TSMIG_HANDSHAKE_ENV "TSMIG_HANDSHAKE"
#define TSMIG_HANDSHAKE_VERSION 1
#define TSMIG_HANDSHAKE_CLAIM_ID 7460
#define TSMIG_HANDSHAKE_ANSWER_ID (TSMIG_HANDSHAKE_CLAIM_ID + 100)
/* Most ports one side hands over, and the longest port name (bytes, without the NUL). */
#define TSMIG_HANDSHAKE_MAX_PORTS 64
#define TSMIG_HANDSHAKE_MAX_NAME 127
#define TSMIG_HANDSHAKE_TOKEN_SIZE 32
/* Longest service-name prefix (macOS); the name adds ".<pid>.<token>". */
#define TSMIG_HANDSHAKE_MAX_PREFIX 64
#define TSMIG_HANDSHAKE_DEFAULT_PREFIX "org.tsmig.handshake"
/* Timeouts in milliseconds: 0 picks the default, TSMIG_HANDSHAKE_NO_TIMEOUT waits without limit. */
#define TSMIG_HANDSHAKE_DEFAULT_TIMEOUT_MS 30000u
#define TSMIG_HANDSHAKE_NO_TIMEOUT UINT32_MAX

/* Handshake errors (a Mach error space of their own; see tsmig_handshake_error_string). */
#define TSMIG_HANDSHAKE_ERROR(n) ((kern_return_t)(err_local | err_sub(0x74) | (n)))
/* Child: this process was not started with ports (no TSMIG_HANDSHAKE when the runtime loaded). */
#define TSMIG_HANDSHAKE_NO_PARENT TSMIG_HANDSHAKE_ERROR(1)
/* Child: the ports were already claimed (or a claim is in progress) in this process. */
#define TSMIG_HANDSHAKE_ALREADY_CLAIMED TSMIG_HANDSHAKE_ERROR(2)
/* Child: TSMIG_HANDSHAKE is malformed. */
#define TSMIG_HANDSHAKE_BAD_ENVIRONMENT TSMIG_HANDSHAKE_ERROR(3)
/* Child: the rendezvous named by TSMIG_HANDSHAKE cannot be reached from this process. */
#define TSMIG_HANDSHAKE_UNREACHABLE TSMIG_HANDSHAKE_ERROR(4)
/* Refusal: the claimant is not the process the ports wait for (or they were claimed already). */
#define TSMIG_HANDSHAKE_NOT_CHILD TSMIG_HANDSHAKE_ERROR(5)
/* Refusal: the claim carried the wrong token. */
#define TSMIG_HANDSHAKE_BAD_TOKEN TSMIG_HANDSHAKE_ERROR(6)
/* A claim or an answer that does not follow the protocol. */
#define TSMIG_HANDSHAKE_BAD_MESSAGE TSMIG_HANDSHAKE_ERROR(7)
/* Parent: the child exited before it claimed its ports. */
#define TSMIG_HANDSHAKE_CHILD_EXITED TSMIG_HANDSHAKE_ERROR(8)
/* No claim (parent) or no answer (child) before the timeout. */
#define TSMIG_HANDSHAKE_TIMED_OUT TSMIG_HANDSHAKE_ERROR(9)
/* Parent: the child claimed but stopped waiting for the answer (its reply port died). */
#define TSMIG_HANDSHAKE_CHILD_GONE TSMIG_HANDSHAKE_ERROR(10)
/* Parent: posix_spawn failed (tsmig_spawn_options_t.spawn_errno says why). */
#define TSMIG_HANDSHAKE_SPAWN_FAILED TSMIG_HANDSHAKE_ERROR(11)
/* Parent (macOS): the bootstrap server refused to check in the rendezvous service (sandbox?). */
#define TSMIG_HANDSHAKE_CHECK_IN_DENIED TSMIG_HANDSHAKE_ERROR(12)
/* Child: the parent went away (or gave up on this child) before answering. */
#define TSMIG_HANDSHAKE_PARENT_GONE TSMIG_HANDSHAKE_ERROR(13)
/* Bad port list: too many, a name empty, too long or repeated, a bad port or disposition. */
#define TSMIG_HANDSHAKE_INVALID_PORTS TSMIG_HANDSHAKE_ERROR(14)
/* Parent: no such ticket (never prepared, or finished already). */
#define TSMIG_HANDSHAKE_UNKNOWN_TICKET TSMIG_HANDSHAKE_ERROR(15)

/* A sentence for a handshake code, or mach_error_string() for any other code. */
const char *tsmig_handshake_error_string(kern_return_t code);

/*
 * One named port. Handing over: `disposition` is MACH_MSG_TYPE_MAKE_SEND,
 * COPY_SEND, MOVE_SEND, MOVE_RECEIVE, MAKE_SEND_ONCE or MOVE_SEND_ONCE.
 * Received: `disposition` is the right now held under `port`
 * (MACH_MSG_TYPE_PORT_SEND, PORT_RECEIVE or PORT_SEND_ONCE); `port` may be
 * MACH_PORT_DEAD when the sender's right was a dead name.
 */
typedef struct tsmig_named_port {
  const char *name;
  mach_port_name_t port;
  mach_msg_type_name_t disposition;
} tsmig_named_port_t;

/* Ports received from the other side; names point into the list's own memory. */
typedef struct tsmig_port_list {
  size_t count;
  tsmig_named_port_t *ports;
} tsmig_port_list_t;

/* Frees a list (memory only: the rights stay the caller's). Accepts NULL. */
void tsmig_port_list_free(tsmig_port_list_t *list);
/* The port named `name` in `list`, or MACH_PORT_NULL. */
mach_port_name_t tsmig_port_list_find(const tsmig_port_list_t *list, const char *name);

/* ------------------------------------------------------------------------ */
/* Child                                                                     */
/* ------------------------------------------------------------------------ */

/* Whether this process was started with ports it has not claimed yet. */
int tsmig_started_with_ports(void);

/*
 * Claims the ports the parent handed to this process, offering `offer` (may
 * be empty) in return, and waits up to `timeout_ms` for the answer. On
 * success *parent_ports lists the parent's ports (the caller owns them).
 * One claim per process: later calls return TSMIG_HANDSHAKE_ALREADY_CLAIMED.
 * After any outcome the rendezvous is gone from this process.
 */
kern_return_t tsmig_claim_parent_ports(const tsmig_named_port_t *offer, size_t offer_count, uint32_t timeout_ms,
                                       tsmig_port_list_t **parent_ports);

/* ------------------------------------------------------------------------ */
/* Parent                                                                    */
/* ------------------------------------------------------------------------ */

/* Options of tsmig_spawn_with_ports. Zero-initialise, then set what you need. */
typedef struct tsmig_spawn_options {
  /* How long the child has to claim (0: TSMIG_HANDSHAKE_DEFAULT_TIMEOUT_MS). */
  uint32_t claim_timeout_ms;
  /* Search PATH for `path` (posix_spawnp). */
  int search_path;
  /* Passed to posix_spawn as is (may be NULL). */
  const posix_spawnattr_t *attr;
  /* Adds the caller's file actions (may be NULL); returns 0 or an errno. The
     handshake adds its own after them. */
  int (*add_file_actions)(posix_spawn_file_actions_t *actions, void *context);
  void *context;
  /* macOS: prefix of the rendezvous service name (default
     TSMIG_HANDSHAKE_DEFAULT_PREFIX; sandboxed apps need their group id). */
  const char *service_prefix;
  /* Out: errno of a failed spawn (TSMIG_HANDSHAKE_SPAWN_FAILED). */
  int spawn_errno;
} tsmig_spawn_options_t;

/*
 * Spawns `path` with `argv` and `envp` (NULL: this process's environment,
 * either way with TSMIG_HANDSHAKE added), hands it `ports`, and waits until
 * it claims them: then *child_ports lists the ports it offered (the caller
 * owns them) and *pid is the child. Failures after the spawn
 * (TSMIG_HANDSHAKE_CHILD_EXITED, TIMED_OUT, CHILD_GONE) still set *pid; the
 * child is not killed and not reaped — that is the caller's to do. Safe to
 * call from several threads at once.
 */
kern_return_t tsmig_spawn_with_ports(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                                     const tsmig_named_port_t *ports, size_t port_count,
                                     tsmig_spawn_options_t *options, tsmig_port_list_t **child_ports);

/*
 * The same in steps, for code that starts the child itself (fork and exec,
 * a process library...). prepare takes the ports and returns a ticket, the
 * environment entry to give the child ("TSMIG_HANDSHAKE=...", into
 * `environment`, `environment_size` bytes; 256 is always enough) and, on
 * Linux, the descriptor (close-on-exec) the child must inherit as number
 * `child_fd` (pass -1 to keep its own number; on macOS *inherit_fd is -1).
 * Close your copy of it once the child is started, then call started() with
 * its pid and wait() for the claim; abandon() a ticket whose child never
 * started. wait() ends the ticket in every case.
 */
kern_return_t tsmig_handshake_prepare(const tsmig_named_port_t *ports, size_t port_count, const char *service_prefix,
                                      int child_fd, uint64_t *ticket, char *environment, size_t environment_size,
                                      int *inherit_fd);
kern_return_t tsmig_handshake_started(uint64_t ticket, pid_t pid);
kern_return_t tsmig_handshake_wait(uint64_t ticket, uint32_t timeout_ms, tsmig_port_list_t **child_ports);
kern_return_t tsmig_handshake_abandon(uint64_t ticket);

#ifdef __cplusplus
}  // extern "C"

#include <map>
#include <string>
#include <vector>

namespace tsmig {

/** A port to hand over, by name, with what travels (see the ownership rules above). */
struct NamedPort {
  std::string name;
  mach_port_t port;
  mach_msg_type_name_t disposition;
};

/** Received ports by name (each right is the caller's). */
using PortMap = std::map<std::string, mach_port_t>;

namespace handshake_detail {

inline std::vector<tsmig_named_port_t> to_c(const std::vector<NamedPort> &ports) {
  std::vector<tsmig_named_port_t> out;
  out.reserve(ports.size());
  for (const NamedPort &p : ports) out.push_back({p.name.c_str(), p.port, p.disposition});
  return out;
}

inline void take_list(tsmig_port_list_t *list, PortMap &out) {
  out.clear();
  if (list == nullptr) return;
  for (size_t i = 0; i < list->count; i++) out[list->ports[i].name] = list->ports[i].port;
  tsmig_port_list_free(list);
}

}  // namespace handshake_detail

/** Claims the parent's ports (see tsmig_claim_parent_ports), offering `offer`. */
inline kern_return_t claim_parent_ports(PortMap &parent_ports, const std::vector<NamedPort> &offer = {},
                                        uint32_t timeout_ms = 0) {
  std::vector<tsmig_named_port_t> c = handshake_detail::to_c(offer);
  tsmig_port_list_t *list = nullptr;
  kern_return_t kr = tsmig_claim_parent_ports(c.data(), c.size(), timeout_ms, &list);
  handshake_detail::take_list(list, parent_ports);
  return kr;
}

/** Spawns `path` with `args` (argv[0] included) and hands it `ports` (see tsmig_spawn_with_ports). */
inline kern_return_t spawn_with_ports(pid_t &pid, const std::string &path, const std::vector<std::string> &args,
                                      const std::vector<NamedPort> &ports, PortMap &child_ports,
                                      tsmig_spawn_options_t *options = nullptr) {
  std::vector<char *> argv;
  for (const std::string &a : args) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<tsmig_named_port_t> c = handshake_detail::to_c(ports);
  tsmig_port_list_t *list = nullptr;
  pid = -1;
  kern_return_t kr = tsmig_spawn_with_ports(&pid, path.c_str(), argv.data(), nullptr, c.data(), c.size(), options, &list);
  handshake_detail::take_list(list, child_ports);
  return kr;
}

}  // namespace tsmig

#endif  // __cplusplus

#endif /* TSMIG_HANDSHAKE_H */
