/*
 * tsmig/bootstrap.h — the bootstrap (name server) client API.
 *
 * macOS: the system's <servers/bootstrap.h> (launchd answers).
 * Linux: the same functions, sent as RPCs to the task's bootstrap special
 * port (TASK_BOOTSTRAP_PORT) in the small tsmig bootstrap protocol below, and
 * a tiny name server in the library that answers them (for tests and native
 * programs; a parent starts it and hands it to its children as their
 * bootstrap port). Without a bootstrap port the functions fail with
 * MACH_SEND_INVALID_DEST, as a mach_msg to MACH_PORT_NULL does.
 *
 * The protocol (message ids are subsystem 7400 + n; replies are id + 100;
 * Apple MIG's 64-bit layout, so a .defs can describe it):
 *   7400 check_in (name_t name) -> (MOVE_RECEIVE service)
 *   7401 register (COPY_SEND/MOVE_SEND service, name_t name) -> ()
 *   7402 look_up  (name_t name) -> (MOVE_SEND service)
 *   request: header, [body, port descriptor,] NDR, name (128 bytes, NUL-terminated)
 *   reply:   header, body, port descriptor  — or mig_reply_error_t whose
 *            RetCode is KERN_SUCCESS or a BOOTSTRAP_* code.
 */
#ifndef TSMIG_BOOTSTRAP_H
#define TSMIG_BOOTSTRAP_H

#include <tsmig/mach.h>

#if defined(__APPLE__)

#include <servers/bootstrap.h>

#else

#ifdef __cplusplus
extern "C" {
#endif

#define BOOTSTRAP_MAX_NAME_LEN 128
#define BOOTSTRAP_MAX_CMD_LEN 512
typedef char name_t[BOOTSTRAP_MAX_NAME_LEN];
typedef char cmd_t[BOOTSTRAP_MAX_CMD_LEN];
typedef name_t *name_array_t;
typedef int bootstrap_status_t;

#define BOOTSTRAP_MAX_LOOKUP_COUNT 20
#define BOOTSTRAP_SUCCESS 0
#define BOOTSTRAP_NOT_PRIVILEGED 1100
#define BOOTSTRAP_NAME_IN_USE 1101
#define BOOTSTRAP_UNKNOWN_SERVICE 1102
#define BOOTSTRAP_SERVICE_ACTIVE 1103
#define BOOTSTRAP_BAD_COUNT 1104
#define BOOTSTRAP_NO_MEMORY 1105
#define BOOTSTRAP_NO_CHILDREN 1106

#define BOOTSTRAP_STATUS_INACTIVE 0
#define BOOTSTRAP_STATUS_ACTIVE 1
#define BOOTSTRAP_STATUS_ON_DEMAND 2

/* Message ids of the tsmig bootstrap protocol. */
#define TSMIG_BOOTSTRAP_CHECK_IN_ID 7400
#define TSMIG_BOOTSTRAP_REGISTER_ID 7401
#define TSMIG_BOOTSTRAP_LOOK_UP_ID 7402

/*
 * This task's bootstrap port, read from TASK_BOOTSTRAP_PORT when the library
 * loads (and in a forked child). A program started with the environment
 * variable TSMIG_BOOTSTRAP_FD=<n> (an inherited send-right descriptor from
 * tsmig_send_right_to_fd) gets that port as its bootstrap port.
 */
extern mach_port_t bootstrap_port;

/* Asks the name server for the receive right of service `service_name`
   (the server makes the port on first check-in). */
kern_return_t bootstrap_check_in(mach_port_t bp, const name_t service_name, mach_port_t *sp);
/* Registers a send right to `sp` under `service_name` (the caller keeps its right). */
kern_return_t bootstrap_register(mach_port_t bp, name_t service_name, mach_port_t sp);
/* Returns a send right to the service registered as `service_name`. */
kern_return_t bootstrap_look_up(mach_port_t bp, const name_t service_name, mach_port_t *sp);
/* A message for BOOTSTRAP_* codes (and any Mach code). */
const char *bootstrap_strerror(kern_return_t r);

/*
 * The tiny name server. tsmig_name_server_start makes a port, serves it from
 * a background thread and returns a send right to it in *server_port (pass it
 * to task_set_special_port(TASK_BOOTSTRAP_PORT, ...) before fork(), or give
 * it to a child). Registered names disappear when their port dies.
 * tsmig_name_server_stop destroys the port and joins the thread.
 * tsmig_name_server_serve serves an existing receive right on the calling
 * thread until that right is destroyed.
 */
kern_return_t tsmig_name_server_start(mach_port_t *server_port);
kern_return_t tsmig_name_server_stop(void);
kern_return_t tsmig_name_server_serve(mach_port_t receive_right);

#ifdef __cplusplus
}
#endif

#endif /* __APPLE__ */

#endif /* TSMIG_BOOTSTRAP_H */
