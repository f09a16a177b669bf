// The grammar, statement by statement: each MIG construct of both dialects
// becomes exactly the AST node generator/parse/ast.ts describes.

import { describe, expect, it } from 'vitest';
import { shapes } from './helpers.js';

const num = (value: number, text = String(value)) => ({ kind: 'number', value, text });
const id = (name: string) => ({ kind: 'ident', name });
const ref = (name: string) => ({ kind: 'typeRef', name: id(name) });

describe('subsystem', () => {
  it('reads name and base', () => {
    expect(shapes('subsystem calc 4000;')).toEqual([
      { kind: 'subsystem', modifiers: [], name: id('calc'), base: num(4000) },
    ]);
  });

  it('keeps KernelUser/KernelServer as written, in order', () => {
    expect(shapes('Subsystem KernelServer kerneluser mach 2000;')).toEqual([
      {
        kind: 'subsystem',
        modifiers: [id('KernelServer'), id('kerneluser')],
        name: id('mach'),
        base: num(2000),
      },
    ]);
  });

  it('takes an integer expression as base', () => {
    expect(shapes('subsystem s 1000+2*3;')).toEqual([
      {
        kind: 'subsystem',
        modifiers: [],
        name: id('s'),
        base: {
          kind: 'binary',
          op: '+',
          left: num(1000),
          right: { kind: 'binary', op: '*', left: num(2), right: num(3) },
        },
      },
    ]);
  });
});

describe('routines', () => {
  it('reads every routine keyword, case-insensitively', () => {
    const kinds = shapes(
      'routine a(); SimpleRoutine b(); PROCEDURE c(); simpleprocedure d(); function e(): int;',
    ).map((s) => (s as { routineKind: string }).routineKind);
    expect(kinds).toEqual(['routine', 'simpleroutine', 'procedure', 'simpleprocedure', 'function']);
  });

  it("keeps GNU's function return type", () => {
    expect(shapes('function f(p: port_t): kern_return_t;')).toEqual([
      {
        kind: 'routine',
        routineKind: 'function',
        name: id('f'),
        args: [
          { kind: 'argument', direction: 'none', name: id('p'), type: ref('port_t'), flags: [] },
        ],
        returns: ref('kern_return_t'),
      },
    ]);
  });

  it('reads every argument direction and normalises it to lower case', () => {
    const directions = [
      'in',
      'out',
      'inout',
      'requestport',
      'replyport',
      'sreplyport',
      'ureplyport',
      'waittime',
      'sendtime',
      'msgoption',
      'msgseqno',
      'sectoken',
      'serversectoken',
      'usersectoken',
      'audittoken',
      'serveraudittoken',
      'useraudittoken',
      'servercontexttoken',
    ];
    const text = `routine r(${directions.map((d, i) => `${d.toUpperCase()} a${i}: t`).join('; ')});`;
    const [routine] = shapes(text) as Array<{ args: Array<{ direction: string }> }>;
    expect(routine.args.map((a) => a.direction)).toEqual(directions);
  });

  it('reads an argument without a direction as direction none', () => {
    const [routine] = shapes('routine r(server: mach_port_t);') as Array<{ args: unknown[] }>;
    expect(routine.args).toEqual([
      {
        kind: 'argument',
        direction: 'none',
        name: id('server'),
        type: ref('mach_port_t'),
        flags: [],
      },
    ]);
  });

  it('takes a direction word followed by ":" as the argument name', () => {
    const [routine] = shapes('routine r(out: int);') as Array<{ args: unknown[] }>;
    expect(routine.args).toEqual([
      { kind: 'argument', direction: 'none', name: id('out'), type: ref('int'), flags: [] },
    ]);
  });

  it('reads every flag, dealloc[] as a variable flag', () => {
    const flags = [
      'dealloc',
      'notdealloc',
      'servercopy',
      'countinout',
      'samecount',
      'retcode',
      'physicalcopy',
      'overwrite',
      'auto',
      'const',
      'islong',
      'isnotlong',
    ];
    const [routine] = shapes(`routine r(a: t, ${flags.join(', ')}, Dealloc[ ]);`) as Array<{
      args: Array<{ flags: unknown[] }>;
    }>;
    expect(routine.args[0].flags).toEqual([
      ...flags.map((flag) => ({ kind: 'flag', flag, variable: false })),
      { kind: 'flag', flag: 'dealloc', variable: true },
    ]);
  });

  it("reads Apple's UserImpl/ServerImpl trailer arguments", () => {
    const [routine] = shapes(
      'routine r(p: port_t; ServerImpl tok: audit_token_t; userimpl u: t);',
    ) as Array<{ args: unknown[] }>;
    expect(routine.args.slice(1)).toEqual([
      {
        kind: 'argument',
        direction: 'none',
        impl: 'serverimpl',
        name: id('tok'),
        type: ref('audit_token_t'),
        flags: [],
      },
      {
        kind: 'argument',
        direction: 'none',
        impl: 'userimpl',
        name: id('u'),
        type: ref('t'),
        flags: [],
      },
    ]);
  });

  it('reads an inline type declaration with annotations in argument position', () => {
    const [routine] = shapes(
      'routine r(out reply: reply_port_t = MACH_MSG_TYPE_MAKE_SEND_ONCE | polymorphic ctype: mach_port_t, dealloc);',
    ) as Array<{ args: unknown[] }>;
    expect(routine.args).toEqual([
      {
        kind: 'argument',
        direction: 'out',
        name: id('reply'),
        type: {
          kind: 'namedType',
          name: id('reply_port_t'),
          spec: {
            kind: 'ipcType',
            sent: { kind: 'ipcName', name: 'MACH_MSG_TYPE_MAKE_SEND_ONCE' },
            received: { kind: 'ipcName', name: 'polymorphic' },
          },
          annotations: [{ kind: 'ctype', ctype: id('mach_port_t') }],
        },
        flags: [{ kind: 'flag', flag: 'dealloc', variable: false }],
      },
    ]);
  });

  it('reads a native type in argument position', () => {
    const [routine] = shapes('routine r(p: port_t; in x: PointerTo(struct foo));') as Array<{
      args: Array<{ type: unknown }>;
    }>;
    expect(routine.args[1].type).toEqual({ kind: 'native', form: 'pointerto', type: 'struct foo' });
  });

  it('reads an empty argument list', () => {
    expect(shapes('simpleroutine r();')).toEqual([
      { kind: 'routine', routineKind: 'simpleroutine', name: id('r'), args: [] },
    ]);
  });
});

describe('skip', () => {
  it("reads skip and GNU's skip N", () => {
    expect(shapes('skip; SKIP 3;')).toEqual([{ kind: 'skip' }, { kind: 'skip', count: num(3) }]);
  });
});

describe('imports', () => {
  it('reads every import kind with both delimiters', () => {
    expect(
      shapes(
        'import <mach/std_types.h>; UImport "u.h"; simport <s.h>; dimport "d.h"; iimport <i.h>;',
      ),
    ).toEqual([
      { kind: 'import', which: 'import', file: 'mach/std_types.h', delimiter: 'angle' },
      { kind: 'import', which: 'uimport', file: 'u.h', delimiter: 'quote' },
      { kind: 'import', which: 'simport', file: 's.h', delimiter: 'angle' },
      { kind: 'import', which: 'dimport', file: 'd.h', delimiter: 'quote' },
      { kind: 'import', which: 'iimport', file: 'i.h', delimiter: 'angle' },
    ]);
  });
});

describe('one-value statements', () => {
  const option = (option: string, keyword: string, value?: unknown) =>
    value === undefined
      ? { kind: 'option', option, keyword: id(keyword) }
      : { kind: 'option', option, keyword: id(keyword), value };

  it('reads names, strings, raw words, numbers and bare keywords', () => {
    expect(
      shapes(`
        ServerPrefix do_; userprefix r_; ServerDemux my_server; error my_error;
        rcsid "$Id: x.defs,v 1.1 $";
        MsgOption MACH_SEND_ALWAYS; WaitTime 1000; SendTime MACH_MSG_TIMEOUT_NONE; ConsumeOnSendError Timeout;
        NoWaitTime; NoSendTime;
        UseSpecialReplyPort 1; UserTypeLimit 64; OnStackLimit 8192;
      `),
    ).toEqual([
      option('serverprefix', 'ServerPrefix', id('do_')),
      option('userprefix', 'userprefix', id('r_')),
      option('serverdemux', 'ServerDemux', id('my_server')),
      option('error', 'error', id('my_error')),
      option('rcsid', 'rcsid', { kind: 'string', value: '$Id: x.defs,v 1.1 $' }),
      option('msgoption', 'MsgOption', { kind: 'raw', text: 'MACH_SEND_ALWAYS' }),
      option('waittime', 'WaitTime', { kind: 'raw', text: '1000' }),
      option('sendtime', 'SendTime', { kind: 'raw', text: 'MACH_MSG_TIMEOUT_NONE' }),
      option('consumeonsenderror', 'ConsumeOnSendError', { kind: 'raw', text: 'Timeout' }),
      option('nowaittime', 'NoWaitTime'),
      option('nosendtime', 'NoSendTime'),
      option('usespecialreplyport', 'UseSpecialReplyPort', num(1)),
      option('usertypelimit', 'UserTypeLimit', num(64)),
      option('onstacklimit', 'OnStackLimit', num(8192)),
    ]);
  });

  it('skips empty statements', () => {
    expect(shapes(';; skip ;;')).toEqual([{ kind: 'skip' }]);
  });
});
