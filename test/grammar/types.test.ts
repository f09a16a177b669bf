// The grammar's type specs, annotations and integer expressions.

import { describe, expect, it } from 'vitest';
import { shapes } from './helpers.js';

const num = (value: number, text = String(value)) => ({ kind: 'number', value, text });
const id = (name: string) => ({ kind: 'ident', name });
const ref = (name: string) => ({ kind: 'typeRef', name: id(name) });
const ipc = (name: string) => ({ kind: 'ipcType', sent: { kind: 'ipcName', name } });

/** The spec of `type t = <spec>;`. */
function spec(text: string): unknown {
  const [statement] = shapes(`type t = ${text};`) as Array<{ decl: { spec: unknown } }>;
  return statement.decl.spec;
}

describe('type specs', () => {
  it('reads a type name', () => {
    expect(spec('natural_t')).toEqual(ref('natural_t'));
  });

  it('reads every MACH_MSG_TYPE name of both dialects, case-sensitively', () => {
    const names = [
      'UNSTRUCTURED',
      'BIT',
      'BOOLEAN',
      'INTEGER_8',
      'INTEGER_16',
      'INTEGER_32',
      'INTEGER_64',
      'INTEGER_128',
      'REAL',
      'REAL_32',
      'REAL_64',
      'CHAR',
      'BYTE',
      'STRING',
      'STRING_C',
      'MOVE_RECEIVE',
      'COPY_SEND',
      'MAKE_SEND',
      'MOVE_SEND',
      'MAKE_SEND_ONCE',
      'MOVE_SEND_ONCE',
      'PORT_NAME',
      'PORT_RECEIVE',
      'PORT_SEND',
      'PORT_SEND_ONCE',
      'POLYMORPHIC',
    ].map((n) => `MACH_MSG_TYPE_${n}`);
    for (const name of names) expect(spec(name)).toEqual(ipc(name));
    // Anything else, or another spelling, is a type name for the checker to look up.
    expect(spec('MACH_MSG_TYPE_INTEGER_33')).toEqual(ref('MACH_MSG_TYPE_INTEGER_33'));
    expect(spec('mach_msg_type_integer_32')).toEqual(ref('mach_msg_type_integer_32'));
  });

  it('reads polymorphic in any case, a number, and the A | B form', () => {
    expect(spec('Polymorphic')).toEqual(ipc('polymorphic'));
    expect(spec('17')).toEqual({ kind: 'ipcType', sent: { kind: 'ipcName', number: num(17) } });
    expect(spec('MACH_MSG_TYPE_MOVE_SEND | MACH_MSG_TYPE_PORT_SEND')).toEqual({
      kind: 'ipcType',
      sent: { kind: 'ipcName', name: 'MACH_MSG_TYPE_MOVE_SEND' },
      received: { kind: 'ipcName', name: 'MACH_MSG_TYPE_PORT_SEND' },
    });
  });

  it("reads GNU's long form with and without flags", () => {
    expect(spec('(MACH_MSG_TYPE_STRING_C, 8*256)')).toEqual({
      kind: 'longForm',
      ipc: ipc('MACH_MSG_TYPE_STRING_C'),
      size: { kind: 'binary', op: '*', left: num(8), right: num(256) },
      flags: [],
    });
    expect(spec('(MACH_MSG_TYPE_INTEGER_32, 32, dealloc[])')).toEqual({
      kind: 'longForm',
      ipc: ipc('MACH_MSG_TYPE_INTEGER_32'),
      size: num(32),
      flags: [{ kind: 'flag', flag: 'dealloc', variable: true }],
    });
  });

  it('reads the four array bounds', () => {
    expect(spec('array[16] of char')).toEqual({
      kind: 'array',
      bound: { kind: 'fixed', size: num(16) },
      element: ref('char'),
    });
    expect(spec('array[*:1024] of int')).toEqual({
      kind: 'array',
      bound: { kind: 'bounded', max: num(1024) },
      element: ref('int'),
    });
    expect(spec('array[] of int')).toEqual({
      kind: 'array',
      bound: { kind: 'unbounded' },
      element: ref('int'),
    });
    expect(spec('ARRAY [ * ] OF int')).toEqual({
      kind: 'array',
      bound: { kind: 'unbounded' },
      element: ref('int'),
    });
  });

  it('nests prefixes outermost first', () => {
    expect(spec('^array[] of struct[2] of array[*:4] of int')).toEqual({
      kind: 'pointer',
      target: {
        kind: 'array',
        bound: { kind: 'unbounded' },
        element: {
          kind: 'structArray',
          count: num(2),
          element: { kind: 'array', bound: { kind: 'bounded', max: num(4) }, element: ref('int') },
        },
      },
    });
  });

  it('reads c_string in both forms', () => {
    expect(spec('c_string[1024]')).toEqual({ kind: 'cstring', variable: false, size: num(1024) });
    expect(spec('C_String[*:512]')).toEqual({ kind: 'cstring', variable: true, size: num(512) });
  });

  it("reads GNU's struct { … }", () => {
    expect(spec('struct { vm_size_t total; vm_size_t free; }')).toEqual({
      kind: 'gnuStruct',
      fields: [
        { type: ref('vm_size_t'), name: id('total') },
        { type: ref('vm_size_t'), name: id('free') },
      ],
    });
  });

  it("reads Apple's native types", () => {
    expect(spec('PointerTo(char)')).toEqual({ kind: 'native', form: 'pointerto', type: 'char' });
    expect(spec('PointerToIfNot(struct foo, NULL)')).toEqual({
      kind: 'native',
      form: 'pointertoifnot',
      type: 'struct foo',
      badValue: 'NULL',
    });
    expect(spec('ValueOf(unsigned long)')).toEqual({
      kind: 'native',
      form: 'valueof',
      type: 'unsigned long',
    });
  });
});

describe('annotations', () => {
  it('reads each annotation, in order', () => {
    const [statement] = shapes(`
      type task_t = mach_port_t
        ctype: mach_port_t cusertype: task_user_t cservertype: task_server_t
        intran: task_t convert_port_to_task(mach_port_t)
        outtran: mach_port_t convert_task_to_port(task_t)
        destructor: task_deallocate(task_t)
        intranpayload: task_t task_from_payload;
    `) as Array<{ decl: unknown }>;
    expect(statement.decl).toEqual({
      kind: 'namedType',
      name: id('task_t'),
      spec: ref('mach_port_t'),
      annotations: [
        { kind: 'ctype', ctype: id('mach_port_t') },
        { kind: 'cusertype', ctype: id('task_user_t') },
        { kind: 'cservertype', ctype: id('task_server_t') },
        {
          kind: 'intran',
          transType: id('task_t'),
          func: id('convert_port_to_task'),
          serverType: id('mach_port_t'),
        },
        {
          kind: 'outtran',
          serverType: id('mach_port_t'),
          func: id('convert_task_to_port'),
          transType: id('task_t'),
        },
        { kind: 'destructor', func: id('task_deallocate'), transType: id('task_t') },
        { kind: 'intranpayload', transType: id('task_t'), func: id('task_from_payload') },
      ],
    });
  });
});

describe('integer expressions', () => {
  const bound = (text: string) =>
    (spec(`array[${text}] of int`) as { bound: { size: unknown } }).bound.size;
  const bin = (op: string, left: unknown, right: unknown) => ({ kind: 'binary', op, left, right });

  it("follows C's precedence and left associativity", () => {
    expect(bound('1+2*3')).toEqual(bin('+', num(1), bin('*', num(2), num(3))));
    expect(bound('(1+2)*3')).toEqual(bin('*', bin('+', num(1), num(2)), num(3)));
    expect(bound('8-2-1')).toEqual(bin('-', bin('-', num(8), num(2)), num(1)));
    expect(bound('1<<4|2&3^4')).toEqual(
      bin('|', bin('<<', num(1), num(4)), bin('^', bin('&', num(2), num(3)), num(4))),
    );
    expect(bound('7%4/2')).toEqual(bin('/', bin('%', num(7), num(4)), num(2)));
  });

  it('reads unary operators and names', () => {
    expect(bound('-~+N')).toEqual({
      kind: 'unary',
      op: '-',
      operand: {
        kind: 'unary',
        op: '~',
        operand: { kind: 'unary', op: '+', operand: { kind: 'name', name: 'N' } },
      },
    });
  });

  it('reads hex, and leading zeros as decimal (as MIG does)', () => {
    expect(bound('0x1F')).toEqual(num(31, '0x1F'));
    expect(bound('010')).toEqual(num(10, '010'));
  });
});
