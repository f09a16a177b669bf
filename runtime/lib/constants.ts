// Runtime API: Mach's numbers as the wire and the kernel interface use them
// (identical on macOS and the Linux emulation). Generated stubs and
// hand-written code build and read message bytes with these.

/** The null port name. */
export const MACH_PORT_NULL = 0;
/** The name a right has when its port died in transit. */
export const MACH_PORT_DEAD = 0xffffffff;

/** Rights, as mach_port_allocate, mach_port_get_refs and mach_port_mod_refs name them. */
export const MACH_PORT_RIGHT_SEND = 0;
export const MACH_PORT_RIGHT_RECEIVE = 1;
export const MACH_PORT_RIGHT_SEND_ONCE = 2;
export const MACH_PORT_RIGHT_PORT_SET = 3;
export const MACH_PORT_RIGHT_DEAD_NAME = 4;

/** Bits of mach_port_type(): one per right a name holds, plus pending requests. */
export const MACH_PORT_TYPE_SEND = 1 << 16;
export const MACH_PORT_TYPE_RECEIVE = 1 << 17;
export const MACH_PORT_TYPE_SEND_ONCE = 1 << 18;
export const MACH_PORT_TYPE_PORT_SET = 1 << 19;
export const MACH_PORT_TYPE_DEAD_NAME = 1 << 20;

/** Dispositions (what a send does with a right) and, on receipt, the kinds of right that arrived. */
export const MACH_MSG_TYPE_MOVE_RECEIVE = 16;
export const MACH_MSG_TYPE_MOVE_SEND = 17;
export const MACH_MSG_TYPE_MOVE_SEND_ONCE = 18;
export const MACH_MSG_TYPE_COPY_SEND = 19;
export const MACH_MSG_TYPE_MAKE_SEND = 20;
export const MACH_MSG_TYPE_MAKE_SEND_ONCE = 21;
export const MACH_MSG_TYPE_PORT_RECEIVE = MACH_MSG_TYPE_MOVE_RECEIVE;
export const MACH_MSG_TYPE_PORT_SEND = MACH_MSG_TYPE_MOVE_SEND;
export const MACH_MSG_TYPE_PORT_SEND_ONCE = MACH_MSG_TYPE_MOVE_SEND_ONCE;

/** msgh_bits: remote (destination) disposition in bits 0–4, local (reply) in 8–12, voucher in 16–20. */
export const MACH_MSGH_BITS_COMPLEX = 0x80000000;

/** Encodes msgh_bits from the destination, reply and voucher dispositions. */
export function machMsghBits(remote: number, local = 0, voucher = 0, complex = false): number {
  return ((remote & 0x1f) | ((local & 0x1f) << 8) | ((voucher & 0x1f) << 16) | (complex ? MACH_MSGH_BITS_COMPLEX : 0)) >>> 0;
}

/** Descriptor types (the last byte of every descriptor). */
export const MACH_MSG_PORT_DESCRIPTOR = 0;
export const MACH_MSG_OOL_DESCRIPTOR = 1;
export const MACH_MSG_OOL_PORTS_DESCRIPTOR = 2;

/** Copy options of out-of-line descriptors. */
export const MACH_MSG_PHYSICAL_COPY = 0;
export const MACH_MSG_VIRTUAL_COPY = 1;

/** Sizes on the wire (LP64, identical on arm64 and x86_64). */
export const MACH_MSG_HEADER_SIZE = 24;
export const MACH_MSG_BODY_SIZE = 4;
export const MACH_MSG_PORT_DESCRIPTOR_SIZE = 12;
export const MACH_MSG_OOL_DESCRIPTOR_SIZE = 16;
export const MACH_MSG_OOL_PORTS_DESCRIPTOR_SIZE = 16;

/** Trailer elements a receive can ask for (format 0). */
export const MACH_RCV_TRAILER_NULL = 0;
export const MACH_RCV_TRAILER_SEQNO = 1;
export const MACH_RCV_TRAILER_SENDER = 2;
export const MACH_RCV_TRAILER_AUDIT = 3;

/** Notification message ids, as the kernel (or the emulation) sends them. */
export const MACH_NOTIFY_PORT_DELETED = 65;
export const MACH_NOTIFY_SEND_POSSIBLE = 66;
export const MACH_NOTIFY_PORT_DESTROYED = 69;
export const MACH_NOTIFY_NO_SENDERS = 70;
export const MACH_NOTIFY_SEND_ONCE = 71;
export const MACH_NOTIFY_DEAD_NAME = 72;

/** Return codes the runtime and generated stubs test for. */
export const KERN_SUCCESS = 0;
export const KERN_INVALID_ARGUMENT = 4;
export const KERN_INVALID_NAME = 15;
export const KERN_INVALID_RIGHT = 17;
export const KERN_NOT_SUPPORTED = 46;
export const MACH_SEND_INVALID_DEST = 0x10000003;
export const MACH_SEND_TIMED_OUT = 0x10000004;
export const MACH_SEND_INTERRUPTED = 0x10000007;
export const MACH_RCV_TIMED_OUT = 0x10004003;
export const MACH_RCV_TOO_LARGE = 0x10004004;
export const MACH_RCV_PORT_DIED = 0x10004009;
export const MIG_TYPE_ERROR = -300;
export const MIG_REPLY_MISMATCH = -301;
export const MIG_REMOTE_ERROR = -302;
export const MIG_BAD_ID = -303;
export const MIG_BAD_ARGUMENTS = -304;
export const MIG_NO_REPLY = -305;
export const MIG_EXCEPTION = -306;
export const MIG_ARRAY_TOO_LARGE = -307;
export const MIG_SERVER_DIED = -308;
export const MIG_TRAILER_ERROR = -309;
