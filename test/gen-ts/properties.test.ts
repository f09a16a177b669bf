// Properties of the generated TypeScript encoders and decoders, for every
// routine of every test interface (the golden cases, the wire corpus's, the
// cross-process one):
// - any bytes (random, or a valid message with random damage) decode to
//   values or a MIG error code — never an exception of any kind;
// - random valid values encode, and their received form decodes back to the
//   same values (ports as their received kinds).

import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileDefs, type CompileResult } from '../../generator/check/compile.js';
import type { IrArgument, IrRoutine } from '../../generator/check/ir.js';
import { codecOf } from '../../generator/emit/ts/types.js';
import type { MessageLayout, RoutineLayout } from '../../generator/layout/types.js';
import { goldenCases, goldenDir } from '../golden/cases.js';
import { receivedForm, receivedValues, trailerValues, wireDir } from '../wire/format.js';
import { loadCompiledStubs, routineFunctions, type RoutineFunctions } from '../wire/stubs.js';
import { here } from './helpers.js';

interface Subject {
  label: string;
  rt: IrRoutine;
  layout: RoutineLayout;
  fns: RoutineFunctions;
}

const interfaces: [string, string][] = [
  ...goldenCases().map((name): [string, string] => [name, join(goldenDir, name, 'input.defs')]),
  ['wire-calc', join(wireDir, 'defs', 'calc.defs')],
  ['wire-kinds', join(wireDir, 'defs', 'kinds.defs')],
  ['roundtrip', join(here, 'defs', 'roundtrip.defs')],
];

const subjects: Subject[] = [];
for (const [name, file] of interfaces) {
  const compiled: CompileResult = compileDefs({ file });
  const stubs = await loadCompiledStubs(compiled, name.replace(/-/g, '_'));
  compiled.ir.routines.forEach((rt, i) => {
    const layout = compiled.layouts.routines[i];
    if (layout !== null) subjects.push({ label: `${name}.${rt.name}`, rt, layout, fns: routineFunctions(stubs, rt.name) });
  });
}

/** An unbounded array's length in generated values: small enough to keep runs quick. */
const UNBOUNDED_LIMIT = 12;
const RUNS = 60;

function typedArray(cls: string, length: fc.Arbitrary<number>): fc.Arbitrary<ArrayBufferView> {
  const size = (n: number) => ({ minLength: n, maxLength: n });
  // The switch yields one arbitrary type per class; widen them to the common view type.
  return length.chain((n): fc.Arbitrary<ArrayBufferView> => {
    switch (cls) {
      case 'Int8Array':
        return fc.int8Array(size(n));
      case 'Uint8Array':
        return fc.uint8Array(size(n));
      case 'Int16Array':
        return fc.int16Array(size(n));
      case 'Uint16Array':
        return fc.uint16Array(size(n));
      case 'Int32Array':
        return fc.int32Array(size(n));
      case 'Uint32Array':
        return fc.uint32Array(size(n));
      case 'Float32Array':
        return fc.float32Array(size(n));
      case 'Float64Array':
        return fc.float64Array(size(n));
      case 'BigInt64Array':
        return fc.bigInt64Array(size(n));
      case 'BigUint64Array':
        return fc.bigUint64Array(size(n));
      default:
        throw new Error(`no arbitrary for ${cls}`);
    }
  });
}

const portName = fc.integer({ min: 0, max: 0xffffffff });
const anyDisposition = fc.integer({ min: 16, max: 21 });

/** Random valid values for the arguments a message carries. */
function valuesArbitrary(rt: IrRoutine, message: MessageLayout, which: 'request' | 'reply'): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  const fieldOf = (a: IrArgument) => message.fields.find((f) => f.arg === a.name && (f.role === 'data' || f.role === 'descriptor'));
  for (const a of rt.args) {
    const placement = which === 'request' ? a.requestPlacement : a.replyPlacement;
    if (placement === 'none' || placement === 'trailer') continue;
    if (a.kind === 'countInOut') {
      parts[a.name] = fc.integer({ min: 0, max: 0xffffffff });
      continue;
    }
    if (a.kind !== 'in' && a.kind !== 'out' && a.kind !== 'inout' && a.kind !== 'requestPort' && a.kind !== 'replyPort') continue;
    const codec = codecOf(a);
    const field = fieldOf(a);
    switch (codec.kind) {
      case 'scalar': {
        const s = codec.scalar;
        if (s.kind === 'bool') parts[a.name] = fc.boolean();
        else if (s.kind === 'real') parts[a.name] = s.bits === 32 ? fc.float() : fc.double();
        else if (s.kind === 'bigint') parts[a.name] = s.readSigned ? fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) : fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
        else parts[a.name] = s.readSigned ? fc.integer({ min: -(2 ** (s.bits - 1)), max: 2 ** (s.bits - 1) - 1 }) : fc.integer({ min: 0, max: 2 ** s.bits - 1 });
        break;
      }
      case 'cstring': {
        const max = field!.variable ? field!.variable.maxCount : field!.size;
        parts[a.name] = fc
          .string({ unit: fc.constantFrom('a', 'Z', ' ', '/', 'é', '✓', '𝄞'), maxLength: max })
          .filter((text) => new TextEncoder().encode(text).length + 1 <= max);
        break;
      }
      case 'array': {
        const bytes = codec.element.bytes;
        let length: fc.Arbitrary<number>;
        const d = field!.descriptor;
        if (field!.variable) {
          const per = field!.variable.elementSize / bytes;
          length = fc.integer({ min: 0, max: field!.variable.maxCount }).map((n) => n * per);
        } else if (d !== undefined) {
          if (d.oolBytes !== null && d.oolBytes !== undefined) length = fc.constant(d.oolBytes / bytes);
          else {
            const per = (d.bytesPerCount ?? 1) / bytes;
            length = fc.integer({ min: 0, max: Math.min(d.maxCount ?? UNBOUNDED_LIMIT, UNBOUNDED_LIMIT) }).map((n) => n * per);
          }
        } else {
          length = fc.constant(field!.size / bytes);
        }
        parts[a.name] = typedArray(codec.element.cls, length);
        break;
      }
      case 'regions': {
        const d = field!.descriptor!;
        parts[a.name] = fc.array(typedArray(codec.element.cls, fc.constant(d.oolBytes! / codec.element.bytes)), { minLength: d.count, maxLength: d.count });
        break;
      }
      case 'port': {
        const disposition = codec.sendPoly ? anyDisposition : fc.constant(a.type.ipc.sent);
        parts[a.name] = fc.record({ name: portName, disposition });
        break;
      }
      case 'ports': {
        const d = field!.descriptor!;
        const element = a.type.arrayElement ?? a.type;
        const fixed = d.kind === 'oolPorts' ? d.oolPortCount : a.type.variable ? null : d.count;
        const max = fixed ?? Math.min(d.kind === 'port' ? d.count : (d.maxCount ?? UNBOUNDED_LIMIT), UNBOUNDED_LIMIT);
        const disposition = codec.sendPoly ? anyDisposition : fc.constant(element.ipc.sent);
        parts[a.name] = disposition.chain((dispo) =>
          fc.array(portName.map((name) => ({ name, disposition: dispo })), { minLength: fixed ?? 0, maxLength: max }),
        );
        break;
      }
    }
  }
  // A SameCount array takes the length of the array whose count it shares.
  const shared = rt.args.filter((a) => a.sameCountAs !== undefined && (which === 'request' ? a.inRequest : a.inReply) && parts[a.name] !== undefined);
  return fc.record(parts).map((values) => {
    for (const a of shared) {
      const leader = values[a.sameCountAs!] as Int32Array;
      const own = values[a.name] as Int32Array;
      const resized = new (own.constructor as Int32ArrayConstructor)(leader.length);
      resized.set(own.subarray(0, leader.length));
      values[a.name] = resized;
    }
    return values;
  });
}

/** A decoder's result must be values or an integer error code. */
function expectValuesOrCode(result: unknown): void {
  if (typeof result === 'number') expect(Number.isInteger(result)).toBe(true);
  else expect(typeof result === 'object' && result !== null).toBe(true);
}

const randomMessage = fc.record({
  bytes: fc.uint8Array({ minLength: 0, maxLength: 400 }),
  ool: fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 4 }),
  oolPorts: fc.array(fc.uint32Array({ maxLength: 8 }).map((names) => ({ names })), { maxLength: 4 }),
});

/** Damage to a valid message: bytes overwritten, and the message cut or extended (msgh_size possibly kept). */
const damage = fc.record({
  writes: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
  resize: fc.option(fc.integer({ min: -40, max: 40 })),
  fixSize: fc.boolean(),
});

describe('decoders never throw', () => {
  it.each(subjects.map((s) => ({ ...s, name: s.label })))('$name', ({ rt, layout, fns }) => {
    fc.assert(
      fc.property(randomMessage, (message) => {
        expectValuesOrCode(fns.decodeRequest(message));
        if (fns.decodeReply) expectValuesOrCode(fns.decodeReply(message));
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(valuesArbitrary(rt, layout.request, 'request'), damage, (values, hurt) => {
        const encoded = fns.encodeRequest(values, { name: 4615, disposition: 21 });
        let bytes = receivedForm(encoded.bytes);
        for (const [at, value] of hurt.writes) bytes[at % bytes.length] = value;
        if (hurt.resize !== null) {
          const resized = new Uint8Array(Math.max(0, bytes.length + hurt.resize));
          resized.set(bytes.subarray(0, resized.length));
          if (hurt.fixSize && resized.length >= 8) new DataView(resized.buffer).setUint32(4, Math.max(0, resized.length - 52), true);
          bytes = resized;
        }
        expectValuesOrCode(fns.decodeRequest({ bytes, ool: encoded.ool, oolPorts: encoded.oolPorts.map((names) => ({ names })) }));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('random values survive an encode and decode', () => {
  // The runtime receives trailers up to the audit token: a routine reading the context token cannot decode.
  const decodable = subjects.filter((s) => !s.layout.request.trailer.elements.some((e) => e.element === 'context'));
  it.each(decodable.map((s) => ({ ...s, name: s.label })))('$name', ({ rt, layout, fns }) => {
    const encodeOnly = new Set(rt.args.filter((a) => a.kind === 'dealloc').map((a) => a.name));
    const expected = (values: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(receivedValues(values)).filter(([key]) => !encodeOnly.has(key)));
    fc.assert(
      fc.property(valuesArbitrary(rt, layout.request, 'request'), (values) => {
        const encoded = fns.encodeRequest(values, { name: 4615, disposition: 21 });
        const decoded = fns.decodeRequest({ bytes: receivedForm(encoded.bytes), ool: encoded.ool, oolPorts: encoded.oolPorts.map((names) => ({ names })) });
        expect(decoded).toEqual({ ...expected(values), ...trailerValues(layout.request) });
      }),
      { numRuns: RUNS },
    );
    if (layout.reply === null) return;
    fc.assert(
      fc.property(valuesArbitrary(rt, layout.reply, 'reply'), (values) => {
        const encoded = fns.encodeReply!(values, { name: 4615, disposition: 18 });
        const decoded = fns.decodeReply!({ bytes: receivedForm(encoded.bytes), ool: encoded.ool, oolPorts: encoded.oolPorts.map((names) => ({ names })) });
        expect(decoded).toEqual({ ...expected(values), ...trailerValues(layout.reply!) });
      }),
      { numRuns: RUNS },
    );
  });
});
