/*
 * tsmig/mig.h — what MIG-generated C and C++ code needs beyond the Mach API:
 * the MIG return codes, the error reply, the per-thread reply port and the
 * demux types. macOS: the system's <mach/mig.h> and <mach/mig_errors.h>.
 * Linux: declared here, implemented by runtime/src/linux/.
 */
#ifndef TSMIG_MIG_H
#define TSMIG_MIG_H

#include <tsmig/mach.h>

#if defined(__APPLE__)

#include <mach/mig.h>
#include <mach/mig_errors.h>

#else

#ifdef __cplusplus
extern "C" {
#endif

/* Codes a MIG stub returns in place of the server's answer. */
#define MIG_TYPE_ERROR -300     /* a reply's types do not match the routine */
#define MIG_REPLY_MISMATCH -301 /* the reply carries the wrong message id */
#define MIG_REMOTE_ERROR -302   /* the server reported an error */
#define MIG_BAD_ID -303         /* the server does not know the request id */
#define MIG_BAD_ARGUMENTS -304  /* the server's checks refused the request */
#define MIG_NO_REPLY -305       /* the server sends no reply (it kept the reply right) */
#define MIG_EXCEPTION -306      /* the server raised an exception */
#define MIG_ARRAY_TOO_LARGE -307 /* an out array does not fit the caller's buffer */
#define MIG_SERVER_DIED -308    /* the reply right died: the server is gone */
#define MIG_TRAILER_ERROR -309  /* the trailer has an unknown format */

#pragma pack(push, 4)
/* The reply a server sends when a routine fails (36 bytes). */
typedef struct {
  mach_msg_header_t Head;
  NDR_record_t NDR;
  kern_return_t RetCode;
} mig_reply_error_t;
#pragma pack(pop)

/* Demux plumbing, as MIG's generated servers declare it. */
typedef void (*mig_stub_routine_t)(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP);
typedef mig_stub_routine_t mig_routine_t;
typedef mig_routine_t (*mig_server_routine_t)(mach_msg_header_t *InHeadP);
typedef kern_return_t (*mig_impl_routine_t)(void);

typedef mach_msg_type_descriptor_t routine_arg_descriptor;
typedef mach_msg_type_descriptor_t *routine_arg_descriptor_t;
typedef mach_msg_type_descriptor_t *mig_routine_arg_descriptor_t;
#define MIG_ROUTINE_ARG_DESCRIPTOR_NULL ((mig_routine_arg_descriptor_t)0)

struct routine_descriptor {
  mig_impl_routine_t impl_routine;
  mig_stub_routine_t stub_routine;
  unsigned int argc;
  unsigned int descr_count;
  routine_arg_descriptor_t arg_descr;
  unsigned int max_reply_msg;
};
typedef struct routine_descriptor *routine_descriptor_t;
typedef struct routine_descriptor mig_routine_descriptor;
typedef mig_routine_descriptor *mig_routine_descriptor_t;
#define MIG_ROUTINE_DESCRIPTOR_NULL ((mig_routine_descriptor_t)0)

typedef struct mig_subsystem {
  mig_server_routine_t server;
  mach_msg_id_t start;
  mach_msg_id_t end;
  mach_msg_size_t maxsize;
  vm_address_t reserved;
  mig_routine_descriptor routine[1];
} *mig_subsystem_t;
#define MIG_SUBSYSTEM_NULL ((mig_subsystem_t)0)

#define MIG_SERVER_ROUTINE

/* The calling thread's reply port (a receive right made on first use). */
mach_port_t mig_get_reply_port(void);
/* Destroys the reply port after a failed RPC left it in an unknown state. */
void mig_dealloc_reply_port(mach_port_t reply_port);
/* Gives the reply port back after use (nothing to do: it stays the thread's). */
void mig_put_reply_port(mach_port_t reply_port);
/* strncpy that returns the length copied including the NUL (MIG strings). */
int mig_strncpy(char *dest, const char *src, int len);
/* As mig_strncpy, and fills the rest of dest with zeros. */
int mig_strncpy_zerofill(char *dest, const char *src, int len);
void mig_allocate(vm_address_t *addr_p, vm_size_t size);
void mig_deallocate(vm_address_t addr, vm_size_t size);

#ifdef __cplusplus
}
#endif

#endif /* __APPLE__ */

#endif /* TSMIG_MIG_H */
