/*
 * fake_mach.h — a scripted, in-process stand-in for the Mach calls MIG
 * stubs make, for replaying the wire corpus without a kernel or a runtime.
 *
 * mach_msg records what a stub sends and hands back a scripted reply
 * (received form + a format-0 trailer); every call that destroys a right
 * or a region (mach_port_deallocate, mach_port_mod_refs, vm_deallocate,
 * mig_dealloc_reply_port, …) is logged, so a test can count that each
 * right and region of a message was destroyed exactly once. Plain C API,
 * used by the C++ replay and by C programs alike.
 */
#ifndef TSMIG_TEST_FAKE_MACH_H
#define TSMIG_TEST_FAKE_MACH_H

#include <stdint.h>
#include <tsmig/mach.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a logged call did. */
enum fake_op {
  FAKE_PORT_DEALLOCATE = 1, /* mach_port_deallocate(name) */
  FAKE_PORT_MOD_REFS = 2,   /* mach_port_mod_refs(name, right, delta): a = name, b = right << 32 | (uint32_t)delta */
  FAKE_PORT_INSERT = 3,     /* mach_port_insert_right(name, poly, disposition): a = name, b = disposition */
  FAKE_PORT_EXTRACT = 4,    /* mach_port_extract_right(name, disposition): a = name, b = disposition */
  FAKE_VM_DEALLOCATE = 5,   /* vm_deallocate / mig_deallocate: a = address, b = size */
  FAKE_REPLY_PORT_DEALLOC = 6, /* mig_dealloc_reply_port(name) */
  FAKE_REPLY_PORT_PUT = 7      /* mig_put_reply_port(name) */
};

typedef struct {
  int op;
  uint64_t a;
  uint64_t b;
} fake_event_t;

/* The name mig_get_reply_port() returns unless fake_set_reply_port says otherwise. */
#define FAKE_REPLY_PORT 0x1503u

/* The name mig_get_reply_port() returns until the next reset. */
void fake_set_reply_port(mach_port_t name);

/* Forgets every script, record and event. */
void fake_reset(void);

/* The next send fails with `result` (MACH_SEND_INVALID_DEST …) instead of succeeding. */
void fake_script_send_result(mach_msg_return_t result);

/*
 * The next receive returns this message (in received form: `size` bytes
 * from the header) followed by the trailer the receive asked for. Without
 * a script, a receive times out (MACH_RCV_TIMED_OUT).
 */
void fake_script_reply(const void *bytes, uint32_t size);

/* Trailer elements every receive reports (default: seqno 0, all zeros). */
void fake_set_trailer(uint32_t seqno, const uint32_t sender[2], const uint32_t audit[8]);

/* Copies the last message sent (msgh_size bytes) to `out`; returns its size (0 when none). */
uint32_t fake_last_sent(void *out, uint32_t max);

/* The option, timeout and receive size of the last mach_msg call. */
mach_msg_option_t fake_last_option(void);
mach_msg_timeout_t fake_last_timeout(void);
uint32_t fake_send_count(void);

/* Logged destroying calls since the last reset. */
uint32_t fake_event_count(void);
const fake_event_t *fake_event(uint32_t index);

#ifdef __cplusplus
}
#endif

#endif /* TSMIG_TEST_FAKE_MACH_H */
