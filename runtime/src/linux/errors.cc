// Linux emulation: error messages for Mach's return codes (kern_return_t,
// mach_msg's MACH_SEND_* / MACH_RCV_*, MIG's codes), in tsmig's own words.

#include <cstdio>

#include <tsmig/bootstrap.h>
#include <tsmig/mach.h>
#include <tsmig/mig.h>

namespace {

struct Message {
  int code;
  const char *text;
};

const Message kMessages[] = {
    {KERN_SUCCESS, "success"},
    {KERN_INVALID_ADDRESS, "invalid address"},
    {KERN_PROTECTION_FAILURE, "memory protection violated"},
    {KERN_NO_SPACE, "no space left (address or name space)"},
    {KERN_INVALID_ARGUMENT, "invalid argument"},
    {KERN_FAILURE, "failure"},
    {KERN_RESOURCE_SHORTAGE, "resource shortage"},
    {KERN_NOT_RECEIVER, "not the receiver"},
    {KERN_NO_ACCESS, "access denied"},
    {KERN_MEMORY_FAILURE, "memory failure"},
    {KERN_MEMORY_ERROR, "memory error"},
    {KERN_ALREADY_IN_SET, "already in the port set"},
    {KERN_NOT_IN_SET, "not in a port set"},
    {KERN_NAME_EXISTS, "the name is already in use"},
    {KERN_ABORTED, "operation aborted"},
    {KERN_INVALID_NAME, "no such name in the space"},
    {KERN_INVALID_TASK, "invalid task"},
    {KERN_INVALID_RIGHT, "the name does not hold that right"},
    {KERN_INVALID_VALUE, "invalid value"},
    {KERN_UREFS_OVERFLOW, "too many user references"},
    {KERN_INVALID_CAPABILITY, "invalid capability (port)"},
    {KERN_RIGHT_EXISTS, "the space already holds a right to that port"},
    {KERN_INVALID_HOST, "invalid host"},
    {KERN_MEMORY_PRESENT, "memory already present"},
    {KERN_INVALID_OBJECT, "invalid object"},
    {KERN_ALREADY_WAITING, "already waiting"},
    {KERN_TERMINATED, "terminated"},
    {KERN_RPC_SERVER_TERMINATED, "the RPC server terminated"},
    {KERN_NOT_SUPPORTED, "not supported"},
    {KERN_NODE_DOWN, "node down"},
    {KERN_NOT_WAITING, "not waiting"},
    {KERN_OPERATION_TIMED_OUT, "operation timed out"},
    {KERN_DENIED, "denied"},
    {KERN_NOT_FOUND, "not found"},
    {MACH_SEND_IN_PROGRESS, "(ipc/send) a send is in progress"},
    {MACH_SEND_INVALID_DATA, "(ipc/send) the message buffer is not readable"},
    {MACH_SEND_INVALID_DEST, "(ipc/send) the destination port is invalid or dead"},
    {MACH_SEND_TIMED_OUT, "(ipc/send) timed out: the destination's queue stayed full"},
    {MACH_SEND_INVALID_VOUCHER, "(ipc/send) invalid voucher"},
    {MACH_SEND_INTERRUPTED, "(ipc/send) interrupted"},
    {MACH_SEND_MSG_TOO_SMALL, "(ipc/send) the message is smaller than its header or descriptors"},
    {MACH_SEND_INVALID_REPLY, "(ipc/send) the reply port is invalid"},
    {MACH_SEND_INVALID_RIGHT, "(ipc/send) a port right in the body is invalid"},
    {MACH_SEND_INVALID_NOTIFY, "(ipc/send) invalid notify port"},
    {MACH_SEND_INVALID_MEMORY, "(ipc/send) out-of-line memory is not readable"},
    {MACH_SEND_NO_BUFFER, "(ipc/send) no buffer space (descriptor or memory limit)"},
    {MACH_SEND_TOO_LARGE, "(ipc/send) the message is too large"},
    {MACH_SEND_INVALID_TYPE, "(ipc/send) invalid descriptor type or disposition"},
    {MACH_SEND_INVALID_HEADER, "(ipc/send) invalid message header"},
    {MACH_SEND_INVALID_TRAILER, "(ipc/send) invalid trailer"},
    {MACH_SEND_INVALID_CONTEXT, "(ipc/send) invalid context"},
    {MACH_SEND_NO_GRANT_DEST, "(ipc/send) the destination does not accept rights"},
    {MACH_SEND_MSG_FILTERED, "(ipc/send) the message was filtered"},
    {MACH_RCV_IN_PROGRESS, "(ipc/rcv) a receive is in progress"},
    {MACH_RCV_INVALID_NAME, "(ipc/rcv) the name is not a receive right or port set"},
    {MACH_RCV_TIMED_OUT, "(ipc/rcv) timed out"},
    {MACH_RCV_TOO_LARGE, "(ipc/rcv) the message is larger than the buffer"},
    {MACH_RCV_INTERRUPTED, "(ipc/rcv) interrupted"},
    {MACH_RCV_PORT_CHANGED, "(ipc/rcv) the port moved or left its set"},
    {MACH_RCV_INVALID_NOTIFY, "(ipc/rcv) invalid notify port"},
    {MACH_RCV_INVALID_DATA, "(ipc/rcv) the receive buffer is not writable"},
    {MACH_RCV_PORT_DIED, "(ipc/rcv) the port was destroyed"},
    {MACH_RCV_IN_SET, "(ipc/rcv) the port is in a port set"},
    {MACH_RCV_HEADER_ERROR, "(ipc/rcv) the reply right could not be received"},
    {MACH_RCV_BODY_ERROR, "(ipc/rcv) a right or region in the body could not be received"},
    {MACH_RCV_INVALID_TYPE, "(ipc/rcv) invalid descriptor type"},
    {MACH_RCV_SCATTER_SMALL, "(ipc/rcv) the scatter list is too small"},
    {MACH_RCV_INVALID_TRAILER, "(ipc/rcv) invalid trailer request"},
    {MACH_RCV_INVALID_REPLY, "(ipc/rcv) invalid reply port"},
    {MIG_TYPE_ERROR, "(mig) the reply's types are wrong"},
    {MIG_REPLY_MISMATCH, "(mig) the reply is for another request"},
    {MIG_REMOTE_ERROR, "(mig) the server reported an error"},
    {MIG_BAD_ID, "(mig) the server does not know this request"},
    {MIG_BAD_ARGUMENTS, "(mig) the server refused the arguments"},
    {MIG_NO_REPLY, "(mig) no reply is sent"},
    {MIG_EXCEPTION, "(mig) the server raised an exception"},
    {MIG_ARRAY_TOO_LARGE, "(mig) an array does not fit the caller's buffer"},
    {MIG_SERVER_DIED, "(mig) the server died"},
    {MIG_TRAILER_ERROR, "(mig) the trailer has an unknown format"},
    {BOOTSTRAP_NOT_PRIVILEGED, "(bootstrap) permission denied"},
    {BOOTSTRAP_NAME_IN_USE, "(bootstrap) service name already registered"},
    {BOOTSTRAP_UNKNOWN_SERVICE, "(bootstrap) unknown service name"},
    {BOOTSTRAP_SERVICE_ACTIVE, "(bootstrap) service already checked in"},
};

}  // namespace

extern "C" {

const char *mach_error_string(mach_error_t error_value) {
  // Receive errors may carry MACH_MSG_IPC_SPACE / MACH_MSG_VM_SPACE bits: describe the base error.
  mach_error_t base = error_value;
  if ((static_cast<unsigned>(base) & system_emask) == static_cast<unsigned>(err_mach_ipc)) base &= ~MACH_MSG_MASK;
  for (const Message &m : kMessages) {
    if (m.code == base) return m.text;
  }
  return "unknown error code";
}

const char *mach_error_type(mach_error_t error_value) {
  if (error_value >= MIG_TRAILER_ERROR && error_value <= MIG_TYPE_ERROR) return "(mig)";
  switch (err_get_system(error_value)) {
    case 0:
      return "(kernel)";
    case 4:
      return err_get_sub(error_value) == 0 ? "(ipc/send)" : "(ipc/rcv)";
    default:
      return "(unknown)";
  }
}

void mach_error(const char *str, mach_error_t error_value) {
  fprintf(stderr, "%s %s (0x%x)\n", str != nullptr ? str : "", mach_error_string(error_value),
          static_cast<unsigned>(error_value));
}

}  // extern "C"
