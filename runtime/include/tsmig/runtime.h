/*
 * tsmig runtime extensions: the few functions beyond Mach's own API that the
 * Node addon, the handshake and the tests need. Both backends implement
 * every function here (runtime/src/linux/ on the emulation, runtime/src/darwin/
 * on real Mach); nothing above them says #ifdef __APPLE__.
 *
 * Plain C, usable from C and C++.
 */
#ifndef TSMIG_RUNTIME_H
#define TSMIG_RUNTIME_H

#include <stdint.h>
#include <tsmig/mach.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A descriptor that polls readable while a message (or a notification the
 * runtime has to deliver) waits on the receive right or port set `name`, so
 * an event loop (libuv's uv_poll) can watch ports without a thread or a busy
 * poll. The runtime owns the descriptor; it stays valid until the right is
 * destroyed or moved away. After it polls readable, receive with
 * MACH_RCV_TIMEOUT and a zero timeout until MACH_RCV_TIMED_OUT.
 *   Linux: the port's epoll descriptor.  macOS: a kqueue watching the port
 *   with EVFILT_MACHPORT.
 */
kern_return_t tsmig_port_watch_fd(mach_port_name_t name, int *fd_out);

/* Counts for leak tests: names in this task's space and what they hold. */
typedef struct tsmig_space_stats {
  uint32_t names;           /* names in the space, dead names included */
  uint32_t receive_rights;  /* names holding a receive right */
  uint32_t send_rights;     /* names holding send rights (any urefs) */
  uint32_t send_once_rights;
  uint32_t port_sets;
  uint32_t dead_names;
  uint32_t descriptors;     /* file descriptors the runtime holds (0 on macOS) */
  uint64_t ool_bytes;       /* bytes of out-of-line memory the runtime tracks as
                               mapped for this process (owned or pooled) */
  uint64_t rejected_datagrams; /* malformed messages received and destroyed
                               (0 on macOS) */
} tsmig_space_stats_t;

kern_return_t tsmig_space_stats(tsmig_space_stats_t *out);

/*
 * A new descriptor (close-on-exec) carrying one send right to the port that
 * `name` denotes: with a receive right it makes a send right (as MAKE_SEND),
 * with a send right it copies it (as COPY_SEND). The caller owns the
 * descriptor: it can hand it to a child (clear FD_CLOEXEC first) or close it.
 *   Linux: the sending end of one of the port's socket pairs.
 *   macOS: KERN_NOT_SUPPORTED.
 */
kern_return_t tsmig_send_right_to_fd(mach_port_name_t name, int *fd_out);

/*
 * Takes ownership of `fd` (made by tsmig_send_right_to_fd, e.g. inherited
 * by this process) and returns the name of a send right to its port in this
 * task, coalesced with an existing name for the same port. A descriptor that
 * is not a tsmig send right is closed and KERN_INVALID_ARGUMENT returned.
 *   macOS: KERN_NOT_SUPPORTED (fd closed).
 */
kern_return_t tsmig_fd_to_send_right(int fd, mach_port_name_t *name_out);

/*
 * Releases cached out-of-line memory: pooled free regions and the mappings
 * kept for regions this process sent away (so a region that comes back is
 * not faulted in again). Leak tests call it before counting. No-op on macOS.
 */
kern_return_t tsmig_ool_trim(void);

/* The sender's process id in an audit token (val[5] on both systems). */
static inline int tsmig_audit_token_pid(const audit_token_t *token) { return (int)token->val[5]; }

#ifdef __cplusplus
}
#endif

#endif /* TSMIG_RUNTIME_H */
