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
 * A new descriptor (close-on-exec, owned by the caller) that polls readable
 * while a message (or work the runtime does on the port's behalf) waits on
 * the receive right or port set `name`, so an event loop (libuv's uv_poll)
 * can watch ports without a thread or a busy poll. After it polls readable,
 * call tsmig_watch_ack, then receive with MACH_RCV_TIMEOUT and a zero timeout
 * as many messages as wanted: the descriptor polls readable again while
 * messages (or work the runtime does on the port's behalf) still wait, so a
 * caller may stop before MACH_RCV_TIMED_OUT. Stop watching
 * (tsmig_watch_close) before moving or destroying the right; afterwards the
 * descriptor may stay readable.
 *   Linux: a copy of the port's epoll descriptor.  macOS: a kqueue watching
 *   the port with EVFILT_MACHPORT.
 */
kern_return_t tsmig_port_watch_fd(mach_port_name_t name, int *fd_out);

/*
 * A new descriptor (owned by the caller) that polls readable once a send to
 * `name` (a send or send-once right, or our own receive right) may succeed
 * again, or can no longer succeed because the port died. For an event loop:
 * call it after a zero-timeout send returned MACH_SEND_TIMED_OUT, and send
 * again (zero timeout) each time it polls readable, after tsmig_watch_ack. It
 * may poll readable spuriously; it never stays unreadable while there is room.
 *   Linux: an epoll over the port's room semaphore and the sending socket.
 *   macOS: a kqueue over a private port with MACH_NOTIFY_SEND_POSSIBLE.
 */
kern_return_t tsmig_port_send_watch_fd(mach_port_name_t name, int *fd_out);

/* Call after a watch descriptor polled readable, before receiving or sending. */
kern_return_t tsmig_watch_ack(int watch_fd);

/* Releases a descriptor from tsmig_port_watch_fd or tsmig_port_send_watch_fd. */
kern_return_t tsmig_watch_close(int watch_fd);

/*
 * Counts for leak tests: names in this task's space and what they hold.
 * Some state is made lazily per right and lives as long as the right (on
 * Linux: a port's home socket pair and queue page once it is sent to, the
 * room semaphore of a destination once a sender waited on it): count before
 * the rights exist and after they are all gone. Pooled out-of-line memory
 * stays until tsmig_ool_trim().
 */
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
  uint64_t send_once_reused; /* send-once rights made from a resting family of
                               the send-once pool instead of a new socket pair
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
