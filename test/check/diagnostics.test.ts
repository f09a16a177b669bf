// Every semantic diagnostic of the check stage: for each, a small interface
// that provokes it, and the code, message and position it must carry.

import { describe, expect, it } from 'vitest';
import { checkDefs } from '../../generator/check/check.js';
import { CHECK_DIAGNOSTICS } from '../../generator/check/codes.js';
import type { DefsFile } from '../../generator/parse/ast.js';
import { compile, expectClean, expectDiagnostic } from './helpers.js';

/** Codes exercised below; a test at the end checks every documented code is here. */
const tested = new Set<string>();
function expectCode(defs: string, e: Parameters<typeof expectDiagnostic>[1]) {
  tested.add(e.code);
  return expectDiagnostic(defs, e);
}

const S = 'subsystem t 100;\n';

describe('subsystem', () => {
  it('requires a subsystem statement', () => {
    expectCode('routine r(p: mach_port_t);', {
      code: 'check-missing-subsystem',
      message: "no 'subsystem' statement",
      at: '1:1',
    });
  });

  it('warns about a second subsystem statement and names the first', () => {
    const d = expectCode(`${S}subsystem u 200;`, {
      code: 'check-subsystem-redefined',
      message: "the previous one (of 't') is ignored",
      at: '2:1',
      severity: 'warning',
    });
    expect(d.notes?.[0].loc?.line).toBe(1);
  });

  it('warns about a repeated KernelUser', () => {
    expectCode('subsystem KernelUser KernelUser t 1;', {
      code: 'check-duplicate-modifier',
      message: 'duplicate KernelUser',
      at: '1:22',
      severity: 'warning',
    });
  });

  it('rejects an unknown modifier (reachable only from a hand-built AST)', () => {
    tested.add('check-unknown-modifier');
    const loc = { file: 'x.defs', line: 1, column: 11, endLine: 1, endColumn: 14 };
    const ast: DefsFile = {
      kind: 'file',
      loc,
      statements: [
        {
          kind: 'subsystem',
          loc,
          modifiers: [{ kind: 'ident', name: 'Foo', loc }],
          name: { kind: 'ident', name: 't', loc },
          base: { kind: 'number', value: 1, text: '1', loc },
        },
      ],
    };
    const { diagnostics } = checkDefs(ast);
    expect(diagnostics.map((d) => d.code)).toEqual(['check-unknown-modifier']);
  });
});

describe('types', () => {
  it('reports an undefined type where it is used', () => {
    expectCode(`${S}type a = nosuch;`, {
      code: 'check-undefined-type',
      message: "type 'nosuch' is not defined",
      at: '2:10',
    });
  });

  it("notes that GNU's built-in names are not Apple's", () => {
    expectCode(`${S}type a = int;`, {
      code: 'check-undefined-type',
      message: "type 'int' is not defined ('int' is built into GNU's MIG, not Apple's",
      at: '2:10',
      prelude: false,
    });
  });

  it('warns about a redefinition in Apple dialect and points at the first', () => {
    const d = expectCode(`${S}type a = int;\ntype a = char;`, {
      code: 'check-type-redefined',
      message: "overriding previous definition of type 'a'",
      at: '3:6',
      severity: 'warning',
    });
    expect(d.notes?.[0]).toMatchObject({
      message: 'previous definition is here',
      loc: { line: 2, column: 6 },
    });
  });

  it('rejects a redefinition in GNU dialect, including a GNU built-in', () => {
    expectCode(`${S}type int = char;`, {
      code: 'check-type-redefined',
      message: "'int' (a GNU MIG built-in)",
      at: '2:6',
      dialect: 'gnu',
    });
  });

  it('rejects IPC pairs of different sizes', () => {
    expectCode(`${S}type a = MACH_MSG_TYPE_INTEGER_16 | MACH_MSG_TYPE_INTEGER_32;`, {
      code: 'check-ipc-size-mismatch',
      message: 'different sizes (16 and 32 bits)',
      at: '2:10',
    });
  });

  it('rejects an IPC type without a size', () => {
    expectCode(`${S}type a = MACH_MSG_TYPE_UNSTRUCTURED;`, {
      code: 'check-needs-size',
      message: 'MACH_MSG_TYPE_UNSTRUCTURED has no size',
      at: '2:10',
    });
  });

  it('rejects an unknown IPC type name', () => {
    expectCode(`${S}type a = MACH_MSG_TYPE_INTEGER_128;`, {
      code: 'check-unknown-ipc-type',
      message: "unknown IPC type 'MACH_MSG_TYPE_INTEGER_128'",
      at: '2:10',
    });
  });

  it('rejects arrays of variable arrays', () => {
    expectCode(`${S}type v = array[*:4] of int;\ntype a = array[3] of v;`, {
      code: 'check-type-too-complicated',
      message: 'too complicated',
      at: '3:10',
    });
  });

  it("rejects '^' on out-of-line data", () => {
    expectCode(`${S}type a = ^pointer_t;`, {
      code: 'check-already-ool',
      message: 'already out-of-line',
      at: '2:10',
    });
  });

  it('warns about conflicting C types', () => {
    expectCode(`${S}type a = int ctype: x_t cusertype: y_t;`, {
      code: 'check-type-conflict',
      message: 'conflicting user types (x_t, y_t)',
      at: '2:25',
      severity: 'warning',
    });
  });

  it('rejects translations of variable arrays', () => {
    expectCode(`${S}type a = array[*:4] of int intran: b_t f(a);`, {
      code: 'check-var-array-translation',
      message: "variable-sized arrays can't have translation functions",
      at: '2:6',
    });
  });

  it('warns about a type of size 0', () => {
    expectCode(`${S}type a = array[0] of int;`, {
      code: 'check-zero-size',
      message: 'size 0',
      at: '2:10',
      severity: 'warning',
    });
  });

  it('rejects names where a number is needed', () => {
    expectCode(`${S}type a = array[N] of int;`, {
      code: 'check-not-a-number',
      message: "'N' is not a number",
      at: '2:16',
    });
  });

  it('warns about expressions beyond what MIG evaluates', () => {
    expectCode(`${S}type a = array[1 << 4] of int;`, {
      code: 'check-expression-extension',
      message: "'<<' is not part of MIG's integer expressions",
      at: '2:16',
      severity: 'warning',
    });
    expectCode(`${S}type a = array[0x10] of int;`, {
      code: 'check-expression-extension',
      message: 'a hexadecimal number',
      at: '2:16',
      severity: 'warning',
    });
  });

  it('rejects negative sizes and division by zero', () => {
    expectCode(`${S}type a = array[2-3] of int;`, {
      code: 'check-bad-number',
      message: 'not -1',
      at: '2:16',
    });
    expectCode(`${S}type a = array[2/0] of int;`, {
      code: 'check-bad-number',
      message: 'division by zero',
      at: '2:16',
    });
  });
});

describe('dialects', () => {
  it('says GNU-only syntax has no Apple layout', () => {
    expectCode(`${S}type a = (MACH_MSG_TYPE_INTEGER_32, 32);`, {
      code: 'check-gnu-only',
      message:
        "long-form type declaration '(type, bits)' is GNU MIG syntax: Apple's MIG rejects it and gives it no message layout",
      at: '2:10',
    });
    expectCode(`${S}type a = struct { int x; };`, {
      code: 'check-gnu-only',
      message: "'struct { … }' is GNU MIG syntax",
      at: '2:10',
    });
    expectCode(`${S}skip 3;`, {
      code: 'check-gnu-only',
      message: "'skip N' is GNU MIG syntax",
      at: '2:1',
    });
  });

  it('accepts the same syntax with --dialect gnu', () => {
    const c = expectClean(
      `${S}type a = (MACH_MSG_TYPE_STRING_C, 8*16);\ntype s = struct { int x; char y; };\nskip 3;`,
      {
        dialect: 'gnu',
      },
    );
    expect(c.ir.idCount).toBe(3);
  });

  it('warns that long-form flags mean nothing in Apple layouts', () => {
    expectCode(`${S}type a = (MACH_MSG_TYPE_INTEGER_32, 32, dealloc);`, {
      code: 'check-gnu-flag-ignored',
      message: "'dealloc' in a long-form type has no meaning",
      at: '2:41',
      severity: 'warning',
      dialect: 'gnu',
    });
  });

  it('reports Apple-only syntax in GNU dialect', () => {
    expectCode(`${S}UseSpecialReplyPort 1;`, {
      code: 'check-apple-only',
      message: "'UseSpecialReplyPort' is Apple MIG syntax that GNU's MIG rejects",
      at: '2:1',
      dialect: 'gnu',
    });
  });

  it('needs the subsystem before any type in GNU dialect', () => {
    expectCode('type a = int;\nsubsystem t 1;', {
      code: 'check-gnu-subsystem-first',
      message: 'before the subsystem statement',
      at: '1:10',
      dialect: 'gnu',
      prelude: false,
    });
  });
});

describe('routines', () => {
  it('rejects a routine declared twice', () => {
    const d = expectCode(`${S}routine r(p: mach_port_t);\nroutine r(p: mach_port_t);`, {
      code: 'check-duplicate-routine',
      message: "routine 'r' is already declared",
      at: '3:9',
    });
    expect(d.notes?.[0].loc?.line).toBe(2);
  });

  it('rejects obsolete routine kinds', () => {
    expectCode(`${S}procedure r(p: mach_port_t);`, {
      code: 'check-obsolete-routine-kind',
      message: "'procedure' is an obsolete MIG routine kind",
      at: '2:1',
    });
  });

  it('rejects a routine without a request port', () => {
    expectCode(`${S}routine r(in x: int);`, {
      code: 'check-no-request-port',
      message: "routine 'r' has no request",
      at: '2:9',
    });
  });

  it('rejects a request port that is not a send right', () => {
    expectCode(`${S}routine r(p: int);`, {
      code: 'check-bad-request-port',
      message: "'p' isn't a proper request port",
      at: '2:11',
    });
    expectCode(`${S}routine r(p: mach_port_move_receive_t);`, {
      code: 'check-bad-request-port',
      message: 'proper request port',
      at: '2:11',
    });
  });

  it('rejects a reply port that is not a send right', () => {
    expectCode(`${S}routine r(p: mach_port_t; replyport q: int);`, {
      code: 'check-bad-reply-port',
      message: "'q' isn't a proper reply port",
      at: '2:27',
    });
  });

  it('warns about two request ports and names the one ignored', () => {
    expectCode(`${S}routine r(p: mach_port_t; requestport q: mach_port_t);`, {
      code: 'check-multiple-request-port',
      message: "more than one request port; 'p' is not used",
      at: '2:27',
      severity: 'warning',
    });
  });

  it('warns about two reply ports, timeouts and message options', () => {
    const two = (kind: string, type: string) =>
      `${S}routine r(p: mach_port_t; ${kind} a: ${type}; ${kind} b: ${type});`;
    expectCode(two('replyport', 'mach_port_make_send_once_t'), {
      code: 'check-multiple-reply-port',
      message: "'a' is not used",
      at: '2:68',
      severity: 'warning',
    });
    expectCode(two('waittime', 'natural_t'), {
      code: 'check-multiple-timeout',
      message: "'a' is not used",
      at: '2:50',
      severity: 'warning',
    });
    expectCode(two('msgoption', 'integer_t'), {
      code: 'check-multiple-msgoption',
      message: "'a' is not used",
      at: '2:51',
      severity: 'warning',
    });
  });

  it('rejects a waittime that is not a 32-bit integer', () => {
    expectCode(`${S}routine r(p: mach_port_t; waittime w: int64_t);`, {
      code: 'check-bad-integer',
      message: "'w' isn't a proper 32-bit integer",
      at: '2:27',
    });
  });

  it('rejects inout inline variable arrays', () => {
    expectCode(`${S}type v = array[*:8] of int;\nroutine r(p: mach_port_t; inout x: v);`, {
      code: 'check-inout-variable',
      message: "inline variable-sized array can't be inout",
      at: '3:27',
    });
  });

  it('rejects outs in a simpleroutine, including trailer tokens the client would read', () => {
    expectCode(`${S}simpleroutine r(p: mach_port_t; out x: int);`, {
      code: 'check-oneway-out',
      message: "simpleroutine 'r' has an argument returned to the caller ('x')",
      at: '2:33',
    });
    expectCode(`${S}simpleroutine r(p: mach_port_t; UserAuditToken t: audit_token_t);`, {
      code: 'check-oneway-out',
      message: "('t')",
      at: '2:33',
    });
  });

  it('rejects two arguments with one name, including implicit ones', () => {
    expectCode(`${S}routine r(p: mach_port_t; x: int; x: int);`, {
      code: 'check-duplicate-argument',
      message: "two arguments named 'x'",
      at: '2:35',
    });
    expectCode(`${S}routine r(p: mach_port_t; d: pointer_t; dCnt: int);`, {
      code: 'check-duplicate-argument',
      message: "named 'dCnt'",
      at: '2:41',
    });
  });

  it('rejects generic ServerImpl/UserImpl arguments', () => {
    expectCode(`${S}routine r(p: mach_port_t; ServerImpl x: int);`, {
      code: 'check-impl-unsupported',
      message: "'ServerImpl' arguments name no trailer field",
      at: '2:27',
    });
  });

  it('rejects trailer arguments in kernel interfaces', () => {
    expectCode(
      'subsystem KernelServer t 1;\nroutine r(p: mach_port_t; msgseqno s: mach_port_seqno_t);',
      {
        code: 'check-trailer-kernel',
        message: 'not supported in KernelUser and KernelServer',
        at: '2:27',
      },
    );
  });

  it('warns when a trailer argument has the wrong size', () => {
    expectCode(`${S}routine r(p: mach_port_t; ServerAuditToken a: security_token_t);`, {
      code: 'check-trailer-type',
      message: 'a 32-byte trailer element',
      at: '2:27',
      severity: 'warning',
    });
  });

  it('rejects retcode outside simpleroutines', () => {
    expectCode(`${S}routine r(p: mach_port_t; x: kern_return_t, retcode);`, {
      code: 'check-retcode-routine',
      message: 'retcode is allowed only in a simpleroutine',
      at: '2:27',
    });
  });

  it('checks native C types', () => {
    expectCode(`${S}routine r(p: mach_port_t; out x: ValueOf(foo_t));`, {
      code: 'check-native-direction',
      message: "ValueOf is only valid for an 'in' argument",
      at: '2:27',
    });
    expectCode(`${S}routine r(p: mach_port_t; in x: PointerTo(foo_t));`, {
      code: 'check-native-unsupported',
      message: "tsmig can't lay out the message",
      at: '2:27',
    });
  });

  it('rejects arrays of variable out-of-line arrays', () => {
    expectCode(`${S}type a = array[] of pointer_t;`, {
      code: 'check-type-too-complicated',
      message: 'for descriptors',
      at: '2:10',
    });
    expectCode(`${S}type b = array[4] of ^array[*:8] of int;\nroutine r(p: mach_port_t; x: b);`, {
      code: 'check-unsupported',
      message: 'per-element counts',
      at: '3:27',
    });
    expectCode(`${S}type c = array[*:4] of ^array[8] of char;\nroutine r(p: mach_port_t; x: c);`, {
      code: 'check-unsupported',
      message: 'whose number or sizes vary',
      at: '3:27',
    });
  });

  it('rejects SameCount arrays of different bounds', () => {
    expectCode(
      `${S}type a = array[*:4] of int;\ntype b = array[*:8] of int;\nroutine r(p: mach_port_t; x: a; y: b, samecount);`,
      {
        code: 'check-count-bound',
        message: "shares the count of 'x' (samecount) but their bounds differ (8 and 4)",
        at: '4:33',
      },
    );
  });

  it('rejects overwrite in KernelUser interfaces and special reply ports in kernel interfaces', () => {
    expectCode(
      'subsystem KernelUser t 1;\nroutine r(p: mach_port_t; out x: pointer_t, overwrite);',
      {
        code: 'check-overwrite-kerneluser',
        message: 'overwrite arguments are not supported',
        at: '2:27',
      },
    );
    expectCode(
      'subsystem KernelServer t 1;\nUseSpecialReplyPort 1;\nroutine r(p: mach_port_t);\nroutine q(p: mach_port_t);',
      {
        code: 'check-special-reply-kernel',
        message: 'UseSpecialReplyPort cannot be used',
        at: '2:1',
      },
    );
    const { diagnostics } = compile(
      'subsystem KernelServer t 1;\nUseSpecialReplyPort 1;\nroutine r(p: mach_port_t);\nroutine q(p: mach_port_t);',
    );
    expect(diagnostics.filter((d) => d.code === 'check-special-reply-kernel')).toHaveLength(1);
  });

  it('warns about a timeout without ConsumeOnSendError (Apple only)', () => {
    expectCode(`${S}WaitTime 100;\nroutine r(p: mach_port_t);`, {
      code: 'check-timeout-may-leak',
      message: "routine 'r' has a SendTime/WaitTime, which may leak",
      at: '3:9',
      severity: 'warning',
    });
    expectClean(`${S}WaitTime 100;\nConsumeOnSendError Timeout;\nroutine r(p: mach_port_t);`);
  });

  it('warns when a translated type lacks its translation function', () => {
    expectCode(
      `${S}type a = int cservertype: s_t destructor: d(t_t);\nroutine r(p: mach_port_t; x: a);`,
      {
        code: 'check-missing-translation',
        message: "'x': argument has no in-translation function",
        at: '3:27',
        severity: 'warning',
      },
    );
  });
});

describe('flags', () => {
  it('warns about meaningless dealloc', () => {
    expectCode(`${S}routine r(p: mach_port_t; x: int, dealloc);`, {
      code: 'check-dealloc-ignored',
      message: 'dealloc is meaningless for inline data',
      at: '2:27',
      severity: 'warning',
    });
  });

  it('warns about redundant and misplaced flags', () => {
    expectCode(`${S}routine r(p: mach_port_t; x: pointer_t, dealloc, dealloc);`, {
      code: 'check-flag-redundant',
      message: "redundant IPC flag 'dealloc'",
      at: '2:50',
      severity: 'warning',
    });
    expectCode(`${S}routine r(p: mach_port_t; out x: int, countinout);`, {
      code: 'check-flag-ignored',
      message: "countinout is ignored, the argument isn't a variable inline array",
      at: '2:27',
      severity: 'warning',
    });
  });
});

describe('options', () => {
  it('rejects bad option values', () => {
    expectCode(`${S}ConsumeOnSendError Sometimes;`, {
      code: 'check-bad-option-value',
      message: 'ConsumeOnSendError takes None, Timeout or Any',
      at: '2:20',
    });
  });

  it('warns about a second RCSId', () => {
    expectCode(`${S}RCSId "a";\nRCSId "b";`, {
      code: 'check-rcsid-redefined',
      message: 'previous one is ignored',
      at: '3:1',
      severity: 'warning',
    });
  });
});

describe('robustness', () => {
  it('accepts an argument type form only a hand-built AST can hold, with an error', () => {
    tested.add('check-argument-type-form');
    const loc = { file: 'x.defs', line: 1, column: 1, endLine: 1, endColumn: 2 };
    const ident = (name: string) => ({ kind: 'ident' as const, name, loc });
    const file: DefsFile = {
      kind: 'file',
      loc,
      statements: [
        {
          kind: 'subsystem',
          loc,
          modifiers: [],
          name: ident('t'),
          base: { kind: 'number', value: 1, text: '1', loc },
        },
        {
          kind: 'routine',
          loc,
          routineKind: 'routine',
          name: ident('r'),
          args: [
            {
              kind: 'argument',
              loc,
              direction: 'none',
              name: ident('p'),
              type: {
                kind: 'ipcType',
                loc,
                sent: { kind: 'ipcName', name: 'MACH_MSG_TYPE_COPY_SEND', loc },
              },
              flags: [],
            },
          ],
        },
      ],
    };
    const { diagnostics, ir } = checkDefs(file);
    expect(diagnostics.map((d) => d.code)).toEqual(['check-argument-type-form']);
    expect(ir.routines[0].invalid).toBe(true);
  });

  it('documents every code the checker emits, and this file tests each', () => {
    const documented = Object.keys(CHECK_DIAGNOSTICS).filter((c) => c !== 'check-internal-error');
    expect(documented.filter((c) => !tested.has(c))).toEqual([]);
  });
});

describe('catalogue', () => {
  it('lists every code the checker sources emit, and nothing else', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../../generator/check/', import.meta.url);
    const used = new Set<string>();
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && n !== 'codes.ts')) {
      for (const m of readFileSync(new URL(f, dir), 'utf8').matchAll(/'(check-[a-z-]+)'/g))
        used.add(m[1]);
    }
    expect([...used].sort()).toEqual(Object.keys(CHECK_DIAGNOSTICS).sort());
  });
});
