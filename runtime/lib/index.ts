// Runtime API: what `import { … } from 'tsmig'` gives. Ports and port sets
// that own Mach rights, messages as Mach's bytes (for generated stubs) or as
// friendly objects, out-of-line memory, notifications, MachError, leak
// counters, and the child handshake (spawnWithPorts / claimParentPorts).
// Real Mach on macOS; the emulation over Unix sockets on Linux.

export {
  Port,
  PortSet,
  allocatePort,
  allocatePortSet,
  spaceStats,
  rightNumber,
  type RightKind,
  type ReceiveOptions,
  type PortEvents,
  type RequestableNotification,
  type SpaceStats,
} from './port.js';
export { sendRaw, checkRawMessage, type SendOptions } from './send.js';
export {
  ReceivedMessage,
  encodeMessage,
  dispositionNumber,
  type RawMessage,
  type MessageInit,
  type PortTransfer,
  type Disposition,
  type OutOfLineInit,
  type OutOfLinePortsInit,
  type ReceivedPortArray,
  type Notification,
  type NotificationKind,
  type Trailer,
  type AuditToken,
} from './message.js';
export { allocateOutOfLine, releaseOutOfLine, isOutOfLineRegion } from './ool.js';
export { MachError, PortClosedError, machErrorName } from './errors.js';
export {
  spawnWithPorts,
  forkWithPorts,
  claimParentPorts,
  startedWithPorts,
  refusedClaims,
  HandshakeError,
  HANDSHAKE_ENV,
  type HandedPort,
  type HandshakeErrorCode,
  type SpawnWithPortsOptions,
  type ForkWithPortsOptions,
  type SpawnedWithPorts,
  type SpawnWithPortsPromise,
  type ClaimOptions,
} from './handshake.js';
export * from './constants.js';
export * from './mig/index.js';
