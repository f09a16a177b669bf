// The IR the checker builds: ids, MIG's defaults, implicit arguments,
// types resolved through aliases, options in force per routine. Expected
// values follow MIG's documented rules, worked out by hand.

import { describe, expect, it } from 'vitest';
import type { IrArgument } from '../../generator/check/ir.js';
import { expectClean } from './helpers.js';

const args = (list: readonly IrArgument[]) => list.map((a) => `${a.kind}:${a.name}`);

describe('message ids', () => {
  it('counts routines and skips from the subsystem base; replies are +100', () => {
    const c = expectClean(`
      subsystem calc 4000;
      routine a(p: mach_port_t);
      skip;
      simpleroutine b(p: mach_port_t);
      routine c(p: mach_port_t);`);
    expect(c.ir.routines.map((r) => [r.name, r.number, r.id, r.replyId])).toEqual([
      ['a', 0, 4000, 4100],
      ['b', 2, 4002, 4102],
      ['c', 3, 4003, 4103],
    ]);
    expect(c.ir.idCount).toBe(4);
  });

  it("uses GNU's skip N and the final subsystem base", () => {
    const c = expectClean(
      'subsystem s 10;\nroutine a(p: mach_port_t);\nskip 5;\nroutine b(p: mach_port_t);',
      { dialect: 'gnu' },
    );
    expect(c.ir.routines.map((r) => r.id)).toEqual([10, 16]);
  });
});

describe('arguments', () => {
  it('makes the first argument without a direction the request port, the rest in', () => {
    const c = expectClean(
      'subsystem s 1;\nroutine r(p: mach_port_t; a: int; out b: int; inout c: int);',
    );
    const rt = c.ir.routines[0];
    expect(args(rt.args)).toEqual(['requestPort:p', 'in:a', 'out:b', 'inout:c']);
    expect(rt.requestPort).toBe('p');
    expect(rt.args[0]).toMatchObject({
      msgField: 'Head.msgh_request_port',
      requestPlacement: 'header',
      replyPlacement: 'none',
    });
    expect(rt.args[2]).toMatchObject({
      inRequest: false,
      inReply: true,
      byReferenceUser: true,
      byReferenceServer: true,
    });
  });

  it('gives routines a send-once reply port and simpleroutines none', () => {
    const c = expectClean(
      'subsystem s 1;\nroutine r(p: mach_port_t);\nsimpleroutine q(p: mach_port_t);',
    );
    expect(c.ir.routines[0].replyPort).toEqual({
      kind: 'default',
      disposition: 'MACH_MSG_TYPE_MAKE_SEND_ONCE',
    });
    expect(c.ir.routines[1].replyPort).toEqual({ kind: 'default', disposition: 'none' });
  });

  it('adds counts for variable arrays, inline or out-of-line, right after them', () => {
    const c = expectClean(`subsystem s 1;
      type v = array[*:16] of int;
      routine r(p: mach_port_t; a: v; b: pointer_t; out d: mach_port_array_t);`);
    const rt = c.ir.routines[0];
    expect(args(rt.args)).toEqual([
      'requestPort:p',
      'in:a',
      'count:aCnt',
      'in:b',
      'count:bCnt',
      'out:d',
      'count:dCnt',
    ]);
    const byName = new Map(rt.args.map((a) => [a.name, a]));
    expect(byName.get('a')).toMatchObject({ countArg: 'aCnt', requestPlacement: 'body' });
    expect(byName.get('aCnt')).toMatchObject({
      implicit: true,
      parent: 'a',
      multiplier: 1,
      requestPlacement: 'body',
      userParameter: true,
    });
    expect(byName.get('b')).toMatchObject({ descriptor: 'ool', requestPlacement: 'descriptor' });
    expect(byName.get('dCnt')).toMatchObject({
      inReply: true,
      replyPlacement: 'body',
      byReferenceUser: true,
    });
  });

  it('orders implicit arguments as MIG does: poly, countInOut, count, dealloc', () => {
    const c = expectClean(`subsystem s 1;
      type v = array[*:8] of int;
      routine r(p: mach_port_t; x: mach_port_poly_t; y: pointer_t, dealloc[]; out z: v, CountInOut);`);
    expect(args(c.ir.routines[0].args)).toEqual([
      'requestPort:p',
      'in:x',
      'poly:xPoly',
      'in:y',
      'count:yCnt',
      'dealloc:yDealloc',
      'out:z',
      'countInOut:zCnt',
      'count:zCnt',
    ]);
    const y = c.ir.routines[0].args[3];
    expect(y.dealloc).toBe('maybe');
    expect(y.deallocArg).toBe('yDealloc');
  });

  it('gives a C string a count that is no parameter on either side', () => {
    const c = expectClean(
      'subsystem s 1;\ntype name_t = c_string[*:64];\nroutine r(p: mach_port_t; n: name_t);',
    );
    const cnt = c.ir.routines[0].args.find((a) => a.name === 'nCnt')!;
    expect(cnt).toMatchObject({
      kind: 'count',
      userParameter: false,
      serverParameter: false,
      inRequest: true,
      requestPlacement: 'body',
    });
  });

  it('lets SameCount share the previous array count', () => {
    const c = expectClean(`subsystem s 1;
      type v = array[*:8] of int;
      routine r(p: mach_port_t; a: v; b: v, samecount);`);
    const rt = c.ir.routines[0];
    expect(args(rt.args)).toEqual([
      'requestPort:p',
      'in:a',
      'count:aCnt',
      'in:b',
      'sameCount:aCnt',
    ]);
    expect(rt.args[3].sameCountAs).toBe('a');
    expect(rt.args[4]).toMatchObject({ userParameter: false, requestPlacement: 'none' });
  });

  it('marks the request and reply dispositions of a polymorphic port', () => {
    const c = expectClean(
      'subsystem s 1;\nroutine r(p: mach_port_t; x: mach_port_poly_t; out y: mach_port_poly_t);',
    );
    const byName = new Map(c.ir.routines[0].args.map((a) => [a.name, a]));
    expect(byName.get('xPoly')).toMatchObject({
      parent: 'x',
      userParameter: true,
      serverParameter: true,
      requestPlacement: 'descriptor',
    });
    expect(byName.get('yPoly')).toMatchObject({
      userParameter: true,
      serverParameter: true,
      replyPlacement: 'descriptor',
    });
    expect(byName.get('x')!.type.polymorphic).toBe('both');
  });

  it('reads trailer arguments from the trailer on the right side', () => {
    const c = expectClean(`subsystem s 1;
      routine r(p: mach_port_t; msgseqno n: mach_port_seqno_t; ServerAuditToken a: audit_token_t; UserSecToken u: security_token_t);`);
    const rt = c.ir.routines[0];
    expect(rt.serverTrailer).toEqual(['seqno', 'audit']);
    expect(rt.userTrailer).toEqual(['sender']);
    expect(rt.args.find((a) => a.name === 'a')).toMatchObject({
      trailer: 'audit',
      trailerSide: 'server',
      msgField: 'msgh_audit',
      requestPlacement: 'trailer',
      userParameter: false,
    });
  });
});

describe('options in force per routine', () => {
  it('applies prefixes, WaitTime and MsgOption to the routines after them', () => {
    const c = expectClean(`subsystem s 1;
      routine a(p: mach_port_t);
      UserPrefix u_;
      ServerPrefix s_;
      WaitTime 250;
      ConsumeOnSendError Timeout;
      MsgOption MACH_SEND_NOTIFY;
      routine b(p: mach_port_t);
      NoWaitTime;
      MsgOption MACH_MSG_OPTION_NONE;
      routine c(p: mach_port_t);`);
    const [a, b, cc] = c.ir.routines;
    expect([a.userName, a.serverName, a.timeout, a.msgOption]).toEqual([
      'a',
      'a',
      null,
      { text: 'MACH_MSG_OPTION_NONE' },
    ]);
    expect([b.userName, b.serverName, b.timeout, b.msgOption, b.consumeOnSendError]).toEqual([
      'u_b',
      's_b',
      { kind: 'waitTime', text: '250' },
      { text: 'MACH_SEND_NOTIFY' },
      'timeout',
    ]);
    expect([cc.timeout, cc.msgOption]).toEqual([null, { text: 'MACH_MSG_OPTION_NONE' }]);
    expect(c.ir.serverSubsystem).toBe('s_s_subsystem');
    expect(c.ir.serverDemux).toBe('s_server');
  });

  it('records imports with their delimiters, and RCSId', () => {
    const c = expectClean('subsystem s 1;\nimport <a/b.h>;\nuimport "c.h";\nRCSId "$Id$";');
    expect(c.ir.imports.map((i) => [i.which, i.file])).toEqual([
      ['import', '<a/b.h>'],
      ['uimport', '"c.h"'],
    ]);
    expect(c.ir.rcsId).toBe('$Id$');
  });
});

describe('types', () => {
  it('resolves aliases and keeps the chain', () => {
    const c = expectClean(
      'subsystem s 1;\ntype my_t = natural_t;\nroutine r(p: mach_port_t; x: my_t);',
    );
    const t = c.ir.routines[0].args[1].type;
    expect(t.name).toBe('my_t');
    expect(t.aliasChain).toEqual(['natural_t', 'uint32_t']);
    expect(t.signedness).toBe('unsigned');
    expect(t.ipc).toMatchObject({ sent: 2, sentName: 'MACH_MSG_TYPE_INTEGER_32', bits: 32 });
    expect([t.cUserType, t.cServerType]).toEqual(['my_t', 'my_t']);
  });

  it('records sent and received port dispositions', () => {
    const c = expectClean('subsystem s 1;\nroutine r(p: mach_port_t; x: mach_port_make_send_t);');
    const t = c.ir.routines[0].args[1].type;
    expect(t).toMatchObject({ category: 'port', descriptorCount: 1, cUserType: 'mach_port_t' });
    expect(t.ipc).toMatchObject({
      sent: 20,
      sentName: 'MACH_MSG_TYPE_MAKE_SEND',
      received: 17,
      receivedName: 'MACH_MSG_TYPE_PORT_SEND',
    });
  });

  it('computes sizes, padding and descriptors of each array kind', () => {
    const c = expectClean(`subsystem s 1;
      type fixed_t = array[3] of short;
      type bounded_t = array[*:10] of char;
      type ool_t = ^array[*:100] of int;
      type ports_t = array[4] of mach_port_t;
      type str_t = c_string[*:7];
      type st_t = struct[3] of int64_t;`);
    const t = new Map(c.ir.types.map((x) => [x.name, x]));
    expect(t.get('fixed_t')).toMatchObject({
      category: 'inline',
      byteSize: 6,
      padBytes: 2,
      variable: false,
      elementCount: 3,
    });
    expect(t.get('bounded_t')).toMatchObject({
      category: 'inline',
      byteSize: 10,
      padBytes: 2,
      variable: true,
      arrayLength: 10,
    });
    expect(t.get('ool_t')).toMatchObject({
      category: 'ool',
      descriptorCount: 1,
      variable: true,
      oolMaxCount: 100,
      arrayLength: 100,
    });
    expect(t.get('ports_t')).toMatchObject({
      category: 'port',
      descriptorCount: 4,
      arrayLength: 4,
    });
    expect(t.get('str_t')).toMatchObject({
      category: 'inline',
      string: true,
      variable: true,
      byteSize: 7,
      padBytes: 1,
    });
    expect(t.get('st_t')).toMatchObject({
      byValue: true,
      byteSize: 24,
      padBytes: 0,
      elementCount: 3,
    });
    expect(t.get('st_t')!.shape).toMatchObject({ kind: 'struct', length: 3 });
  });

  it('does not inherit C types or translations through an alias (MIG resets them)', () => {
    const c = expectClean('subsystem s 1;\ntype a = int ctype: a_c_t;\ntype b = a;');
    const b = c.ir.types.find((x) => x.name === 'b')!;
    expect([b.cUserType, b.cServerType]).toEqual(['b', 'b']);
  });

  it('lays GNU structs out as GNU MIG does', () => {
    const c = expectClean(
      'subsystem s 1;\ntype s1 = struct { short a; char b; };\ntype s3 = struct { char a; int64_t b; char c; };',
      {
        dialect: 'gnu',
      },
    );
    const t = new Map(c.ir.types.map((x) => [x.name, x]));
    // GNU MIG sends these as 2 × INTEGER_16 and 4 × INTEGER_32 (checked against x86_64-gnu-mig output).
    expect(t.get('s1')).toMatchObject({ elementCount: 2, byteSize: 4, ipc: { bits: 16 } });
    expect(t.get('s3')).toMatchObject({ elementCount: 4, byteSize: 16, ipc: { bits: 32 } });
  });
});

describe('the IR is plain data', () => {
  it('is frozen and survives a JSON round trip unchanged', () => {
    const c = expectClean(`subsystem s 1;
      type v = array[*:8] of int;
      routine r(p: mach_port_t; a: v; b: pointer_t; out c: mach_port_poly_t);`);
    expect(Object.isFrozen(c.ir)).toBe(true);
    expect(Object.isFrozen(c.ir.routines[0].args[1].type)).toBe(true);
    expect(JSON.parse(JSON.stringify(c.ir))).toEqual(c.ir);
  });
});
