// Message layouts worked out by hand from Apple's rules (24-byte header,
// 4-byte body, 12/16-byte descriptors, 8-byte NDR, 4-byte RetCode, pack(4),
// small scalars padded to 4, variable arrays at their maximum).

import { describe, expect, it } from 'vitest';
import { expectClean, fieldsOf, routine } from '../check/helpers.js';

const S = 'subsystem s 1000;\n';

describe('simple messages', () => {
  it('lays out (port; int a; out int b) as a 36-byte request and a 40-byte reply', () => {
    const { layout } = routine(
      expectClean(`${S}routine add(p: mach_port_t; a: int; out b: int);`),
      'add',
    );
    expect(fieldsOf(layout.request)).toEqual(['Head@0:24', 'NDR@24:8', 'a@32:4']);
    expect(fieldsOf(layout.reply!)).toEqual(['Head@0:24', 'NDR@24:8', 'RetCode@32:4', 'b@36:4']);
    expect([layout.request.minSize, layout.request.maxSize, layout.reply!.maxSize]).toEqual([
      36, 36, 40,
    ]);
    expect([layout.request.struct, layout.request.id, layout.reply!.id]).toEqual([
      '__Request__add_t',
      1000,
      1100,
    ]);
  });

  it('omits the NDR record from a request with no data, keeps RetCode in the reply', () => {
    const { layout } = routine(expectClean(`${S}routine ping(p: mach_port_t);`), 'ping');
    expect(fieldsOf(layout.request)).toEqual(['Head@0:24']);
    expect(fieldsOf(layout.reply!)).toEqual(['Head@0:24', 'NDR@24:8', 'RetCode@32:4']);
  });

  it('pads 1- and 2-byte values to 4 and packs 8-byte values at 4', () => {
    const { layout } = routine(
      expectClean(`${S}routine r(p: mach_port_t; c: char; h: short; q: int64_t; b: boolean_t);`),
      'r',
    );
    expect(fieldsOf(layout.request)).toEqual([
      'Head@0:24',
      'NDR@24:8',
      'c@32:1',
      'cPad@33:3',
      'h@36:2',
      'hPad@38:2',
      'q@40:8',
      'b@48:4',
    ]);
  });

  it('has no reply for a simpleroutine', () => {
    const { layout } = routine(expectClean(`${S}simpleroutine r(p: mach_port_t; x: int);`), 'r');
    expect(layout.reply).toBeNull();
    expect(layout.requestHeader.local).toEqual({ arg: null, disposition: null });
  });
});

describe('complex messages', () => {
  it('puts descriptors after the body and drops NDR when only ports follow', () => {
    const { layout } = routine(
      expectClean(
        `${S}routine r(p: mach_port_t; x: mach_port_move_send_t; out y: mach_port_make_send_t);`,
      ),
      'r',
    );
    expect(fieldsOf(layout.request)).toEqual(['Head@0:24', 'msgh_body@24:4', 'x@28:12']);
    expect(fieldsOf(layout.reply!)).toEqual(['Head@0:24', 'msgh_body@24:4', 'y@28:12']);
    expect([layout.request.complex, layout.request.descriptorCount, layout.reply!.complex]).toEqual(
      [true, 1, true],
    );
    expect(layout.request.fields[2].descriptor).toMatchObject({
      kind: 'port',
      disposition: { sent: 17, received: 17 },
    });
    expect(layout.reply!.fields[2].descriptor!.disposition).toMatchObject({
      sent: 20,
      sentName: 'MACH_MSG_TYPE_MAKE_SEND',
      received: 17,
    });
  });

  it('keeps NDR before inline data that follows descriptors (like mach_port_insert_right)', () => {
    const { layout } = routine(
      expectClean(
        `${S}routine r(task: mach_port_t; name: mach_port_name_t; poly: mach_port_poly_t);`,
      ),
      'r',
    );
    expect(fieldsOf(layout.request)).toEqual([
      'Head@0:24',
      'msgh_body@24:4',
      'poly@28:12',
      'NDR@40:8',
      'name@48:4',
    ]);
    expect(layout.request.fields[2].descriptor!.polyArg).toBe('polyPoly');
  });

  it('sends out-of-line data with a 16-byte descriptor and its count in the body', () => {
    const { layout } = routine(
      expectClean(`${S}routine r(p: mach_port_t; d: pointer_t; out e: pointer_t);`),
      'r',
    );
    expect(fieldsOf(layout.request)).toEqual([
      'Head@0:24',
      'msgh_body@24:4',
      'd@28:16',
      'NDR@44:8',
      'dCnt@52:4',
    ]);
    expect(fieldsOf(layout.reply!)).toEqual([
      'Head@0:24',
      'msgh_body@24:4',
      'e@28:16',
      'NDR@44:8',
      'eCnt@52:4',
    ]);
    expect(layout.request.fields[2].descriptor).toMatchObject({
      kind: 'ool',
      oolBytes: null,
      countArg: 'dCnt',
      bytesPerCount: 1,
    });
  });

  it('declares arrays of ports as arrays of descriptors', () => {
    const { layout } = routine(
      expectClean(
        `${S}type ports_t = array[3] of mach_port_t;\nroutine r(p: mach_port_t; x: ports_t; y: mach_port_array_t);`,
      ),
      'r',
    );
    expect(fieldsOf(layout.request)).toEqual([
      'Head@0:24',
      'msgh_body@24:4',
      'x@28:36',
      'y@64:16',
      'NDR@80:8',
      'yCnt@88:4',
    ]);
    expect(layout.request.fields[2]).toMatchObject({
      cType: 'mach_msg_port_descriptor_t',
      arrayLength: 3,
    });
    expect(layout.request.fields[3]).toMatchObject({ cType: 'mach_msg_ool_ports_descriptor_t' });
    expect(layout.request.descriptorCount).toBe(4);
  });
});

describe('variable inline data', () => {
  it('declares the array at its maximum after its count, and moves later fields', () => {
    const { layout } = routine(
      expectClean(
        `${S}type bytes_t = array[*:10] of char;\nroutine r(p: mach_port_t; x: bytes_t; y: int);`,
      ),
      'r',
    );
    expect(fieldsOf(layout.request)).toEqual([
      'Head@0:24',
      'NDR@24:8',
      'xCnt@32:4',
      'x@36:10',
      'xPad@46:2',
      'y@48:4',
    ]);
    expect([layout.request.minSize, layout.request.maxSize]).toEqual([40, 52]);
    const y = layout.request.fields.find((f) => f.name === 'y')!;
    expect(y.shiftedBy).toEqual(['x']);
    expect(layout.request.fields.find((f) => f.name === 'x')!.variable).toEqual({
      countField: 'xCnt',
      elementSize: 1,
      maxCount: 10,
      maxBytes: 12,
      string: false,
    });
  });

  it('gives a variable C string an offset field and a count', () => {
    const { layout } = routine(
      expectClean(`${S}type name_t = c_string[*:7];\nroutine r(p: mach_port_t; n: name_t);`),
      'r',
    );
    expect(fieldsOf(layout.request)).toEqual([
      'Head@0:24',
      'NDR@24:8',
      'nOffset@32:4',
      'nCnt@36:4',
      'n@40:7',
      'nPad@47:1',
    ]);
    expect([layout.request.minSize, layout.request.maxSize]).toEqual([40, 48]);
  });

  it('shares one count between SameCount arrays', () => {
    const { layout } = routine(
      expectClean(
        `${S}type v = array[*:4] of int;\nroutine r(p: mach_port_t; a: v; b: v, samecount);`,
      ),
      'r',
    );
    expect(fieldsOf(layout.request)).toEqual([
      'Head@0:24',
      'NDR@24:8',
      'aCnt@32:4',
      'a@36:16',
      'b@52:16',
    ]);
    expect(layout.request.fields[4].variable!.countField).toBe('aCnt');
    expect(layout.request.minSize).toBe(36);
  });

  it('sends a CountInOut count in the request', () => {
    const { layout } = routine(
      expectClean(
        `${S}type v = array[*:4] of int;\nroutine r(p: mach_port_t; out a: v, CountInOut);`,
      ),
      'r',
    );
    expect(fieldsOf(layout.request)).toEqual(['Head@0:24', 'NDR@24:8', 'aCnt@32:4']);
    expect(fieldsOf(layout.reply!)).toEqual([
      'Head@0:24',
      'NDR@24:8',
      'RetCode@32:4',
      'aCnt@36:4',
      'a@40:16',
    ]);
  });
});

describe('trailers and checks', () => {
  it('asks for the trailer elements the server reads', () => {
    const { layout } = routine(
      expectClean(
        `${S}routine r(p: mach_port_t; msgseqno n: mach_port_seqno_t; ServerAuditToken a: audit_token_t);`,
      ),
      'r',
    );
    expect(layout.request.trailer).toEqual({
      elements: [
        { element: 'seqno', arg: 'n', offset: 8, size: 4 },
        { element: 'audit', arg: 'a', offset: 20, size: 32 },
      ],
      rcvElements: 3,
      size: 52,
    });
    expect(layout.reply!.trailer).toEqual({ elements: [], rcvElements: 0, size: 8 });
  });

  it("lists MIG's server checks for a request, in order", () => {
    const { layout } = routine(
      expectClean(`${S}type v = array[*:8] of int;\ntype name_t = c_string[*:16];
routine r(p: mach_port_t; x: mach_port_move_send_t; d: pointer_t; a: v; n: name_t);`),
      'r',
    );
    const checks = layout.request.checks.map((c) => c.check);
    expect(checks).toEqual([
      'complexBit',
      'descriptorCount',
      'sizeRange',
      'descriptorType',
      'disposition',
      'descriptorType',
      'countBound',
      'countBound',
      'sizeMatchesCounts',
      'oolSizeMatchesCount',
      'cStringTerminated',
    ]);
    expect(layout.request.checks[4]).toMatchObject({
      field: 'x',
      accepted: [17],
      error: 'MIG_TYPE_ERROR',
    });
    // Head 24, body 4, x 12, d 16, NDR 8, dCnt 4, aCnt 4, a ≤ 32, nOffset 4, nCnt 4, n ≤ 16.
    expect(layout.request.checks[2]).toMatchObject({
      min: 80,
      max: 128,
      error: 'MIG_BAD_ARGUMENTS',
    });
  });

  it('checks the size of out-of-line data against its count in replies too, after the inline sizes', () => {
    const { layout } = routine(
      expectClean(`${S}type v = array[*:8] of int;\nroutine r(p: mach_port_t; out d: pointer_t; out a: v);`),
      'r',
    );
    const checks = layout.reply!.checks.map((c) => c.check);
    expect(checks.slice(checks.indexOf('sizeMatchesCounts'))).toEqual(['sizeMatchesCounts', 'oolSizeMatchesCount']);
    expect(layout.reply!.checks.at(-1)).toEqual({
      check: 'oolSizeMatchesCount',
      field: 'd',
      countField: 'dCnt',
      bytesPerCount: 1,
      error: 'MIG_TYPE_ERROR',
    });
  });

  it("lists the client's reply checks, starting with the reply id", () => {
    const { layout } = routine(expectClean(`${S}routine r(p: mach_port_t; out x: int);`), 'r');
    expect(layout.reply!.checks.slice(0, 5)).toEqual([
      {
        check: 'replyId',
        expected: 1100,
        serverDiedId: 71,
        error: 'MIG_REPLY_MISMATCH',
        serverDiedError: 'MIG_SERVER_DIED',
      },
      expect.objectContaining({ check: 'errorReply', size: 36 }),
      { check: 'complexBit', complex: false, error: 'MIG_TYPE_ERROR' },
      { check: 'size', exact: 40, error: 'MIG_TYPE_ERROR' },
      { check: 'replyPortNull', error: 'MIG_TYPE_ERROR' },
    ]);
  });
});
