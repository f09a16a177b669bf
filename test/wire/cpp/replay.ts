// Wire corpus, C++ replay: builds tsmig's C++ stubs and the driver of one
// interface, runs it, and checks every case against the corpus: the bytes
// the client stub sends and the server stub replies (outside don't-care
// ranges), the values each side decodes, the error of every bad message,
// and that a rejected message's rights and regions are destroyed exactly
// as mach_msg_destroy would (once each, nothing else).

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compileDefs } from '../../../generator/check/compile.js';
import type { InterfaceIR, IrArgument, IrRoutine } from '../../../generator/check/ir.js';
import type { InterfaceLayout } from '../../../generator/layout/types.js';
import { emitCpp, clientNamespaceOf } from '../../../generator/emit/cpp/index.js';
import {
  codeOf,
  firstDifference,
  messageBytes,
  receivedDisposition,
  receivedForm,
  type PortValue,
  type Vector,
  type WireMessage,
} from './corpus.js';
import { driverSource, type DriverCase } from './driver.js';
import { bytesValue, countOf, fromHex, valueBytes } from './values.js';

const REPO = join(import.meta.dirname, '..', '..', '..');
const RUNTIME_INCLUDE = join(REPO, 'runtime', 'include');
const HERE = import.meta.dirname;

/** What one driver case printed. */
interface CaseLine {
  case: number;
  side: 'client' | 'server';
  result?: number;
  sent: string;
  sends?: number;
  outs?: Record<string, unknown>;
  saw?: Record<string, unknown> | null;
  events: Array<[number, number, number]>;
  regions: number[];
}

/** The verdict on one vector: every problem found, empty when it replays exactly. */
export interface VectorResult {
  vector: Vector;
  problems: string[];
}

/** Builds and runs the replay of one interface; returns one result per vector. */
export function replayInterface(defs: string, vectors: Vector[], work: string): VectorResult[] {
  const compiled = compileDefs(
    { file: defs },
    { includePaths: [join(REPO, 'defs'), dirname(defs)] },
  );
  const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => d.message).join('\n'));
  const { ir, layouts } = compiled;
  const base = ir.subsystem!.name;
  mkdirSync(work, { recursive: true });
  for (const [path, text] of emitCpp({ ir, layouts, baseName: base }))
    writeFileSync(join(work, path), text);
  const { source, cases } = driverSource({
    mode: 'tsmig',
    ir,
    layouts,
    vectors,
    includes: [`${base}.mig.h`],
    namespace: clientNamespaceOf({ ir, layouts, baseName: base }),
  });
  writeFileSync(join(work, 'driver.cc'), source);
  const include = [`-I${RUNTIME_INCLUDE}`, `-I${HERE}`, `-I${dirname(defs)}`, `-I${work}`];
  const exe = join(work, 'driver');
  // The stubs build as users build them (-Werror); the driver is test code that leaves outs unset.
  const steps = [
    [
      '-std=c++17',
      '-O1',
      '-Wall',
      '-Wextra',
      '-Werror',
      ...include,
      '-c',
      join(work, `${base}.mig.cc`),
      '-o',
      join(work, 'stubs.o'),
    ],
    [
      '-std=c++17',
      '-O1',
      '-Wall',
      '-Wextra',
      '-Werror',
      ...include,
      '-c',
      join(work, `${base}.server.mig.cc`),
      '-o',
      join(work, 'server-stubs.o'),
    ],
    [
      '-std=c++17',
      '-O1',
      '-Wall',
      '-Wno-unused-parameter',
      ...include,
      join(work, 'driver.cc'),
      join(work, 'stubs.o'),
      join(work, 'server-stubs.o'),
      join(HERE, 'fake_mach.cc'),
      '-o',
      exe,
    ],
  ];
  for (const args of steps) {
    const build = spawnSync('g++', args, { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`driver build failed:\n${build.stderr}`);
  }
  const run = spawnSync(exe, [], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (run.status !== 0)
    throw new Error(`driver failed (${run.status ?? run.signal}):\n${run.stderr}`);
  const lines = run.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CaseLine);
  const results = new Map(vectors.map((v) => [v, [] as string[]]));
  for (const c of cases) {
    const line = lines[c.index];
    const problems = results.get(c.vector)!;
    if (!line) {
      problems.push(`${c.side}: the driver printed nothing for this case`);
      continue;
    }
    const rt = c.vector.routine ? ir.routines.find((r) => r.name === c.vector.routine) : undefined;
    problems.push(
      ...(c.side === 'client'
        ? checkClient(ir, layouts, rt!, c, line)
        : checkServer(ir, rt, c, line)),
    );
  }
  return vectors.map((v) => ({ vector: v, problems: results.get(v)! }));
}

// ---------------------------------------------------------------------------
// Client cases

function checkClient(
  ir: InterfaceIR,
  layouts: InterfaceLayout,
  rt: IrRoutine,
  c: DriverCase,
  line: CaseLine,
): string[] {
  const v = c.vector;
  const problems: string[] = [];
  if (v.kind === 'request') {
    const diff = firstDifference(v.message, fromHex(line.sent));
    if (diff !== null)
      problems.push(
        `client request differs at byte ${diff}:\n  want ${v.message.hex}\n  sent ${line.sent}`,
      );
    return problems;
  }
  const want = v.kind === 'reply' ? 0 : codeOf(v.error);
  if (line.result !== want) problems.push(`client returned ${line.result}, want ${want}`);
  if (v.kind === 'reply')
    problems.push(...compareValues(rt, 'reply', v.values ?? {}, line.outs ?? {}));
  // A receive that fails (MACH_RCV_TOO_LARGE) never hands the stub the message: nothing to destroy.
  const receiveError = (want & 0xffffc000) === 0x10004000;
  if (v.kind === 'badReply' && !receiveError) {
    problems.push(...compareDestroyed(v.message, line, false));
  }
  void ir;
  void layouts;
  return problems;
}

// ---------------------------------------------------------------------------
// Server cases

function checkServer(
  ir: InterfaceIR,
  rt: IrRoutine | undefined,
  c: DriverCase,
  line: CaseLine,
): string[] {
  const v = c.vector;
  const problems: string[] = [];
  switch (v.kind) {
    case 'request':
      if (!line.saw) problems.push('the server routine was not called');
      else problems.push(...compareValues(rt!, 'request', v.values ?? {}, line.saw));
      break;
    case 'reply':
    case 'errorReply': {
      if (line.sends !== 1) problems.push(`server sent ${line.sends} messages, want 1`);
      const diff = firstDifference(v.message, fromHex(line.sent));
      if (diff !== null)
        problems.push(
          `server reply differs at byte ${diff}:\n  want ${v.message.hex}\n  sent ${line.sent}`,
        );
      if (v.kind === 'errorReply')
        problems.push(...compareDestroyed(c.request!.message, line, true));
      break;
    }
    case 'badRequest': {
      if (codeOf(v.error) === 0) {
        // A message that looks bad but passes MIG's checks: served as a good request.
        if (!line.saw) problems.push('the server routine was not called');
        const reply = fromHex(line.sent);
        const view = new DataView(reply.buffer);
        const complex = (view.getUint32(0, true) & 0x80000000) !== 0;
        if (line.sends !== 1) problems.push(`server sent ${line.sends} messages, want 1`);
        else if (!complex && view.getInt32(32, true) !== 0)
          problems.push(`server answered ${view.getInt32(32, true)}, want KERN_SUCCESS`);
        break;
      }
      if (line.saw) problems.push(`the server routine was called with ${JSON.stringify(line.saw)}`);
      const received = receivedForm(messageBytes(v.message));
      const hasReplyPort = new DataView(received.buffer).getUint32(8, true) !== 0;
      if (hasReplyPort) {
        const reply = fromHex(line.sent);
        if (reply.length !== 36) problems.push(`error reply is ${reply.length} bytes, want 36`);
        else {
          const code = new DataView(reply.buffer).getInt32(32, true);
          if (code !== codeOf(v.error))
            problems.push(`server answered ${code}, want ${codeOf(v.error)} (${v.error})`);
        }
      } else if (line.sends !== 0) {
        problems.push(`server replied to a request without a reply port`);
      }
      problems.push(...compareDestroyed(v.message, line, true));
      break;
    }
    default:
      break;
  }
  void ir;
  return problems;
}

// ---------------------------------------------------------------------------
// Values

/** The arguments a message side carries, keyed by name (a decoder prints them under these names). */
function sideArgs(rt: IrRoutine, side: 'request' | 'reply'): IrArgument[] {
  return rt.args.filter((a) => {
    if (a.implicit || a.trailer) return false;
    if (side === 'request')
      return (
        (a.kind === 'in' ||
          a.kind === 'inout' ||
          a.kind === 'requestPort' ||
          a.kind === 'replyPort') &&
        a.requestPlacement !== 'none'
      );
    return (a.kind === 'out' || a.kind === 'inout') && a.replyPlacement !== 'none';
  });
}

function compareValues(
  rt: IrRoutine,
  side: 'request' | 'reply',
  want: Record<string, unknown>,
  got: Record<string, unknown>,
): string[] {
  const problems: string[] = [];
  const byName = (n: string) => rt.args.find((x) => x.name === n);
  for (const a of sideArgs(rt, side)) {
    if (!(a.name in want)) continue;
    const expected = want[a.name];
    const actual = got[a.name];
    const t = a.type;
    if (t.category === 'port' || t.category === 'oolPorts') {
      const ports = Array.isArray(expected) ? (expected as PortValue[]) : [expected as PortValue];
      const names = Array.isArray(actual) ? (actual as number[]) : [actual as number];
      if (JSON.stringify(ports.map((p) => p.name)) !== JSON.stringify(names))
        problems.push(
          `${a.name}: got names ${JSON.stringify(names)}, want ${JSON.stringify(ports.map((p) => p.name))}`,
        );
      const poly = a.polyArg ? byName(a.polyArg) : undefined;
      if (poly && poly.name in got && ports.length) {
        // A receiver sees the received kind of what was sent.
        const wantDisposition = receivedDisposition(ports[0]!.disposition);
        if (got[poly.name] !== wantDisposition)
          problems.push(`${poly.name}: got ${String(got[poly.name])}, want ${wantDisposition}`);
      }
    } else if (t.category === 'ool' && t.descriptorCount > 1) {
      // An array of regions: one hex string per region.
      if (JSON.stringify(actual) !== JSON.stringify(expected))
        problems.push(`${a.name}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
    } else if (t.string) {
      if (actual !== expected)
        problems.push(`${a.name}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
    } else {
      const bytes = fromHex(String(actual ?? ''));
      const value = bytesValue(t, bytes);
      const norm = bytesValue(t, valueBytes(t, expected));
      if (JSON.stringify(value) !== JSON.stringify(norm))
        problems.push(`${a.name}: got ${JSON.stringify(value)}, want ${JSON.stringify(norm)}`);
    }
    const count = a.countArg ? byName(a.countArg) : undefined;
    if (count && count.name in got && !t.string) {
      const n = countOf(t, expected);
      if (got[count.name] !== n)
        problems.push(`${count.name}: got ${String(got[count.name])}, want ${n}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Destruction

const FAKE_PORT_DEALLOCATE = 1;
const FAKE_PORT_MOD_REFS = 2;
const FAKE_VM_DEALLOCATE = 5;

/**
 * What mach_msg_destroy releases for a received message (the reply right
 * excluded when the server moved it into its reply), or null when the
 * message's descriptors do not fit its size (no kernel delivers that).
 */
export function expectedDestroys(
  received: Uint8Array,
  regions: number[],
  oolPorts: number[][],
  replyRightMoved: boolean,
): Array<[number, number, number]> | null {
  const v = new DataView(received.buffer, received.byteOffset, received.byteLength);
  const events: Array<[number, number, number]> = [];
  const port = (name: number, disposition: number) => {
    if (name === 0 || name === 0xffffffff) return;
    if (disposition === 17 || disposition === 18) events.push([FAKE_PORT_DEALLOCATE, name, 0]);
    else if (disposition === 16) events.push([FAKE_PORT_MOD_REFS, name, 2 ** 32 + 0xffffffff]);
  };
  const bits = v.getUint32(0, true);
  const size = v.getUint32(4, true);
  if (!replyRightMoved) port(v.getUint32(8, true), bits & 0x1f);
  if (!(bits & 0x80000000)) return events;
  if (size < 28 || received.length < 28) return null;
  const count = v.getUint32(24, true);
  let at = 28;
  let region = 0;
  let portsArray = 0;
  for (let i = 0; i < count; i++) {
    if (at + 12 > size) return null;
    const type = v.getUint8(at + 11);
    if (type === 0) {
      port(v.getUint32(at, true), v.getUint8(at + 10));
      at += 12;
      continue;
    }
    if (at + 16 > size || type > 2) return null;
    const address = regions[region++];
    const deallocate = v.getUint8(at + 8) !== 0;
    const n = v.getUint32(at + 12, true);
    if (address === undefined) return null;
    if (type === 2) {
      const names = oolPorts[portsArray++];
      if (!names || names.length !== n) return null;
      for (const name of names) port(name, v.getUint8(at + 10));
      if (deallocate && n !== 0) events.push([FAKE_VM_DEALLOCATE, address, n * 4]);
    } else if (deallocate && n !== 0) {
      events.push([FAKE_VM_DEALLOCATE, address, n]);
    }
    at += 16;
  }
  return events;
}

function compareDestroyed(
  message: WireMessage,
  line: CaseLine,
  replyRightMoved: boolean,
): string[] {
  const received = receivedForm(messageBytes(message));
  const expected = expectedDestroys(
    received,
    line.regions,
    message.oolPorts ?? [],
    replyRightMoved,
  );
  if (expected === null) return [];
  const key = (e: [number, number, number]) => `${e[0]}:${e[1]}:${e[2]}`;
  const want = expected.map(key).sort();
  const got = line.events
    .filter(
      (e) =>
        e[0] === FAKE_PORT_DEALLOCATE || e[0] === FAKE_PORT_MOD_REFS || e[0] === FAKE_VM_DEALLOCATE,
    )
    .map(key)
    .sort();
  return JSON.stringify(want) === JSON.stringify(got)
    ? []
    : [`destroyed ${JSON.stringify(got)}, want exactly ${JSON.stringify(want)}`];
}

export type { DriverCase };
void countOf;
