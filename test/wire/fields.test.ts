// The hand-derived vectors against the layout, independently of any
// encoder: every member of the message layout is written exactly once, at
// the offset the layout gives (moved back by the unused bytes of the
// variable arrays before it, from the counts the vector itself writes), with
// the layout's size (a variable array's data: its count's worth, then pad),
// and msgh_size is the length of the whole. An error reply is checked
// against mig_reply_error_t.

import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_FIELDS, HEADER_FIELDS, MACH_SIZES, type MessageLayout } from '../../generator/layout/types.js';
import { assembleFields, type PlacedField } from './fields.js';
import { loadCorpora, masked, messageOf, toHex, type Corpus, type VectorJson } from './format.js';

/** mig_reply_error_t as a layout: header, NDR, RetCode. */
const ERROR_REPLY: Pick<MessageLayout, 'fields'> = {
  fields: [
    { name: 'Head', offset: 0, size: MACH_SIZES.header, role: 'header', cType: 'mach_msg_header_t', shiftedBy: [] },
    { name: 'NDR', offset: 24, size: MACH_SIZES.ndr, role: 'ndr', cType: 'NDR_record_t', shiftedBy: [] },
    { name: 'RetCode', offset: 32, size: MACH_SIZES.retCode, role: 'retCode', cType: 'kern_return_t', shiftedBy: [] },
  ],
};

function round4(n: number): number {
  return (n + 3) & ~3;
}

/** Where the layout says each member of a vector's message goes, given the vector's own counts. */
function expectedPlacements(
  layout: Pick<MessageLayout, 'fields'>,
  placed: PlacedField[],
  strings: Set<string>,
): Map<string, { offset: number; size: number; atMost: boolean }> {
  const value = (name: string): number => {
    const f = placed.find((p) => p.name === name);
    if (f === undefined) throw new Error(`the vector has no ${name}`);
    return Number(f.value);
  };
  const unused = new Map<string, number>();
  for (const f of layout.fields) {
    if (f.variable) unused.set(f.name, f.variable.maxBytes - round4(value(f.variable.countField) * f.variable.elementSize));
  }
  const expected = new Map<string, { offset: number; size: number; atMost: boolean }>();
  for (const f of layout.fields) {
    const offset = f.offset - f.shiftedBy.reduce((sum, name) => sum + unused.get(name)!, 0);
    if (f.role === 'pad') continue;
    if (f.role === 'header') {
      for (const m of HEADER_FIELDS) expected.set(`Head.${m.name}`, { offset: offset + m.offset, size: m.size, atMost: false });
    } else if (f.descriptor) {
      const members = DESCRIPTOR_FIELDS[f.descriptor.kind];
      const each = f.size / f.descriptor.count;
      for (let i = 0; i < f.descriptor.count; i++) {
        const prefix = f.descriptor.count > 1 ? `${f.name}[${i}]` : f.name;
        for (const m of members) expected.set(`${prefix}.${m.name}`, { offset: offset + each * i + m.offset, size: m.size, atMost: false });
      }
    } else if (f.variable) {
      expected.set(f.name, { offset, size: value(f.variable.countField) * f.variable.elementSize, atMost: false });
    } else {
      // A fixed c_string may stop at its NUL; the rest of its buffer is then written as pad.
      expected.set(f.name, { offset, size: f.size, atMost: strings.has(f.name) });
    }
  }
  return expected;
}

function layoutOf(corpus: Corpus, vector: VectorJson): { layout: Pick<MessageLayout, 'fields'>; strings: Set<string> } {
  if (vector.kind === 'errorReply' || vector.routine === undefined) return { layout: ERROR_REPLY, strings: new Set() };
  const { rt, layout } = corpus.routine(vector.routine);
  const strings = new Set(rt.args.filter((a) => a.type.string).map((a) => a.msgField));
  return { layout: vector.kind === 'request' ? layout.request : layout.reply!, strings };
}

const handVectors = loadCorpora().flatMap((corpus) =>
  corpus.json.vectors
    .filter((v) => v.message.fields !== undefined && (v.kind === 'request' || v.kind === 'reply' || v.kind === 'errorReply'))
    .map((v) => ({ corpus, vector: v, label: `${corpus.json.interface}: ${v.name}` })),
);

describe('hand-derived vectors match the layout', () => {
  it('has hand-derived vectors', () => {
    expect(handVectors.length).toBeGreaterThan(10);
  });

  it.each(handVectors)('$label', ({ corpus, vector }) => {
    const { bytes, placed } = assembleFields(vector.message.fields!);
    const { layout, strings } = layoutOf(corpus, vector);
    const expected = expectedPlacements(layout, placed, strings);
    const named = placed.filter((p) => p.name !== 'pad');
    // Every member once, in place.
    expect(named.map((p) => p.name).sort()).toEqual([...expected.keys()].sort());
    for (const p of named) {
      const e = expected.get(p.name)!;
      expect(p.offset, `${p.name} offset`).toBe(e.offset);
      if (e.atMost) expect(p.size, `${p.name} size`).toBeLessThanOrEqual(e.size);
      else expect(p.size, `${p.name} size`).toBe(e.size);
    }
    // Padding only between members: after a member, up to where the next one starts.
    for (const p of placed.filter((x) => x.name === 'pad')) {
      expect(p.size, 'pad bytes').toBeLessThan(8);
    }
    const size = Number(placed.find((p) => p.name === 'Head.msgh_size')!.value);
    expect(size).toBe(bytes.length);
    expect(size % 4).toBe(0);
  });
});

describe("hand-derived vectors agree with Apple's captures of the same values", () => {
  const pairs = loadCorpora().flatMap((corpus) =>
    corpus.json.vectors
      .filter((v) => v.provenance.source === 'apple-mig' && v.name.endsWith('.apple'))
      .map((apple) => ({ corpus, apple, label: `${corpus.json.interface}: ${apple.name}` })),
  );
  const hand = new Map(
    loadCorpora().flatMap((corpus) => corpus.json.vectors.filter((v) => v.provenance.source === 'hand').map((v) => [`${corpus.json.interface}:${v.name}`, { corpus, v }] as const)),
  );

  it('has pairs', () => {
    expect(pairs.length).toBeGreaterThan(10);
  });

  it.each(pairs)('$label', ({ corpus, apple }) => {
    const mine = hand.get(`${corpus.json.interface}:${apple.name.replace(/\.apple$/, '')}`);
    expect(mine, 'a hand vector of the same name').toBeDefined();
    expect(mine!.v.kind).toBe(apple.kind);
    expect(apple.values).toEqual(mine!.v.values);
    const a = messageOf(corpus, apple);
    const h = messageOf(mine!.corpus, mine!.v);
    const dontCare = [...a.dontCare, ...h.dontCare];
    expect(toHex(masked(a.bytes, dontCare))).toBe(toHex(masked(h.bytes, dontCare)));
    expect(a.ool.map(toHex)).toEqual(h.ool.map(toHex));
  });
});
