// Check stage: the argument-kind bits the routine checker works with.
//
// An argument's kind is a base (what it is: a normal argument, the request
// port, a count…) plus feature bits (which message carries it, which side's
// function takes it, whether it sits in the body or in a descriptor…). The
// routine checker sets and clears these bits exactly as MIG's rules demand;
// the IR then states the result in plain fields. Internal to the checker.

/** Base kinds (low 5 bits). */
export const Base = {
  none: 0,
  normal: 1,
  requestPort: 2,
  waitTime: 3,
  replyPort: 4,
  msgOption: 5,
  msgSeqno: 6,
  retCode: 7,
  ndr: 8,
  count: 9,
  poly: 10,
  dealloc: 11,
  countInOut: 12,
  sameCount: 13,
  subCount: 14,
  implicit: 15,
  secToken: 16,
  auditToken: 17,
  contextToken: 18,
  sendTime: 19,
} as const;

const BASE_MASK = 0x1f;
const bit = (n: number) => 1 << (5 + n);

/** Feature bits (above the base). */
export const F = {
  /** Has a field in the request message. */
  request: bit(0),
  /** Has a field in the reply message. */
  reply: bit(1),
  /** A parameter of the user-side function. */
  userArg: bit(2),
  /** A parameter of the server-side function. */
  serverArg: bit(3),
  /** The value is carried in the request. */
  send: bit(4),
  /** … in the request body. */
  sendBody: bit(5),
  /** … stuffed into the request by the client. */
  sendSnd: bit(6),
  /** … pulled out of the request by the server. */
  sendRcv: bit(7),
  /** The value is carried in the reply. */
  return: bit(8),
  returnBody: bit(9),
  returnSnd: bit(10),
  returnRcv: bit(11),
  returnNdr: bit(12),
  replyInit: bit(13),
  replyCopy: bit(14),
  varNeeded: bit(15),
  destroy: bit(16),
  /** Variable-size inline data. */
  variable: bit(17),
  sendNdr: bit(18),
  /** Carried as a descriptor in the request. */
  sendKPD: bit(19),
  /** Carried as a descriptor in the reply. */
  returnKPD: bit(20),
  /** Read from the trailer by the client. */
  userImplicit: bit(21),
  /** Read from the trailer by the server. */
  serverImplicit: bit(22),
  overwrite: bit(23),
} as const;

/** Every bit saying a value is carried in the request. */
export const SEND_BITS = F.send | F.sendBody | F.sendSnd | F.sendRcv;
/** Every bit saying a value is carried in the reply. */
export const RETURN_BITS = F.return | F.returnBody | F.returnSnd | F.returnRcv;

/** The base kind of `kind`. */
export function baseOf(kind: number): number {
  return kind & BASE_MASK;
}

/** True when `kind` has any of `bits`. */
export function has(kind: number, bits: number): boolean {
  return (kind & bits) !== 0;
}

/** True when `kind` has all of `bits`. */
export function hasAll(kind: number, bits: number): boolean {
  return (kind & bits) === bits;
}

/** `kind` without `bits`. */
export function without(kind: number, bits: number): number {
  return kind & ~bits;
}

/** The kinds each direction keyword gives an argument. */
export const Kind = {
  in: Base.normal | F.userArg | F.serverArg | F.request | SEND_BITS,
  out: Base.normal | F.userArg | F.serverArg | F.reply | RETURN_BITS,
  inout:
    Base.normal |
    F.userArg |
    F.serverArg |
    F.request |
    F.reply |
    SEND_BITS |
    RETURN_BITS |
    F.replyCopy,
  requestPort: Base.requestPort | F.userArg | F.serverArg | F.send | F.sendSnd | F.sendRcv,
  replyPort: Base.replyPort | F.userArg | F.serverArg | F.send | F.sendSnd | F.sendRcv,
  uReplyPort: Base.replyPort | F.userArg | F.send | F.sendSnd | F.sendRcv,
  sReplyPort: Base.replyPort | F.serverArg | F.send | F.sendSnd | F.sendRcv,
  waitTime: Base.waitTime | F.userArg,
  sendTime: Base.sendTime | F.userArg,
  msgOption: Base.msgOption | F.userArg,
  msgSeqno: Base.msgSeqno | F.serverArg | F.serverImplicit | F.send | F.sendRcv,
  serverImpl: Base.implicit | F.serverArg | F.serverImplicit | F.send | F.sendRcv,
  userImpl: Base.implicit | F.userArg | F.userImplicit | F.return | F.returnRcv,
  secToken:
    Base.secToken |
    F.serverArg |
    F.serverImplicit |
    F.send |
    F.sendRcv |
    F.userArg |
    F.userImplicit |
    F.return |
    F.returnRcv,
  serverSecToken: Base.secToken | F.serverArg | F.serverImplicit | F.send | F.sendRcv,
  userSecToken: Base.secToken | F.userArg | F.userImplicit | F.return | F.returnRcv,
  auditToken:
    Base.auditToken |
    F.serverArg |
    F.serverImplicit |
    F.send |
    F.sendRcv |
    F.userArg |
    F.userImplicit |
    F.return |
    F.returnRcv,
  serverAuditToken: Base.auditToken | F.serverArg | F.serverImplicit | F.send | F.sendRcv,
  userAuditToken: Base.auditToken | F.userArg | F.userImplicit | F.return | F.returnRcv,
  serverContextToken: Base.contextToken | F.serverArg | F.serverImplicit | F.send | F.sendRcv,
  retCode: Base.retCode | F.reply | F.returnBody,
  count: Base.count | F.userArg | F.serverArg,
  countInOut: Base.countInOut | F.request | SEND_BITS,
} as const;
