// Prints, as static_asserts, the sizes, field offsets and constant values
// that tsmig's Linux <tsmig/mach.h> declares. The test compiles that output
// against Apple's own headers (macOS SDK, both architectures) when the SDK
// is available: any difference between our declarations and Mach's fails.
// Also checks the bit-field byte positions on this machine directly.

#include <cstddef>
#include <cstdio>
#include <cstring>

#include <tsmig/bootstrap.h>
#include <tsmig/mach.h>
#include <tsmig/mig.h>
#include <tsmig/runtime.h>

#define SIZES(X)                                                                                              \
  X(natural_t) X(integer_t) X(boolean_t) X(kern_return_t) X(mach_port_t) X(mach_port_name_t) X(vm_address_t) \
  X(vm_size_t) X(mach_vm_address_t) X(mach_port_context_t) X(mach_msg_bits_t) X(mach_msg_size_t)             \
  X(mach_msg_id_t) X(mach_msg_type_number_t) X(mach_msg_header_t) X(mach_msg_body_t) X(mach_msg_base_t)     \
  X(mach_msg_type_descriptor_t) X(mach_msg_port_descriptor_t) X(mach_msg_ool_descriptor_t)                  \
  X(mach_msg_ool_ports_descriptor_t) X(mach_msg_guarded_port_descriptor_t) X(mach_msg_descriptor_t)          \
  X(mach_msg_trailer_t) X(mach_msg_seqno_trailer_t) X(security_token_t) X(mach_msg_security_trailer_t)      \
  X(audit_token_t) X(mach_msg_audit_trailer_t) X(mach_msg_context_trailer_t) X(msg_labels_t)                \
  X(mach_msg_mac_trailer_t) X(mach_msg_max_trailer_t) X(mach_msg_format_0_trailer_t) X(mach_msg_empty_send_t) \
  X(mach_msg_empty_rcv_t) X(mach_msg_empty_t) X(NDR_record_t) X(mig_reply_error_t) X(mach_port_limits_t)    \
  X(mach_port_status_t) X(mach_port_deleted_notification_t) X(mach_send_possible_notification_t)           \
  X(mach_port_destroyed_notification_t) X(mach_no_senders_notification_t) X(mach_send_once_notification_t) \
  X(mach_dead_name_notification_t) X(name_t)

#define OFFSETS(X)                                                                                         \
  X(mach_msg_header_t, msgh_size) X(mach_msg_header_t, msgh_remote_port) X(mach_msg_header_t, msgh_local_port) \
  X(mach_msg_header_t, msgh_voucher_port) X(mach_msg_header_t, msgh_id) X(mach_msg_base_t, body)             \
  X(mach_msg_port_descriptor_t, pad1) X(mach_msg_ool_descriptor_t, size) X(mach_msg_ool_ports_descriptor_t, count) \
  X(mach_msg_guarded_port_descriptor_t, name) X(mach_msg_seqno_trailer_t, msgh_seqno)                        \
  X(mach_msg_security_trailer_t, msgh_sender) X(mach_msg_audit_trailer_t, msgh_audit)                         \
  X(mach_msg_context_trailer_t, msgh_context) X(mach_msg_mac_trailer_t, msgh_ad)                            \
  X(mach_msg_mac_trailer_t, msgh_labels) X(mig_reply_error_t, NDR) X(mig_reply_error_t, RetCode)             \
  X(mach_port_status_t, mps_seqno) X(mach_port_status_t, mps_msgcount) X(mach_port_status_t, mps_flags)     \
  X(mach_dead_name_notification_t, not_port) X(mach_no_senders_notification_t, not_count)                   \
  X(mach_port_destroyed_notification_t, not_port) X(mach_send_once_notification_t, trailer)

#define VALUES(X)                                                                                             \
  X(KERN_SUCCESS) X(KERN_INVALID_ADDRESS) X(KERN_NO_SPACE) X(KERN_INVALID_ARGUMENT) X(KERN_FAILURE)           \
  X(KERN_RESOURCE_SHORTAGE) X(KERN_NOT_RECEIVER) X(KERN_ALREADY_IN_SET) X(KERN_NOT_IN_SET) X(KERN_NAME_EXISTS) \
  X(KERN_INVALID_NAME) X(KERN_INVALID_TASK) X(KERN_INVALID_RIGHT) X(KERN_INVALID_VALUE) X(KERN_UREFS_OVERFLOW) \
  X(KERN_INVALID_CAPABILITY) X(KERN_RIGHT_EXISTS) X(KERN_NOT_SUPPORTED) X(KERN_OPERATION_TIMED_OUT)           \
  X(KERN_NOT_FOUND) X(MACH_PORT_NULL) X(MACH_PORT_DEAD) X(MACH_PORT_RIGHT_SEND) X(MACH_PORT_RIGHT_RECEIVE)   \
  X(MACH_PORT_RIGHT_SEND_ONCE) X(MACH_PORT_RIGHT_PORT_SET) X(MACH_PORT_RIGHT_DEAD_NAME)                     \
  X(MACH_PORT_RIGHT_NUMBER) X(MACH_PORT_TYPE_SEND) X(MACH_PORT_TYPE_RECEIVE) X(MACH_PORT_TYPE_SEND_ONCE)    \
  X(MACH_PORT_TYPE_PORT_SET) X(MACH_PORT_TYPE_DEAD_NAME) X(MACH_PORT_TYPE_DNREQUEST) \
  X(MACH_PORT_QLIMIT_DEFAULT) X(MACH_PORT_QLIMIT_MAX) X(MACH_PORT_LIMITS_INFO) X(MACH_PORT_RECEIVE_STATUS)   \
  X(MACH_PORT_DNREQUESTS_SIZE) X(MACH_PORT_LIMITS_INFO_COUNT) X(MACH_PORT_RECEIVE_STATUS_COUNT)             \
  X(MACH_MSGH_BITS_COMPLEX) X(MACH_MSGH_BITS_REMOTE_MASK) X(MACH_MSGH_BITS_LOCAL_MASK)                      \
  X(MACH_MSGH_BITS_VOUCHER_MASK) X(MACH_MSGH_BITS_USER) X(MACH_MSG_TYPE_MOVE_RECEIVE)                       \
  X(MACH_MSG_TYPE_MOVE_SEND) X(MACH_MSG_TYPE_MOVE_SEND_ONCE) X(MACH_MSG_TYPE_COPY_SEND)                     \
  X(MACH_MSG_TYPE_MAKE_SEND) X(MACH_MSG_TYPE_MAKE_SEND_ONCE) X(MACH_MSG_TYPE_PORT_NAME)                     \
  X(MACH_MSG_TYPE_POLYMORPHIC) X(MACH_MSG_PHYSICAL_COPY) X(MACH_MSG_VIRTUAL_COPY) X(MACH_MSG_PORT_DESCRIPTOR) \
  X(MACH_MSG_OOL_DESCRIPTOR) X(MACH_MSG_OOL_PORTS_DESCRIPTOR) X(MACH_MSG_OOL_VOLATILE_DESCRIPTOR)           \
  X(MACH_MSG_GUARDED_PORT_DESCRIPTOR) X(MACH_MSG_TRAILER_FORMAT_0) X(MACH_SEND_MSG) X(MACH_RCV_MSG)         \
  X(MACH_RCV_LARGE) X(MACH_RCV_LARGE_IDENTITY) X(MACH_SEND_TIMEOUT) X(MACH_SEND_INTERRUPT) X(MACH_RCV_TIMEOUT) \
  X(MACH_RCV_INTERRUPT) X(MACH_RCV_TRAILER_NULL) X(MACH_RCV_TRAILER_SEQNO) X(MACH_RCV_TRAILER_SENDER)       \
  X(MACH_RCV_TRAILER_AUDIT) X(MACH_RCV_TRAILER_CTX) X(MACH_RCV_TRAILER_AV) X(MACH_RCV_TRAILER_LABELS)       \
  X(MACH_RCV_TRAILER_TYPE(0)) X(MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT)) X(MACH_RCV_TRAILER_MASK) \
  X(REQUESTED_TRAILER_SIZE(MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_NULL)))                               \
  X(REQUESTED_TRAILER_SIZE(MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT)))                              \
  X(REQUESTED_TRAILER_SIZE(MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_CTX)))                                \
  X(REQUESTED_TRAILER_SIZE(MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_LABELS)))                             \
  X(MAX_TRAILER_SIZE) X(MACH_MSG_SIZE_RELIABLE) X(MACH_MSG_SUCCESS) X(MACH_MSG_IPC_SPACE) X(MACH_MSG_VM_SPACE) \
  X(MACH_SEND_INVALID_DATA) X(MACH_SEND_INVALID_DEST) X(MACH_SEND_TIMED_OUT) X(MACH_SEND_INVALID_VOUCHER)   \
  X(MACH_SEND_INTERRUPTED) X(MACH_SEND_MSG_TOO_SMALL) X(MACH_SEND_INVALID_REPLY) X(MACH_SEND_INVALID_RIGHT) \
  X(MACH_SEND_INVALID_NOTIFY) X(MACH_SEND_INVALID_MEMORY) X(MACH_SEND_NO_BUFFER) X(MACH_SEND_TOO_LARGE)     \
  X(MACH_SEND_INVALID_TYPE) X(MACH_SEND_INVALID_HEADER) X(MACH_SEND_INVALID_TRAILER) X(MACH_RCV_INVALID_NAME) \
  X(MACH_RCV_TIMED_OUT) X(MACH_RCV_TOO_LARGE) X(MACH_RCV_INTERRUPTED) X(MACH_RCV_PORT_CHANGED)             \
  X(MACH_RCV_INVALID_NOTIFY) X(MACH_RCV_INVALID_DATA) X(MACH_RCV_PORT_DIED) X(MACH_RCV_IN_SET)              \
  X(MACH_RCV_HEADER_ERROR) X(MACH_RCV_BODY_ERROR) X(MACH_RCV_INVALID_TYPE) X(MACH_RCV_INVALID_TRAILER)      \
  X(MIG_TYPE_ERROR) X(MIG_REPLY_MISMATCH) X(MIG_REMOTE_ERROR) X(MIG_BAD_ID) X(MIG_BAD_ARGUMENTS)           \
  X(MIG_NO_REPLY) X(MIG_EXCEPTION) X(MIG_ARRAY_TOO_LARGE) X(MIG_SERVER_DIED) X(MIG_TRAILER_ERROR)          \
  X(MACH_NOTIFY_PORT_DELETED) X(MACH_NOTIFY_SEND_POSSIBLE) X(MACH_NOTIFY_PORT_DESTROYED)                   \
  X(MACH_NOTIFY_NO_SENDERS) X(MACH_NOTIFY_SEND_ONCE) X(MACH_NOTIFY_DEAD_NAME) X(TASK_KERNEL_PORT)          \
  X(TASK_HOST_PORT) X(TASK_NAME_PORT) X(TASK_BOOTSTRAP_PORT) X(TASK_ACCESS_PORT) X(VM_FLAGS_FIXED)          \
  X(VM_FLAGS_ANYWHERE) X(NDR_INT_LITTLE_ENDIAN) X(BOOTSTRAP_MAX_NAME_LEN) X(BOOTSTRAP_SUCCESS)              \
  X(BOOTSTRAP_NOT_PRIVILEGED) X(BOOTSTRAP_NAME_IN_USE) X(BOOTSTRAP_UNKNOWN_SERVICE)                         \
  X(BOOTSTRAP_SERVICE_ACTIVE) X(BOOTSTRAP_BAD_COUNT) X(BOOTSTRAP_NO_MEMORY) X(err_mach_ipc) X(err_kern)     \
  X(unix_err(5)) X(MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE))                   \
  X(MACH_MSGH_BITS_SET(19, 21, 0, MACH_MSGH_BITS_COMPLEX)) X(MACH_PORT_TYPE_SEND_RIGHTS)                    \
  X(MACH_PORT_TYPE_ALL_RIGHTS)

int main() {
  // Bit fields: the disposition and type of every descriptor sit in the top bytes of its third word.
  mach_msg_port_descriptor_t p;
  memset(&p, 0, sizeof p);
  p.disposition = 0x12;
  p.type = 0x02;
  const unsigned char *b = reinterpret_cast<const unsigned char *>(&p);
  if (b[10] != 0x12 || b[11] != 0x02) return 1;
  mach_msg_ool_descriptor_t o;
  memset(&o, 0, sizeof o);
  o.deallocate = 1;
  o.copy = 2;
  o.type = 3;
  b = reinterpret_cast<const unsigned char *>(&o);
  if (b[8] != 1 || b[9] != 2 || b[11] != 3) return 1;
  mach_msg_ool_ports_descriptor_t op;
  memset(&op, 0, sizeof op);
  op.disposition = 0x11;
  op.type = 2;
  b = reinterpret_cast<const unsigned char *>(&op);
  if (b[10] != 0x11 || b[11] != 2) return 1;

  printf("// Generated by test/native/layout_probe.cc from tsmig's Linux headers.\n");
  printf("#include <cstddef>\n#include <tsmig/mach.h>\n#include <tsmig/mig.h>\n#include <tsmig/runtime.h>\n"
         "#include <tsmig/bootstrap.h>\n");
#define PRINT_SIZE(T) printf("static_assert(sizeof(" #T ") == %zu, \"size of " #T "\");\n", sizeof(T));
#define PRINT_OFFSET(T, F) printf("static_assert(offsetof(" #T ", " #F ") == %zu, \"" #T "." #F "\");\n", offsetof(T, F));
#define PRINT_VALUE(V) printf("static_assert((long long)(" #V ") == %lldLL, \"value of " #V "\");\n", (long long)(V));
  SIZES(PRINT_SIZE)
  OFFSETS(PRINT_OFFSET)
  VALUES(PRINT_VALUE)
  return 0;
}
