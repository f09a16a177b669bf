// Check stage: the table of MIG's built-in IPC type names.
//
// Every `MACH_MSG_TYPE_*` name a .defs file may write, with the number the
// kernel uses for it, the number a receiver sees (a port sent as MAKE_SEND
// arrives as PORT_SEND), its default size in bits, and which MIG dialects
// know it. The numbers are Mach's ABI; nothing here depends on the host.

/** MIG's "polymorphic" marker: the value is chosen at run time (`(mach_msg_type_name_t)-1`). */
export const MACH_MSG_TYPE_POLYMORPHIC = 0xffffffff;

/** Port dispositions (message.h): sent values 16–21, received values 16–18. */
export const PortDisposition = {
  MOVE_RECEIVE: 16,
  MOVE_SEND: 17,
  MOVE_SEND_ONCE: 18,
  COPY_SEND: 19,
  MAKE_SEND: 20,
  MAKE_SEND_ONCE: 21,
} as const;

/** The bits in a machine integer on Apple's LP64 ABI (`natural_t` is 32 bits there too). */
export const MACHINE_INTEGER_BITS = 32;
/** A port name is 32 bits on the wire (`mach_port_t` in a header or descriptor). */
export const PORT_NAME_BITS = 32;

/** One built-in IPC type name as a .defs file writes it. */
export interface IpcNameInfo {
  /** The number sent to the kernel. */
  sent: number;
  /** The name whose number is `sent` (`MACH_MSG_TYPE_COPY_SEND`). */
  sentName: string;
  /** The number a receiver sees. */
  received: number;
  /** The name whose number is `received` (`MACH_MSG_TYPE_PORT_SEND`). */
  receivedName: string;
  /** Default size in bits; 0 means the name needs GNU's long form `(NAME, bits)`. */
  bits: number;
  /** `apple`: both dialects know it; `gnu`: only GNU MIG's lexer knows it. */
  dialect: 'both' | 'gnu';
}

function same(
  name: string,
  value: number,
  bits: number,
  dialect: 'both' | 'gnu' = 'both',
): IpcNameInfo {
  return { sent: value, sentName: name, received: value, receivedName: name, bits, dialect };
}

function port(sentName: string, sent: number, receivedName: string, received: number): IpcNameInfo {
  return { sent, sentName, received, receivedName, bits: PORT_NAME_BITS, dialect: 'both' };
}

const P = 'MACH_MSG_TYPE_';
const POLY = `${P}POLYMORPHIC`;

/** Every symbolic IPC type name, keyed by its spelling (case-sensitive, as in MIG's lexer). */
export const IPC_NAMES: ReadonlyMap<string, IpcNameInfo> = new Map<string, IpcNameInfo>([
  [`${P}UNSTRUCTURED`, same(`${P}UNSTRUCTURED`, 0, 0)],
  [`${P}BIT`, same(`${P}BIT`, 0, 1)],
  [`${P}BOOLEAN`, same(`${P}BOOLEAN`, 0, 32)],
  [`${P}INTEGER_8`, same(`${P}INTEGER_8`, 9, 8)],
  [`${P}INTEGER_16`, same(`${P}INTEGER_16`, 1, 16)],
  [`${P}INTEGER_32`, same(`${P}INTEGER_32`, 2, 32)],
  [`${P}INTEGER_64`, same(`${P}INTEGER_64`, 3, 64)],
  [`${P}REAL_32`, same(`${P}REAL_32`, 10, 32)],
  [`${P}REAL_64`, same(`${P}REAL_64`, 11, 64)],
  [`${P}CHAR`, same(`${P}CHAR`, 8, 8)],
  [`${P}BYTE`, same(`${P}BYTE`, 9, 8)],
  [`${P}MOVE_RECEIVE`, port(`${P}MOVE_RECEIVE`, 16, `${P}PORT_RECEIVE`, 16)],
  [`${P}COPY_SEND`, port(`${P}COPY_SEND`, 19, `${P}PORT_SEND`, 17)],
  [`${P}MAKE_SEND`, port(`${P}MAKE_SEND`, 20, `${P}PORT_SEND`, 17)],
  [`${P}MOVE_SEND`, port(`${P}MOVE_SEND`, 17, `${P}PORT_SEND`, 17)],
  [`${P}MAKE_SEND_ONCE`, port(`${P}MAKE_SEND_ONCE`, 21, `${P}PORT_SEND_ONCE`, 18)],
  [`${P}MOVE_SEND_ONCE`, port(`${P}MOVE_SEND_ONCE`, 18, `${P}PORT_SEND_ONCE`, 18)],
  [`${P}PORT_NAME`, same(`${P}PORT_NAME`, 15, PORT_NAME_BITS)],
  [`${P}PORT_RECEIVE`, port(POLY, MACH_MSG_TYPE_POLYMORPHIC, `${P}PORT_RECEIVE`, 16)],
  [`${P}PORT_SEND`, port(POLY, MACH_MSG_TYPE_POLYMORPHIC, `${P}PORT_SEND`, 17)],
  [`${P}PORT_SEND_ONCE`, port(POLY, MACH_MSG_TYPE_POLYMORPHIC, `${P}PORT_SEND_ONCE`, 18)],
  [POLY, port(POLY, MACH_MSG_TYPE_POLYMORPHIC, POLY, MACH_MSG_TYPE_POLYMORPHIC)],
  ['polymorphic', port(POLY, MACH_MSG_TYPE_POLYMORPHIC, POLY, MACH_MSG_TYPE_POLYMORPHIC)],
  // GNU MIG's lexer knows these; each needs the long form to give a size.
  [`${P}STRING`, same(`${P}STRING`, 12, 0, 'gnu')],
  [`${P}STRING_C`, same(`${P}STRING_C`, 12, 0, 'gnu')],
  [`${P}REAL`, same(`${P}REAL`, 10, 0, 'gnu')],
]);

/** Mach's test: `n` names a port right (a disposition, 16–21). */
export function isPortDisposition(n: number): boolean {
  return n >= PortDisposition.MOVE_RECEIVE && n <= PortDisposition.MAKE_SEND_ONCE;
}

/** The IPC number of `MACH_MSG_TYPE_STRING_C` (MIG's element type of `c_string`). */
export const MACH_MSG_TYPE_STRING_C = 12;

/** The printable name of an IPC number when no symbolic name was written (MIG prints the number). */
export function ipcNumberName(n: number): string {
  if (n === MACH_MSG_TYPE_POLYMORPHIC) return POLY;
  return String(n);
}

/** The received-side name of a disposition number (`17` → `MACH_MSG_TYPE_PORT_SEND`). */
export function receivedPortName(n: number): string {
  switch (n) {
    case 16:
      return `${P}PORT_RECEIVE`;
    case 17:
      return `${P}PORT_SEND`;
    case 18:
      return `${P}PORT_SEND_ONCE`;
    case MACH_MSG_TYPE_POLYMORPHIC:
      return POLY;
    default:
      return ipcNumberName(n);
  }
}
