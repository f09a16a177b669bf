/*
 * tsmig/mach.h — the Mach IPC API that generated C++ stubs and native peers
 * are written against, on both systems.
 *
 * macOS: exactly the system's Mach headers (<mach/mach.h> and friends).
 * Linux: the same types, constants, structures and functions, declared here
 * with Mach's exact numeric values and LP64 layouts (static_asserts in
 * test/native check every size and offset), implemented by tsmig's emulation
 * of Mach IPC over Unix domain sockets (runtime/src/linux/).
 *
 * Plain C, usable from C and C++. Everything not listed here is not emulated.
 */
#ifndef TSMIG_MACH_H
#define TSMIG_MACH_H

#if defined(__APPLE__)

#include <mach/mach.h>
#include <mach/message.h>
#include <mach/mig.h>
#include <mach/mig_errors.h>
#include <mach/ndr.h>
#include <mach/notify.h>
#include <mach/mach_error.h>

#else /* Linux: the emulation */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Basic machine types (LP64: natural_t is 32 bits, addresses are 64 bits).
 * ------------------------------------------------------------------------ */
typedef unsigned int natural_t;
typedef int integer_t;
typedef int boolean_t;
typedef int kern_return_t;
typedef kern_return_t mach_error_t;
typedef uintptr_t vm_offset_t;
typedef uintptr_t vm_address_t;
typedef uintptr_t vm_size_t;
typedef uint64_t mach_vm_address_t;
typedef uint64_t mach_vm_offset_t;
typedef uint64_t mach_vm_size_t;
typedef int vm_prot_t;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* ------------------------------------------------------------------------
 * Return codes (kern_return_t).
 * ------------------------------------------------------------------------ */
#define KERN_SUCCESS 0
#define KERN_INVALID_ADDRESS 1
#define KERN_PROTECTION_FAILURE 2
#define KERN_NO_SPACE 3
#define KERN_INVALID_ARGUMENT 4
#define KERN_FAILURE 5
#define KERN_RESOURCE_SHORTAGE 6
#define KERN_NOT_RECEIVER 7
#define KERN_NO_ACCESS 8
#define KERN_MEMORY_FAILURE 9
#define KERN_MEMORY_ERROR 10
#define KERN_ALREADY_IN_SET 11
#define KERN_NOT_IN_SET 12
#define KERN_NAME_EXISTS 13
#define KERN_ABORTED 14
#define KERN_INVALID_NAME 15
#define KERN_INVALID_TASK 16
#define KERN_INVALID_RIGHT 17
#define KERN_INVALID_VALUE 18
#define KERN_UREFS_OVERFLOW 19
#define KERN_INVALID_CAPABILITY 20
#define KERN_RIGHT_EXISTS 21
#define KERN_INVALID_HOST 22
#define KERN_MEMORY_PRESENT 23
#define KERN_MEMORY_DATA_MOVED 24
#define KERN_MEMORY_RESTART_COPY 25
#define KERN_INVALID_PROCESSOR_SET 26
#define KERN_POLICY_LIMIT 27
#define KERN_INVALID_POLICY 28
#define KERN_INVALID_OBJECT 29
#define KERN_ALREADY_WAITING 30
#define KERN_DEFAULT_SET 31
#define KERN_EXCEPTION_PROTECTED 32
#define KERN_INVALID_LEDGER 33
#define KERN_INVALID_MEMORY_CONTROL 34
#define KERN_INVALID_SECURITY 35
#define KERN_NOT_DEPRESSED 36
#define KERN_TERMINATED 37
#define KERN_LOCK_SET_DESTROYED 38
#define KERN_LOCK_UNSTABLE 39
#define KERN_LOCK_OWNED 40
#define KERN_LOCK_OWNED_SELF 41
#define KERN_SEMAPHORE_DESTROYED 42
#define KERN_RPC_SERVER_TERMINATED 43
#define KERN_RPC_TERMINATE_ORPHAN 44
#define KERN_RPC_CONTINUE_ORPHAN 45
#define KERN_NOT_SUPPORTED 46
#define KERN_NODE_DOWN 47
#define KERN_NOT_WAITING 48
#define KERN_OPERATION_TIMED_OUT 49
#define KERN_CODESIGN_ERROR 50
#define KERN_POLICY_STATIC 51
#define KERN_INSUFFICIENT_BUFFER_SIZE 52
#define KERN_DENIED 53
#define KERN_MISSING_KC 54
#define KERN_INVALID_KC 55
#define KERN_NOT_FOUND 56
#define KERN_RETURN_MAX 0x100

/* ------------------------------------------------------------------------
 * Error code composition (system / subsystem / code), as <mach/error.h>.
 * ------------------------------------------------------------------------ */
#define err_none ((mach_error_t)0)
#define ERR_SUCCESS ((mach_error_t)0)
#define ERR_ROUTINE_NIL ((mach_error_fn_t)0)
#define system_emask (((unsigned)0x3f) << 26)
#define sub_emask (((unsigned)0xfff) << 14)
#define code_emask ((unsigned)0x3fff)
#define err_system(x) ((signed)((((unsigned)(x)) & 0x3f) << 26))
#define err_sub(x) (((x) & 0xfff) << 14)
#define err_get_system(err) (((err) >> 26) & 0x3f)
#define err_get_sub(err) (((err) >> 14) & 0xfff)
#define err_get_code(err) ((err) & 0x3fff)
#define err_kern err_system(0x0)
#define err_us err_system(0x1)
#define err_server err_system(0x2)
#define err_ipc err_system(0x3)
#define err_mach_ipc err_system(0x4)
#define err_dipc err_system(0x7)
#define err_local err_system(0x3e)
#define err_ipc_compat err_system(0x3f)
#define err_max_system 0x3f
#define unix_err(errno) (err_kern | err_sub(3) | (errno))
typedef mach_error_t (*mach_error_fn_t)(void);

/* ------------------------------------------------------------------------
 * Port names and rights.
 * ------------------------------------------------------------------------ */
typedef natural_t mach_port_name_t;
typedef mach_port_name_t *mach_port_name_array_t;
typedef mach_port_name_t mach_port_t;
typedef mach_port_t *mach_port_array_t;
typedef mach_port_t ipc_space_t;
typedef mach_port_t task_t;
typedef mach_port_t task_name_t;
typedef mach_port_t thread_t;
typedef mach_port_t vm_map_t;
typedef mach_port_t host_t;
typedef natural_t mach_port_right_t;
typedef natural_t mach_port_type_t;
typedef mach_port_type_t *mach_port_type_array_t;
typedef natural_t mach_port_urefs_t;
typedef integer_t mach_port_delta_t;
typedef natural_t mach_port_seqno_t;
typedef natural_t mach_port_mscount_t;
typedef natural_t mach_port_msgcount_t;
typedef natural_t mach_port_rights_t;
typedef unsigned int mach_port_srights_t;
typedef uint64_t mach_port_context_t;
typedef int mach_port_flavor_t;
typedef integer_t *mach_port_info_t;

#define MACH_PORT_NULL 0
#define MACH_PORT_DEAD ((mach_port_name_t)~0)
#define MACH_PORT_VALID(name) (((name) != MACH_PORT_NULL) && ((name) != MACH_PORT_DEAD))

/* A name is an index in the space's table (high 24 bits) and a generation. */
#define MACH_PORT_INDEX(name) ((name) >> 8)
#define MACH_PORT_GEN(name) (((name) & 0xff) << 24)
#define MACH_PORT_MAKE(index, gen) (((index) << 8) | ((gen) >> 24))

#define MACH_PORT_RIGHT_SEND ((mach_port_right_t)0)
#define MACH_PORT_RIGHT_RECEIVE ((mach_port_right_t)1)
#define MACH_PORT_RIGHT_SEND_ONCE ((mach_port_right_t)2)
#define MACH_PORT_RIGHT_PORT_SET ((mach_port_right_t)3)
#define MACH_PORT_RIGHT_DEAD_NAME ((mach_port_right_t)4)
#define MACH_PORT_RIGHT_LABELH ((mach_port_right_t)5)
#define MACH_PORT_RIGHT_NUMBER ((mach_port_right_t)6)

#define MACH_PORT_TYPE(right) ((mach_port_type_t)(((mach_port_type_t)1) << ((right) + ((mach_port_right_t)16))))
#define MACH_PORT_TYPE_NONE ((mach_port_type_t)0L)
#define MACH_PORT_TYPE_SEND MACH_PORT_TYPE(MACH_PORT_RIGHT_SEND)
#define MACH_PORT_TYPE_RECEIVE MACH_PORT_TYPE(MACH_PORT_RIGHT_RECEIVE)
#define MACH_PORT_TYPE_SEND_ONCE MACH_PORT_TYPE(MACH_PORT_RIGHT_SEND_ONCE)
#define MACH_PORT_TYPE_PORT_SET MACH_PORT_TYPE(MACH_PORT_RIGHT_PORT_SET)
#define MACH_PORT_TYPE_DEAD_NAME MACH_PORT_TYPE(MACH_PORT_RIGHT_DEAD_NAME)
#define MACH_PORT_TYPE_LABELH MACH_PORT_TYPE(MACH_PORT_RIGHT_LABELH)
#define MACH_PORT_TYPE_SEND_RECEIVE (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE)
#define MACH_PORT_TYPE_SEND_RIGHTS (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE)
#define MACH_PORT_TYPE_PORT_RIGHTS (MACH_PORT_TYPE_SEND_RIGHTS | MACH_PORT_TYPE_RECEIVE)
#define MACH_PORT_TYPE_PORT_OR_DEAD (MACH_PORT_TYPE_PORT_RIGHTS | MACH_PORT_TYPE_DEAD_NAME)
#define MACH_PORT_TYPE_ALL_RIGHTS (MACH_PORT_TYPE_PORT_OR_DEAD | MACH_PORT_TYPE_PORT_SET)
/* Request bits reported by mach_port_type alongside the rights. */
#define MACH_PORT_TYPE_DNREQUEST 0x80000000
#define MACH_PORT_TYPE_SPREQUEST 0x40000000
#define MACH_PORT_TYPE_SPREQUEST_DELAYED 0x20000000

#define MACH_PORT_SRIGHTS_NONE 0
#define MACH_PORT_SRIGHTS_PRESENT 1

/* Queue limits (messages). */
typedef natural_t mach_port_qlimit_t;
#define MACH_PORT_QLIMIT_ZERO (0)
#define MACH_PORT_QLIMIT_BASIC (5)
#define MACH_PORT_QLIMIT_SMALL (16)
#define MACH_PORT_QLIMIT_LARGE (1024)
#define MACH_PORT_QLIMIT_KERNEL (65534)
#define MACH_PORT_QLIMIT_MIN MACH_PORT_QLIMIT_ZERO
#define MACH_PORT_QLIMIT_DEFAULT MACH_PORT_QLIMIT_BASIC
#define MACH_PORT_QLIMIT_MAX MACH_PORT_QLIMIT_LARGE

/* Attribute flavors for mach_port_get_attributes / mach_port_set_attributes. */
#define MACH_PORT_LIMITS_INFO 1
#define MACH_PORT_RECEIVE_STATUS 2
#define MACH_PORT_DNREQUESTS_SIZE 3
#define MACH_PORT_TEMPOWNER 4
#define MACH_PORT_IMPORTANCE_RECEIVER 5
#define MACH_PORT_DENAP_RECEIVER 6
#define MACH_PORT_INFO_EXT 7

typedef struct mach_port_limits {
  mach_port_msgcount_t mpl_qlimit;
} mach_port_limits_t;

typedef struct mach_port_status {
  mach_port_rights_t mps_pset;     /* containing port set */
  mach_port_seqno_t mps_seqno;     /* sequence number */
  mach_port_mscount_t mps_mscount; /* make-send count */
  mach_port_msgcount_t mps_qlimit; /* queue limit */
  mach_port_msgcount_t mps_msgcount; /* messages queued */
  mach_port_rights_t mps_sorights; /* send-once rights outstanding */
  boolean_t mps_srights;           /* send rights exist */
  boolean_t mps_pdrequest;         /* port-destroyed request armed */
  boolean_t mps_nsrequest;         /* no-senders request armed */
  natural_t mps_flags;
} mach_port_status_t;

#define MACH_PORT_LIMITS_INFO_COUNT ((natural_t)(sizeof(mach_port_limits_t) / sizeof(natural_t)))
#define MACH_PORT_RECEIVE_STATUS_COUNT ((natural_t)(sizeof(mach_port_status_t) / sizeof(natural_t)))
#define MACH_PORT_DNREQUESTS_SIZE_COUNT 1

/* ------------------------------------------------------------------------
 * Messages.
 * ------------------------------------------------------------------------ */
typedef natural_t mach_msg_timeout_t;
typedef unsigned int mach_msg_bits_t;
typedef natural_t mach_msg_size_t;
typedef integer_t mach_msg_id_t;
typedef unsigned int mach_msg_priority_t;
typedef unsigned int mach_msg_type_name_t;
typedef unsigned int mach_msg_copy_options_t;
typedef unsigned int mach_msg_guard_flags_t;
typedef unsigned int mach_msg_descriptor_type_t;
typedef natural_t mach_msg_type_size_t;
typedef natural_t mach_msg_type_number_t;
typedef integer_t mach_msg_option_t;
typedef integer_t mach_msg_options_t;
typedef kern_return_t mach_msg_return_t;
typedef unsigned int mach_msg_trailer_type_t;
typedef unsigned int mach_msg_trailer_size_t;
typedef char *mach_msg_trailer_info_t;

#define MACH_MSG_TIMEOUT_NONE ((mach_msg_timeout_t)0)

#define MACH_MSGH_BITS_ZERO 0x00000000
#define MACH_MSGH_BITS_REMOTE_MASK 0x0000001f
#define MACH_MSGH_BITS_LOCAL_MASK 0x00001f00
#define MACH_MSGH_BITS_VOUCHER_MASK 0x001f0000
#define MACH_MSGH_BITS_PORTS_MASK \
  (MACH_MSGH_BITS_REMOTE_MASK | MACH_MSGH_BITS_LOCAL_MASK | MACH_MSGH_BITS_VOUCHER_MASK)
#define MACH_MSGH_BITS_COMPLEX 0x80000000U
#define MACH_MSGH_BITS_USER 0x801f1f1fU
#define MACH_MSGH_BITS_RAISEIMP 0x20000000U
#define MACH_MSGH_BITS_DENAP MACH_MSGH_BITS_RAISEIMP
#define MACH_MSGH_BITS_IMPHOLDASRT 0x10000000U
#define MACH_MSGH_BITS_DENAPHOLDASRT MACH_MSGH_BITS_IMPHOLDASRT
#define MACH_MSGH_BITS_CIRCULAR 0x10000000U
#define MACH_MSGH_BITS_USED 0xb01f1f1fU

#define MACH_MSGH_BITS(remote, local) ((remote) | ((local) << 8))
#define MACH_MSGH_BITS_SET_PORTS(remote, local, voucher) \
  (((remote) & MACH_MSGH_BITS_REMOTE_MASK) | (((local) << 8) & MACH_MSGH_BITS_LOCAL_MASK) | \
   (((voucher) << 16) & MACH_MSGH_BITS_VOUCHER_MASK))
#define MACH_MSGH_BITS_SET(remote, local, voucher, other) \
  (MACH_MSGH_BITS_SET_PORTS((remote), (local), (voucher)) | ((other) & ~MACH_MSGH_BITS_PORTS_MASK))
#define MACH_MSGH_BITS_REMOTE(bits) ((bits) & MACH_MSGH_BITS_REMOTE_MASK)
#define MACH_MSGH_BITS_LOCAL(bits) (((bits) & MACH_MSGH_BITS_LOCAL_MASK) >> 8)
#define MACH_MSGH_BITS_VOUCHER(bits) (((bits) & MACH_MSGH_BITS_VOUCHER_MASK) >> 16)
#define MACH_MSGH_BITS_PORTS(bits) ((bits) & MACH_MSGH_BITS_PORTS_MASK)
#define MACH_MSGH_BITS_OTHER(bits) ((bits) & ~MACH_MSGH_BITS_PORTS_MASK)
#define MACH_MSGH_BITS_HAS_REMOTE(bits) (MACH_MSGH_BITS_REMOTE(bits) != MACH_MSGH_BITS_ZERO)
#define MACH_MSGH_BITS_HAS_LOCAL(bits) (MACH_MSGH_BITS_LOCAL(bits) != MACH_MSGH_BITS_ZERO)
#define MACH_MSGH_BITS_HAS_VOUCHER(bits) (MACH_MSGH_BITS_VOUCHER(bits) != MACH_MSGH_BITS_ZERO)
#define MACH_MSGH_BITS_IS_COMPLEX(bits) (((bits) & MACH_MSGH_BITS_COMPLEX) != MACH_MSGH_BITS_ZERO)

#define MACH_MSG_SIZE_NULL ((mach_msg_size_t *)0)
#define MACH_MSG_PRIORITY_UNSPECIFIED ((mach_msg_priority_t)0)

/* Dispositions: what the sender does with its right. */
#define MACH_MSG_TYPE_MOVE_RECEIVE 16
#define MACH_MSG_TYPE_MOVE_SEND 17
#define MACH_MSG_TYPE_MOVE_SEND_ONCE 18
#define MACH_MSG_TYPE_COPY_SEND 19
#define MACH_MSG_TYPE_MAKE_SEND 20
#define MACH_MSG_TYPE_MAKE_SEND_ONCE 21
#define MACH_MSG_TYPE_COPY_RECEIVE 22
#define MACH_MSG_TYPE_DISPOSE_RECEIVE 24
#define MACH_MSG_TYPE_DISPOSE_SEND 25
#define MACH_MSG_TYPE_DISPOSE_SEND_ONCE 26
/* What the receiver gets. */
#define MACH_MSG_TYPE_PORT_NONE 0
#define MACH_MSG_TYPE_PORT_NAME 15
#define MACH_MSG_TYPE_PORT_RECEIVE MACH_MSG_TYPE_MOVE_RECEIVE
#define MACH_MSG_TYPE_PORT_SEND MACH_MSG_TYPE_MOVE_SEND
#define MACH_MSG_TYPE_PORT_SEND_ONCE MACH_MSG_TYPE_MOVE_SEND_ONCE
#define MACH_MSG_TYPE_LAST 22
#define MACH_MSG_TYPE_POLYMORPHIC ((mach_msg_type_name_t)-1)
#define MACH_MSG_TYPE_PORT_ANY(x) \
  (((x) >= MACH_MSG_TYPE_MOVE_RECEIVE) && ((x) <= MACH_MSG_TYPE_MAKE_SEND_ONCE))
#define MACH_MSG_TYPE_PORT_ANY_SEND(x) \
  (((x) >= MACH_MSG_TYPE_MOVE_SEND) && ((x) <= MACH_MSG_TYPE_MAKE_SEND_ONCE))
#define MACH_MSG_TYPE_PORT_ANY_RIGHT(x) \
  (((x) >= MACH_MSG_TYPE_MOVE_RECEIVE) && ((x) <= MACH_MSG_TYPE_MOVE_SEND_ONCE))

#define MACH_MSG_PHYSICAL_COPY 0
#define MACH_MSG_VIRTUAL_COPY 1
#define MACH_MSG_ALLOCATE 2
#define MACH_MSG_OVERWRITE 3
#define MACH_MSG_KALLOC_COPY_T 4

#define MACH_MSG_GUARD_FLAGS_NONE 0x0000
#define MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE 0x0001
#define MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND 0x0002
#define MACH_MSG_GUARD_FLAGS_MASK 0x0003

#define MACH_MSG_PORT_DESCRIPTOR 0
#define MACH_MSG_OOL_DESCRIPTOR 1
#define MACH_MSG_OOL_PORTS_DESCRIPTOR 2
#define MACH_MSG_OOL_VOLATILE_DESCRIPTOR 3
#define MACH_MSG_GUARDED_PORT_DESCRIPTOR 4

/* Every message structure is packed to 4 bytes, as Mach's ABI. */
#pragma pack(push, 4)

typedef struct {
  natural_t pad1;
  mach_msg_size_t pad2;
  unsigned int pad3 : 24;
  mach_msg_descriptor_type_t type : 8;
} mach_msg_type_descriptor_t;

typedef struct {
  mach_port_t name;
  mach_msg_size_t pad1;
  unsigned int pad2 : 16;
  mach_msg_type_name_t disposition : 8;
  mach_msg_descriptor_type_t type : 8;
} mach_msg_port_descriptor_t;

typedef struct {
  void *address;
  boolean_t deallocate : 8;
  mach_msg_copy_options_t copy : 8;
  unsigned int pad1 : 8;
  mach_msg_descriptor_type_t type : 8;
  mach_msg_size_t size;
} mach_msg_ool_descriptor_t;

typedef struct {
  void *address;
  boolean_t deallocate : 8;
  mach_msg_copy_options_t copy : 8;
  mach_msg_type_name_t disposition : 8;
  mach_msg_descriptor_type_t type : 8;
  mach_msg_size_t count;
} mach_msg_ool_ports_descriptor_t;

/* Declared for layout completeness; the emulation refuses guarded ports. */
typedef struct {
  mach_port_context_t context;
  mach_msg_guard_flags_t flags : 16;
  mach_msg_type_name_t disposition : 8;
  mach_msg_descriptor_type_t type : 8;
  mach_port_name_t name;
} mach_msg_guarded_port_descriptor_t;

typedef union {
  mach_msg_port_descriptor_t port;
  mach_msg_ool_descriptor_t out_of_line;
  mach_msg_ool_ports_descriptor_t ool_ports;
  mach_msg_type_descriptor_t type;
  mach_msg_guarded_port_descriptor_t guarded_port;
} mach_msg_descriptor_t;

typedef struct {
  mach_msg_size_t msgh_descriptor_count;
} mach_msg_body_t;

#define MACH_MSG_BODY_NULL ((mach_msg_body_t *)0)
#define MACH_MSG_DESCRIPTOR_NULL ((mach_msg_descriptor_t *)0)

typedef struct {
  mach_msg_bits_t msgh_bits;
  mach_msg_size_t msgh_size;
  mach_port_t msgh_remote_port;
  mach_port_t msgh_local_port;
  mach_port_name_t msgh_voucher_port;
  mach_msg_id_t msgh_id;
} mach_msg_header_t;

#define msgh_reserved msgh_voucher_port
#define MACH_MSG_NULL ((mach_msg_header_t *)0)

typedef struct {
  mach_msg_header_t header;
  mach_msg_body_t body;
} mach_msg_base_t;

/* Trailers: appended by the receive operation after msgh_size bytes. */
#define MACH_MSG_TRAILER_FORMAT_0 0

typedef struct {
  mach_msg_trailer_type_t msgh_trailer_type;
  mach_msg_trailer_size_t msgh_trailer_size;
} mach_msg_trailer_t;

typedef struct {
  mach_msg_trailer_type_t msgh_trailer_type;
  mach_msg_trailer_size_t msgh_trailer_size;
  mach_port_seqno_t msgh_seqno;
} mach_msg_seqno_trailer_t;

typedef struct {
  unsigned int val[2];
} security_token_t;

typedef struct {
  mach_msg_trailer_type_t msgh_trailer_type;
  mach_msg_trailer_size_t msgh_trailer_size;
  mach_port_seqno_t msgh_seqno;
  security_token_t msgh_sender;
} mach_msg_security_trailer_t;

/*
 * The sender's identity: val[0] audit user id, val[1] euid, val[2] egid,
 * val[3] ruid, val[4] rgid, val[5] pid, val[6] audit session, val[7] pid
 * version. On Linux the kernel stamps pid/uid/gid on every datagram
 * (SCM_CREDENTIALS); see runtime/src/linux/README.md for what each holds.
 */
typedef struct {
  unsigned int val[8];
} audit_token_t;

typedef struct {
  mach_msg_trailer_type_t msgh_trailer_type;
  mach_msg_trailer_size_t msgh_trailer_size;
  mach_port_seqno_t msgh_seqno;
  security_token_t msgh_sender;
  audit_token_t msgh_audit;
} mach_msg_audit_trailer_t;

typedef struct {
  mach_msg_trailer_type_t msgh_trailer_type;
  mach_msg_trailer_size_t msgh_trailer_size;
  mach_port_seqno_t msgh_seqno;
  security_token_t msgh_sender;
  audit_token_t msgh_audit;
  mach_port_context_t msgh_context;
} mach_msg_context_trailer_t;

typedef struct {
  mach_port_name_t sender;
} msg_labels_t;

typedef int mach_msg_filter_id;

typedef struct {
  mach_msg_trailer_type_t msgh_trailer_type;
  mach_msg_trailer_size_t msgh_trailer_size;
  mach_port_seqno_t msgh_seqno;
  security_token_t msgh_sender;
  audit_token_t msgh_audit;
  mach_port_context_t msgh_context;
  mach_msg_filter_id msgh_ad;
  msg_labels_t msgh_labels;
} mach_msg_mac_trailer_t;

typedef mach_msg_mac_trailer_t mach_msg_max_trailer_t;
typedef mach_msg_security_trailer_t mach_msg_format_0_trailer_t;

typedef struct {
  mach_msg_header_t header;
} mach_msg_empty_send_t;

typedef struct {
  mach_msg_header_t header;
  mach_msg_trailer_t trailer;
} mach_msg_empty_rcv_t;

typedef union {
  mach_msg_empty_send_t send;
  mach_msg_empty_rcv_t rcv;
} mach_msg_empty_t;

#pragma pack(pop)

#define MACH_MSG_TRAILER_MINIMUM_SIZE sizeof(mach_msg_trailer_t)
#define MACH_MSG_TRAILER_FORMAT_0_SIZE sizeof(mach_msg_format_0_trailer_t)
#define MAX_TRAILER_SIZE ((mach_msg_size_t)sizeof(mach_msg_max_trailer_t))
#define MACH_MSG_SIZE_MAX ((mach_msg_size_t)~0)
#define MACH_MSG_SIZE_RELIABLE ((mach_msg_size_t)256 * 1024)

#define KERNEL_SECURITY_TOKEN_VALUE \
  {                                 \
    { 0, 1 }                        \
  }
#define KERNEL_AUDIT_TOKEN_VALUE     \
  {                                  \
    { 0, 0, 0, 0, 0, 0, 0, 0 }       \
  }

/* Options of mach_msg. */
#define MACH_MSG_OPTION_NONE 0x00000000
#define MACH_SEND_MSG 0x00000001
#define MACH_RCV_MSG 0x00000002
#define MACH_RCV_LARGE 0x00000004
#define MACH_RCV_LARGE_IDENTITY 0x00000008
#define MACH_SEND_TIMEOUT 0x00000010
#define MACH_SEND_OVERRIDE 0x00000020
#define MACH_SEND_INTERRUPT 0x00000040
#define MACH_SEND_NOTIFY 0x00000080
#define MACH_SEND_ALWAYS 0x00010000
#define MACH_SEND_TRAILER 0x00020000
#define MACH_SEND_NOIMPORTANCE 0x00040000
#define MACH_SEND_NODENAP MACH_SEND_NOIMPORTANCE
#define MACH_SEND_IMPORTANCE 0x00080000
#define MACH_SEND_SYNC_OVERRIDE 0x00100000
#define MACH_SEND_PROPAGATE_QOS 0x00200000
#define MACH_RCV_TIMEOUT 0x00000100
#define MACH_RCV_NOTIFY 0x00000000
#define MACH_RCV_INTERRUPT 0x00000400
#define MACH_RCV_VOUCHER 0x00000800
#define MACH_RCV_OVERWRITE 0x00000000
#define MACH_RCV_GUARDED_DESC 0x00001000
#define MACH_RCV_SYNC_WAIT 0x00004000
#define MACH_MSG_STRICT_REPLY 0x00000200

/* Trailer requests: MACH_RCV_TRAILER_TYPE(format) | MACH_RCV_TRAILER_ELEMENTS(n). */
#define MACH_RCV_TRAILER_NULL 0
#define MACH_RCV_TRAILER_SEQNO 1
#define MACH_RCV_TRAILER_SENDER 2
#define MACH_RCV_TRAILER_AUDIT 3
#define MACH_RCV_TRAILER_CTX 4
#define MACH_RCV_TRAILER_AV 7
#define MACH_RCV_TRAILER_LABELS 8
#define MACH_RCV_TRAILER_TYPE(x) (((x) & 0xf) << 28)
#define MACH_RCV_TRAILER_ELEMENTS(x) (((x) & 0xf) << 24)
#define MACH_RCV_TRAILER_MASK ((0xf << 24))
#define GET_RCV_ELEMENTS(y) (((y) >> 24) & 0xf)

/* The size of the trailer a receive with options `y` delivers. */
#define REQUESTED_TRAILER_SIZE(y)                                                                     \
  ((mach_msg_trailer_size_t)(                                                                         \
      GET_RCV_ELEMENTS(y) == MACH_RCV_TRAILER_NULL     ? sizeof(mach_msg_trailer_t)                   \
      : GET_RCV_ELEMENTS(y) == MACH_RCV_TRAILER_SEQNO  ? sizeof(mach_msg_seqno_trailer_t)             \
      : GET_RCV_ELEMENTS(y) == MACH_RCV_TRAILER_SENDER ? sizeof(mach_msg_security_trailer_t)          \
      : GET_RCV_ELEMENTS(y) == MACH_RCV_TRAILER_AUDIT  ? sizeof(mach_msg_audit_trailer_t)             \
      : GET_RCV_ELEMENTS(y) == MACH_RCV_TRAILER_CTX    ? sizeof(mach_msg_context_trailer_t)           \
      : GET_RCV_ELEMENTS(y) == MACH_RCV_TRAILER_AV     ? sizeof(mach_msg_mac_trailer_t)               \
                                                       : sizeof(mach_msg_max_trailer_t)))
#define REQUESTED_TRAILER_SIZE_NATIVE(y) REQUESTED_TRAILER_SIZE(y)

/* mach_msg return codes. */
#define MACH_MSG_SUCCESS 0x00000000
#define MACH_MSG_MASK 0x00003e00
#define MACH_MSG_IPC_SPACE 0x00002000
#define MACH_MSG_VM_SPACE 0x00001000
#define MACH_MSG_IPC_KERNEL 0x00000800
#define MACH_MSG_VM_KERNEL 0x00000400

#define MACH_SEND_IN_PROGRESS 0x10000001
#define MACH_SEND_INVALID_DATA 0x10000002
#define MACH_SEND_INVALID_DEST 0x10000003
#define MACH_SEND_TIMED_OUT 0x10000004
#define MACH_SEND_INVALID_VOUCHER 0x10000005
#define MACH_SEND_INTERRUPTED 0x10000007
#define MACH_SEND_MSG_TOO_SMALL 0x10000008
#define MACH_SEND_INVALID_REPLY 0x10000009
#define MACH_SEND_INVALID_RIGHT 0x1000000a
#define MACH_SEND_INVALID_NOTIFY 0x1000000b
#define MACH_SEND_INVALID_MEMORY 0x1000000c
#define MACH_SEND_NO_BUFFER 0x1000000d
#define MACH_SEND_TOO_LARGE 0x1000000e
#define MACH_SEND_INVALID_TYPE 0x1000000f
#define MACH_SEND_INVALID_HEADER 0x10000010
#define MACH_SEND_INVALID_TRAILER 0x10000011
#define MACH_SEND_INVALID_CONTEXT 0x10000012
#define MACH_SEND_INVALID_RT_OOL_SIZE 0x10000015
#define MACH_SEND_NO_GRANT_DEST 0x10000016
#define MACH_SEND_MSG_FILTERED 0x10000017

#define MACH_RCV_IN_PROGRESS 0x10004001
#define MACH_RCV_INVALID_NAME 0x10004002
#define MACH_RCV_TIMED_OUT 0x10004003
#define MACH_RCV_TOO_LARGE 0x10004004
#define MACH_RCV_INTERRUPTED 0x10004005
#define MACH_RCV_PORT_CHANGED 0x10004006
#define MACH_RCV_INVALID_NOTIFY 0x10004007
#define MACH_RCV_INVALID_DATA 0x10004008
#define MACH_RCV_PORT_DIED 0x10004009
#define MACH_RCV_IN_SET 0x1000400a
#define MACH_RCV_HEADER_ERROR 0x1000400b
#define MACH_RCV_BODY_ERROR 0x1000400c
#define MACH_RCV_INVALID_TYPE 0x1000400d
#define MACH_RCV_SCATTER_SMALL 0x1000400e
#define MACH_RCV_INVALID_TRAILER 0x1000400f
#define MACH_RCV_IN_PROGRESS_TIMED 0x10004011
#define MACH_RCV_INVALID_REPLY 0x10004012

/* ------------------------------------------------------------------------
 * NDR: the data representation record MIG messages carry.
 * ------------------------------------------------------------------------ */
typedef struct {
  unsigned char mig_vers;
  unsigned char if_vers;
  unsigned char reserved1;
  unsigned char mig_encoding;
  unsigned char int_rep;
  unsigned char char_rep;
  unsigned char float_rep;
  unsigned char reserved2;
} NDR_record_t;

#define NDR_PROTOCOL_2_0 0
#define NDR_INT_BIG_ENDIAN 0
#define NDR_INT_LITTLE_ENDIAN 1
#define NDR_FLOAT_IEEE 0
#define NDR_FLOAT_VAX 1
#define NDR_FLOAT_CRAY 2
#define NDR_FLOAT_IBM 3
#define NDR_CHAR_ASCII 0
#define NDR_CHAR_EBCDIC 1

/* This machine's record: {0, 0, 0, 0, NDR_INT_LITTLE_ENDIAN, 0, 0, 0}. */
extern NDR_record_t NDR_record;

/* ------------------------------------------------------------------------
 * Notifications (message ids and the messages the runtime sends).
 * ------------------------------------------------------------------------ */
#define MACH_NOTIFY_FIRST 0100
#define MACH_NOTIFY_PORT_DELETED (MACH_NOTIFY_FIRST + 001)
#define MACH_NOTIFY_SEND_POSSIBLE (MACH_NOTIFY_FIRST + 002)
#define MACH_NOTIFY_PORT_DESTROYED (MACH_NOTIFY_FIRST + 005)
#define MACH_NOTIFY_NO_SENDERS (MACH_NOTIFY_FIRST + 006)
#define MACH_NOTIFY_SEND_ONCE (MACH_NOTIFY_FIRST + 007)
#define MACH_NOTIFY_DEAD_NAME (MACH_NOTIFY_FIRST + 010)
#define MACH_NOTIFY_LAST (MACH_NOTIFY_FIRST + 015)

typedef mach_port_t notify_port_t;

typedef struct {
  mach_msg_header_t not_header;
  NDR_record_t NDR;
  mach_port_name_t not_port;
  mach_msg_format_0_trailer_t trailer;
} mach_port_deleted_notification_t;

typedef struct {
  mach_msg_header_t not_header;
  NDR_record_t NDR;
  mach_port_name_t not_port;
  mach_msg_format_0_trailer_t trailer;
} mach_send_possible_notification_t;

typedef struct {
  mach_msg_header_t not_header;
  mach_msg_body_t not_body;
  mach_msg_port_descriptor_t not_port;
  mach_msg_format_0_trailer_t trailer;
} mach_port_destroyed_notification_t;

typedef struct {
  mach_msg_header_t not_header;
  NDR_record_t NDR;
  mach_msg_type_number_t not_count;
  mach_msg_format_0_trailer_t trailer;
} mach_no_senders_notification_t;

typedef struct {
  mach_msg_header_t not_header;
  mach_msg_format_0_trailer_t trailer;
} mach_send_once_notification_t;

typedef struct {
  mach_msg_header_t not_header;
  NDR_record_t NDR;
  mach_port_name_t not_port;
  mach_msg_format_0_trailer_t trailer;
} mach_dead_name_notification_t;

/* ------------------------------------------------------------------------
 * Task special ports.
 * ------------------------------------------------------------------------ */
typedef int task_special_port_t;
#define TASK_KERNEL_PORT 1
#define TASK_HOST_PORT 2
#define TASK_NAME_PORT 3
#define TASK_BOOTSTRAP_PORT 4
#define TASK_INSPECT_PORT 5
#define TASK_READ_PORT 6
#define TASK_ACCESS_PORT 9
#define TASK_DEBUG_CONTROL_PORT 10
#define TASK_RESOURCE_NOTIFY_PORT 11
#define TASK_MAX_SPECIAL_PORT TASK_RESOURCE_NOTIFY_PORT

#define task_get_bootstrap_port(task, port) (task_get_special_port((task), TASK_BOOTSTRAP_PORT, (port)))
#define task_set_bootstrap_port(task, port) (task_set_special_port((task), TASK_BOOTSTRAP_PORT, (port)))

/* ------------------------------------------------------------------------
 * Virtual memory (out-of-line regions).
 * ------------------------------------------------------------------------ */
#define VM_FLAGS_FIXED 0x0000
#define VM_FLAGS_ANYWHERE 0x0001
#define VM_PROT_NONE ((vm_prot_t)0x00)
#define VM_PROT_READ ((vm_prot_t)0x01)
#define VM_PROT_WRITE ((vm_prot_t)0x02)
#define VM_PROT_EXECUTE ((vm_prot_t)0x04)
#define VM_PROT_DEFAULT (VM_PROT_READ | VM_PROT_WRITE)
#define VM_PROT_ALL (VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE)

extern vm_size_t vm_page_size;
extern vm_size_t vm_page_mask;
extern int vm_page_shift;

#define trunc_page(x) ((x) & (~(vm_page_size - 1)))
#define round_page(x) trunc_page((x) + (vm_page_size - 1))

/* ------------------------------------------------------------------------
 * Functions.
 * ------------------------------------------------------------------------ */

/* This task's name for itself (a send right that never goes away). */
extern mach_port_t mach_task_self_;
#define mach_task_self() mach_task_self_
#define current_task() mach_task_self()

kern_return_t mach_port_allocate(ipc_space_t task, mach_port_right_t right, mach_port_name_t *name);
kern_return_t mach_port_insert_right(ipc_space_t task, mach_port_name_t name, mach_port_t poly,
                                     mach_msg_type_name_t polyPoly);
kern_return_t mach_port_extract_right(ipc_space_t task, mach_port_name_t name, mach_msg_type_name_t msgt_name,
                                      mach_port_t *poly, mach_msg_type_name_t *polyPoly);
kern_return_t mach_port_deallocate(ipc_space_t task, mach_port_name_t name);
kern_return_t mach_port_mod_refs(ipc_space_t task, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_delta_t delta);
kern_return_t mach_port_destroy(ipc_space_t task, mach_port_name_t name);
kern_return_t mach_port_get_refs(ipc_space_t task, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_urefs_t *refs);
kern_return_t mach_port_type(ipc_space_t task, mach_port_name_t name, mach_port_type_t *ptype);
kern_return_t mach_port_names(ipc_space_t task, mach_port_name_array_t *names, mach_msg_type_number_t *namesCnt,
                              mach_port_type_array_t *types, mach_msg_type_number_t *typesCnt);
kern_return_t mach_port_move_member(ipc_space_t task, mach_port_name_t member, mach_port_name_t after);
kern_return_t mach_port_get_set_status(ipc_space_t task, mach_port_name_t name, mach_port_name_array_t *members,
                                       mach_msg_type_number_t *membersCnt);
kern_return_t mach_port_request_notification(ipc_space_t task, mach_port_name_t name, mach_msg_id_t msgid,
                                             mach_port_mscount_t sync, mach_port_t notify,
                                             mach_msg_type_name_t notifyPoly, mach_port_t *previous);
kern_return_t mach_port_set_attributes(ipc_space_t task, mach_port_name_t name, mach_port_flavor_t flavor,
                                       mach_port_info_t port_info, mach_msg_type_number_t port_infoCnt);
kern_return_t mach_port_get_attributes(ipc_space_t task, mach_port_name_t name, mach_port_flavor_t flavor,
                                       mach_port_info_t port_info_out, mach_msg_type_number_t *port_info_outCnt);
kern_return_t mach_port_set_context(ipc_space_t task, mach_port_name_t name, mach_port_context_t context);
kern_return_t mach_port_get_context(ipc_space_t task, mach_port_name_t name, mach_port_context_t *context);

mach_msg_return_t mach_msg(mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t send_size,
                           mach_msg_size_t rcv_size, mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
                           mach_port_name_t notify);
mach_msg_return_t mach_msg_overwrite(mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t send_size,
                                     mach_msg_size_t rcv_size, mach_port_name_t rcv_name,
                                     mach_msg_timeout_t timeout, mach_port_name_t notify, mach_msg_header_t *rcv_msg,
                                     mach_msg_size_t rcv_limit);
mach_msg_return_t mach_msg_send(mach_msg_header_t *msg);
mach_msg_return_t mach_msg_receive(mach_msg_header_t *msg);
void mach_msg_destroy(mach_msg_header_t *msg);
mach_msg_return_t mach_msg_server_once(boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
                                       mach_msg_size_t max_size, mach_port_t rcv_name, mach_msg_options_t options);
mach_msg_return_t mach_msg_server(boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
                                  mach_msg_size_t max_size, mach_port_t rcv_name, mach_msg_options_t options);

kern_return_t vm_allocate(vm_map_t target_task, vm_address_t *address, vm_size_t size, int flags);
kern_return_t vm_deallocate(vm_map_t target_task, vm_address_t address, vm_size_t size);
kern_return_t mach_vm_allocate(vm_map_t target, mach_vm_address_t *address, mach_vm_size_t size, int flags);
kern_return_t mach_vm_deallocate(vm_map_t target, mach_vm_address_t address, mach_vm_size_t size);

kern_return_t task_get_special_port(task_t task, int which_port, mach_port_t *special_port);
kern_return_t task_set_special_port(task_t task, int which_port, mach_port_t special_port);

const char *mach_error_string(mach_error_t error_value);
const char *mach_error_type(mach_error_t error_value);
void mach_error(const char *str, mach_error_t error_value);

#ifdef __cplusplus
}
#endif

#endif /* __APPLE__ */

#endif /* TSMIG_MACH_H */
