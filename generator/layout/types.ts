// Layout stage: the shapes of message layouts, and the fixed layouts of
// Mach's own structures (header, descriptors, trailer, error reply).
//
// A `MessageLayout` lists a message's fields exactly as Apple's MIG declares
// its `__Request__<routine>_t` / `__Reply__<routine>_t` struct under
// `#pragma pack(4)` on LP64: same member names, same order, offsets at the
// maximum-size position. Variable inline arrays say how later fields move
// when fewer elements are sent. Emitters print these numbers; they never
// compute an offset of their own.

/** What a field of a message holds. */
export type FieldRole =
  /** `mach_msg_header_t Head`. */
  | 'header'
  /** `mach_msg_body_t msgh_body` (descriptor count), in complex messages. */
  | 'body'
  /** One descriptor, or an array of descriptors for an array of ports / regions. */
  | 'descriptor'
  /** `NDR_record_t NDR`. */
  | 'ndr'
  /** `kern_return_t RetCode`, in simple replies. */
  | 'retCode'
  /** An argument's value (or, for variable arrays, its data declared at the maximum). */
  | 'data'
  /** `mach_msg_type_number_t <name>Cnt`: an element count. */
  | 'count'
  /** `mach_msg_type_number_t <name>Offset`: a c_string's offset field (always 0). */
  | 'stringOffset'
  /** `char <name>Pad[N]`: padding to 4 bytes after small data. */
  | 'pad';

/** One member of a message struct. */
export interface LayoutField {
  /** The member name Apple's MIG uses (`Head`, `msgh_body`, `NDR`, `RetCode`, `data`, `dataCnt`, `dataPad`). */
  name: string;
  /** Byte offset in the struct (the position when every variable array is at its maximum). */
  offset: number;
  /** Bytes the member occupies in the struct. */
  size: number;
  role: FieldRole;
  /** The member's C type as Apple's headers declare it (the element type when `arrayLength` is set). */
  cType: string;
  /** Declared as `cType name[arrayLength]`. */
  arrayLength?: number;
  /** The IR argument whose value this field carries. */
  arg?: string;
  /**
   * Variable data fields before this one: when one carries `count` elements,
   * this field moves back by `maxBytes - round4(count × elementSize)`.
   */
  shiftedBy: string[];
  /** For the data of a variable inline array. */
  variable?: VariableInfo;
  /** For descriptor fields. */
  descriptor?: DescriptorInfo;
}

/** How a variable inline array occupies the message. */
export interface VariableInfo {
  /** The count field that gives its element count (the shared one for `SameCount`). */
  countField: string;
  /** Bytes per counted element. */
  elementSize: number;
  /** The bound: the most elements a message may carry. */
  maxCount: number;
  /** Bytes the data and its padding take at the maximum (the struct's `data` + `Pad`). */
  maxBytes: number;
  /** A C string: the count is strlen + 1 and the data must hold a NUL. */
  string: boolean;
}

/** What a descriptor field describes. */
export interface DescriptorInfo {
  kind: 'port' | 'ool' | 'oolPorts';
  /** Descriptors in the field (an array of ports or of regions has several). */
  count: number;
  /** For port and OOL-ports descriptors: the disposition sent and the one a receiver sees. */
  disposition?: Disposition;
  /** For OOL data: the fixed size in bytes, or null when the size follows a count. */
  oolBytes?: number | null;
  /** For OOL ports: the fixed number of ports, or null when it follows a count. */
  oolPortCount?: number | null;
  /** The count argument an OOL size or port count follows. */
  countArg?: string;
  /** Multiply the count by this to get OOL bytes (MIG's element size). */
  bytesPerCount?: number;
  /** For bounded OOL arrays: the largest count a receiver accepts. */
  maxCount?: number;
  /** The deallocate bit: fixed, or chosen at run time by the `dealloc[]` argument. */
  deallocate: 'no' | 'yes' | 'maybe';
  /** OOL copy option (OOL ports always say physical, which only matters in overwrite mode). */
  copy: 'virtual' | 'physical';
  /** The poly argument that gives the disposition at run time, for polymorphic ports. */
  polyArg?: string;
}

/** A port disposition: sent (MAKE_SEND…) and received (PORT_SEND…), or chosen at run time. */
export interface Disposition {
  sent: number;
  sentName: string;
  received: number;
  receivedName: string;
  /** The sent or received half is chosen at run time by a poly argument. */
  polymorphic: 'none' | 'sent' | 'received' | 'both';
}

/** The trailer a receiver asks the kernel for. */
export interface TrailerLayout {
  /** Elements read by trailer arguments, in the order they appear in `mach_msg_max_trailer_t`. */
  elements: Array<{
    element: 'seqno' | 'sender' | 'audit' | 'context';
    arg: string;
    offset: number;
    size: number;
  }>;
  /** `MACH_RCV_TRAILER_ELEMENTS(n)` to request (0 when no element is read). */
  rcvElements: number;
  /** Bytes of trailer the receive buffer must have room for after the message. */
  size: number;
}

/**
 * One check a receiver makes before trusting a message, with the error MIG
 * returns. Checks on a descriptor field that holds several descriptors (an
 * array of ports or of regions) apply to each of them.
 */
export type ReceiverCheck =
  | {
      check: 'replyId';
      expected: number;
      serverDiedId: number;
      error: 'MIG_REPLY_MISMATCH';
      serverDiedError: 'MIG_SERVER_DIED';
    }
  | { check: 'complexBit'; complex: boolean; error: MigCheckError }
  | { check: 'descriptorCount'; expected: number; error: MigCheckError }
  | { check: 'size'; exact: number; error: MigCheckError }
  | { check: 'sizeRange'; min: number; max: number; error: MigCheckError }
  | { check: 'errorReply'; size: number; note: string }
  /** A reply's `msgh_remote_port` (the port a reply would be answered on) must be MACH_PORT_NULL. */
  | { check: 'replyPortNull'; error: 'MIG_TYPE_ERROR' }
  | {
      check: 'descriptorType';
      field: string;
      kind: 'port' | 'ool' | 'oolPorts';
      error: 'MIG_TYPE_ERROR';
    }
  | {
      check: 'disposition';
      field: string;
      accepted: number[];
      acceptedNames: string[];
      error: 'MIG_TYPE_ERROR';
    }
  | { check: 'oolSize'; field: string; bytes: number; error: 'MIG_TYPE_ERROR' }
  | { check: 'oolPortCount'; field: string; count: number; error: 'MIG_TYPE_ERROR' }
  | {
      check: 'oolSizeMatchesCount';
      field: string;
      countField: string;
      bytesPerCount: number;
      maxCount?: number;
      error: 'MIG_TYPE_ERROR';
    }
  | {
      check: 'oolPortCountMatchesCount';
      field: string;
      countField: string;
      maxCount?: number;
      error: 'MIG_TYPE_ERROR';
    }
  | { check: 'countBound'; countField: string; max: number; error: MigCheckError }
  | { check: 'sizeMatchesCounts'; description: string; error: MigCheckError }
  | { check: 'cStringTerminated'; field: string; max: number; error: 'MIG_BAD_ARGUMENTS' }
  | { check: 'trailerFormat'; format: 0; error: 'MIG_TRAILER_ERROR' }
  | { check: 'trailerSize'; element: string; minSize: number; error: 'MIG_TRAILER_ERROR' };

/** Errors MIG's checks return: the server says BAD_ARGUMENTS, the client TYPE_ERROR. */
export type MigCheckError = 'MIG_BAD_ARGUMENTS' | 'MIG_TYPE_ERROR';

/** One message of a routine. */
export interface MessageLayout {
  /** Apple's struct name: `__Request__<routine>_t` or `__Reply__<routine>_t`. */
  struct: string;
  id: number;
  complex: boolean;
  descriptorCount: number;
  /** Size with every variable array empty. */
  minSize: number;
  /** Size with every variable array full: `sizeof` the struct. */
  maxSize: number;
  fields: LayoutField[];
  trailer: TrailerLayout;
  /** What the receiver of this message checks, in MIG's order. */
  checks: ReceiverCheck[];
}

/** How the request's header names its ports. */
export interface HeaderPorts {
  /** The destination: the request port argument and the disposition it is sent with. */
  remote: { arg: string | null; disposition: Disposition };
  /**
   * The reply port. `arg` names the user-side argument that gives it; when
   * null the client supplies it: its own reply port for a routine (MIG's
   * `mig_get_reply_port()`, or the special reply port), MACH_PORT_NULL for a
   * simpleroutine. `disposition` is null only when no port is sent at all.
   */
  local: { arg: string | null; disposition: Disposition | null };
}

/** Both messages of one routine. */
export interface RoutineLayout {
  routine: string;
  id: number;
  request: MessageLayout;
  /** Null for a simpleroutine, which has no reply. */
  reply: MessageLayout | null;
  requestHeader: HeaderPorts;
}

/** Layouts of every routine of an interface, in the IR's order. */
export interface InterfaceLayout {
  /** One entry per IR routine; null for a routine the checker marked invalid. */
  routines: Array<RoutineLayout | null>;
}

/** `mach_msg_header_t` members (24 bytes). */
export const HEADER_FIELDS = Object.freeze([
  { name: 'msgh_bits', offset: 0, size: 4 },
  { name: 'msgh_size', offset: 4, size: 4 },
  { name: 'msgh_remote_port', offset: 8, size: 4 },
  { name: 'msgh_local_port', offset: 12, size: 4 },
  { name: 'msgh_voucher_port', offset: 16, size: 4 },
  { name: 'msgh_id', offset: 20, size: 4 },
] as const);

/** Sizes of Mach's fixed structures on LP64. */
export const MACH_SIZES = Object.freeze({
  header: 24,
  body: 4,
  ndr: 8,
  retCode: 4,
  portDescriptor: 12,
  oolDescriptor: 16,
  oolPortsDescriptor: 16,
  /** `mig_reply_error_t`: header, NDR, RetCode. */
  migReplyError: 36,
});

/** Members of each descriptor kind on LP64 (offsets inside the descriptor). */
export const DESCRIPTOR_FIELDS = Object.freeze({
  port: [
    { name: 'name', offset: 0, size: 4 },
    { name: 'pad1', offset: 4, size: 4 },
    { name: 'pad2', offset: 8, size: 2 },
    { name: 'disposition', offset: 10, size: 1 },
    { name: 'type', offset: 11, size: 1 },
  ],
  ool: [
    { name: 'address', offset: 0, size: 8 },
    { name: 'deallocate', offset: 8, size: 1 },
    { name: 'copy', offset: 9, size: 1 },
    { name: 'pad1', offset: 10, size: 1 },
    { name: 'type', offset: 11, size: 1 },
    { name: 'size', offset: 12, size: 4 },
  ],
  oolPorts: [
    { name: 'address', offset: 0, size: 8 },
    { name: 'deallocate', offset: 8, size: 1 },
    { name: 'copy', offset: 9, size: 1 },
    { name: 'disposition', offset: 10, size: 1 },
    { name: 'type', offset: 11, size: 1 },
    { name: 'count', offset: 12, size: 4 },
  ],
} as const);

/** Descriptor type codes (`MACH_MSG_PORT_DESCRIPTOR` …). */
export const DESCRIPTOR_TYPE = Object.freeze({ port: 0, ool: 1, oolPorts: 2 });

/** `mach_msg_max_trailer_t` elements on LP64: where each sits in the trailer and its size. */
export const TRAILER_ELEMENTS = Object.freeze({
  seqno: { offset: 8, size: 4, rcvElements: 1, trailerSize: 12 },
  sender: { offset: 12, size: 8, rcvElements: 2, trailerSize: 20 },
  audit: { offset: 20, size: 32, rcvElements: 3, trailerSize: 52 },
  context: { offset: 52, size: 8, rcvElements: 4, trailerSize: 60 },
});

/** The trailer every received message carries (`mach_msg_trailer_t`: type and size). */
export const MINIMUM_TRAILER_SIZE = 8;

/** The id of the kernel's send-once notification, which tells a client its server died. */
export const MACH_NOTIFY_SEND_ONCE = 71;
