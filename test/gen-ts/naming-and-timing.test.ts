// Small pieces of the TypeScript emitter and its runtime: names (case
// conversion, reserved words, clashes) and how a routine's `.defs` timing
// (WaitTime, SendTime, MsgOption) becomes the call's timeouts.

import { describe, expect, it } from 'vitest';
import { routineTiming } from 'tsmig';
import { msgOptionBits } from '../../generator/emit/ts/client.js';
import { camelCase, NameScope, pascalCase, safeIdentifier } from '../../generator/emit/ts/naming.js';

describe('names', () => {
  it('converts MIG names', () => {
    expect(pascalCase('send_rights')).toBe('SendRights');
    expect(camelCase('send_rights')).toBe('sendRights');
    expect(camelCase('u_first')).toBe('uFirst');
    expect(camelCase('mach_port_allocate')).toBe('machPortAllocate');
    expect(pascalCase('calc')).toBe('Calc');
    expect(camelCase('URL')).toBe('url');
    expect(pascalCase('2fast')).toBe('_2fast');
  });

  it('keeps clear of reserved words and of names already taken', () => {
    expect(safeIdentifier('new')).toBe('new_');
    expect(safeIdentifier('value')).toBe('value');
    const scope = new NameScope(['options']);
    expect(scope.claim('options')).toBe('options2');
    expect(scope.claim('x')).toBe('x');
    expect(scope.claim('x')).toBe('x2');
    expect(scope.claim('delete')).toBe('delete_');
  });
});

describe('timing', () => {
  it('reads the mach_msg options the stubs give a meaning', () => {
    expect(msgOptionBits('MACH_MSG_OPTION_NONE')).toBe(0);
    expect(msgOptionBits('MACH_SEND_TIMEOUT')).toBe(0x10);
    expect(msgOptionBits('MACH_SEND_TIMEOUT|MACH_RCV_TIMEOUT')).toBe(0x110);
    expect(msgOptionBits('MACH_SEND_INTERRUPT | 0x100')).toBe(0x100);
  });

  it('WaitTime bounds the send and the receive; SendTime the send; a timeout option alone means do not wait', () => {
    expect(routineTiming(500, undefined, 0)).toEqual({ sendTimeout: 500, receiveTimeout: 500 });
    expect(routineTiming(undefined, 20, 0)).toEqual({ sendTimeout: 20 });
    expect(routineTiming(undefined, undefined, 0x10)).toEqual({ sendTimeout: 0 });
    expect(routineTiming(undefined, undefined, 0x100)).toEqual({ receiveTimeout: 0 });
    expect(routineTiming(undefined, undefined, 0)).toEqual({});
  });
});
