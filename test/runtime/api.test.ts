// The runtime API in one process: MachError, Port ownership (close once,
// dispose, detach/adopt, references), the raw bytes API (a message built by
// hand, not by encodeMessage), encodeMessage's layout checked against Mach's
// documented offsets, and the precise errors bad messages get before the
// addon sees them — which lose no right.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import {
  MACH_MSGH_BITS_COMPLEX,
  MACH_MSG_TYPE_COPY_SEND,
  MACH_MSG_TYPE_MAKE_SEND,
  MACH_MSG_TYPE_MAKE_SEND_ONCE,
  MACH_MSG_TYPE_MOVE_SEND,
  MachError,
  Port,
  PortClosedError,
  allocateOutOfLine,
  allocatePort,
  allocatePortSet,
  encodeMessage,
  machErrorName,
  sendRaw,
} from '../../runtime/lib/index.js';
import { trackLeaks } from './helpers.js';

trackLeaks({ beforeAll, afterAll });

describe('MachError', () => {
  test('names the code and prints it in hex (MIG codes in decimal)', () => {
    const error = new MachError(0x10000003);
    expect(String(error)).toBe('MachError: MACH_SEND_INVALID_DEST (0x10000003)');
    expect(error.codeName).toBe('MACH_SEND_INVALID_DEST');
    expect(String(new MachError(-308))).toBe('MachError: MIG_SERVER_DIED (-308)');
    expect(machErrorName(0x10004004)).toBe('MACH_RCV_TOO_LARGE');
    expect(machErrorName(17)).toBe('KERN_INVALID_RIGHT');
    expect(machErrorName(0x12345)).toBe('UNKNOWN');
  });
});

describe('Port ownership', () => {
  test('close releases exactly once; the name is gone afterwards', () => {
    const port = allocatePort();
    const send = port.makeSendRight();
    expect(send.getReferences('send')).toBe(1);
    send.close();
    send.close();
    expect(send.closed).toBe(true);
    expect(() => send.name).toThrow(PortClosedError);
    expect(port.getReferences('send')).toBe(0);
    port.close();
  });

  test('Symbol.dispose closes', () => {
    const port = allocatePort();
    port[Symbol.dispose]();
    expect(port.closed).toBe(true);
  });

  test('detach hands the reference over; adopt takes it back', () => {
    const port = allocatePort();
    const send = port.makeSendRight();
    const name = send.detach();
    expect(send.closed).toBe(true);
    expect(port.getReferences('send')).toBe(1);
    const again = Port.adopt(name, 'send');
    expect(again.right).toBe('send');
    again.close();
    expect(port.getReferences('send')).toBe(0);
    port.close();
  });

  test('Ports cannot be constructed directly', () => {
    expect(() => new Port({}, 1, 0)).toThrow(/cannot be constructed directly/);
  });

  test('rights made from one port coalesce under its name', () => {
    const port = allocatePort();
    const rights = [port.makeSendRight(), port.makeSendRight()];
    rights.push(rights[0].copySendRight());
    expect(rights.every((r) => r.name === port.name)).toBe(true);
    expect(port.getReferences('send')).toBe(3);
    const once = port.makeSendOnceRight();
    expect(once.name).not.toBe(port.name);
    for (const r of [...rights, once]) r.close();
    port.close();
  });

  test('a port set receives for its members and says which one', async () => {
    const set = allocatePortSet();
    const a = allocatePort();
    const b = allocatePort();
    set.add(a);
    set.add(b);
    await b.send({ id: 9 });
    const message = await set.receive();
    expect(message.id).toBe(9);
    expect(message.receivedOn).toBe(b);
    set.remove(b);
    expect(set.ports).toEqual([a]);
    for (const p of [set, a, b]) p.close();
  });
});

describe('raw messages', () => {
  test('a message built by hand arrives byte for byte, with its right and region', async () => {
    const port = allocatePort();
    const carried = allocatePort();
    const region = allocateOutOfLine(8192);
    region.fill(0xab);
    // Header, body count, one port descriptor, one out-of-line descriptor, 8 inline bytes.
    const bytes = new Uint8Array(24 + 4 + 12 + 16 + 8);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, (MACH_MSG_TYPE_MAKE_SEND | MACH_MSGH_BITS_COMPLEX) >>> 0, true);
    view.setUint32(8, port.name, true);
    view.setInt32(20, 4242, true);
    view.setUint32(24, 2, true);
    view.setUint32(28, carried.name, true);
    bytes[38] = MACH_MSG_TYPE_MAKE_SEND;
    bytes[39] = 0; // port descriptor
    bytes[48] = 1; // deallocate
    bytes[49] = 1; // virtual copy
    bytes[51] = 1; // out-of-line descriptor
    view.setUint32(52, 8192, true);
    bytes.set([1, 2, 3, 4, 5, 6, 7, 8], 56);
    await sendRaw({ bytes, ool: [region] });
    expect(region.byteLength).toBe(0);
    const message = await port.receive();
    expect(message.id).toBe(4242);
    expect(message.size).toBe(bytes.length);
    expect([...message.body]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(message.ports[0]?.name).toBe(carried.name);
    expect(message.ports[0]?.right).toBe('send');
    expect(message.ool[0].length).toBe(8192);
    expect(message.ool[0].every((b) => b === 0xab)).toBe(true);
    message.destroy();
    carried.close();
    port.close();
  });

  test('encodeMessage lays out header, descriptors and body at Mach offsets', () => {
    const port = allocatePort();
    const reply = allocatePort();
    const raw = encodeMessage(port, {
      id: 7,
      replyPort: reply,
      ports: [port],
      ool: [new Uint8Array(5)],
      body: new Uint8Array([9, 9, 9]),
    });
    const view = new DataView(raw.bytes.buffer);
    // 24 header + 4 count + 12 port + 16 ool + 4 (3 body bytes padded)
    expect(raw.bytes.length).toBe(60);
    expect(view.getUint32(0, true)).toBe((MACH_MSG_TYPE_MAKE_SEND | (MACH_MSG_TYPE_MAKE_SEND_ONCE << 8) | MACH_MSGH_BITS_COMPLEX) >>> 0);
    expect(view.getUint32(4, true)).toBe(60);
    expect(view.getUint32(8, true)).toBe(port.name);
    expect(view.getUint32(12, true)).toBe(reply.name);
    expect(view.getInt32(20, true)).toBe(7);
    expect(view.getUint32(24, true)).toBe(2);
    expect(view.getUint32(28, true)).toBe(port.name);
    expect(raw.bytes[38]).toBe(MACH_MSG_TYPE_MAKE_SEND);
    expect(raw.bytes[51]).toBe(1);
    expect(view.getUint32(52, true)).toBe(5);
    expect([...raw.bytes.subarray(56)]).toEqual([9, 9, 9, 0]);
    expect(raw.moved).toBeUndefined();
    port.close();
    reply.close();
  });

  test('bad messages get precise errors and every right stays with its Port', () => {
    const port = allocatePort();
    const send = port.makeSendRight();
    const header = (bits: number, remote: number): Uint8Array => {
      const bytes = new Uint8Array(24);
      new DataView(bytes.buffer).setUint32(0, bits, true);
      new DataView(bytes.buffer).setUint32(8, remote, true);
      return bytes;
    };
    expect(() => sendRaw({ bytes: new Uint8Array(20) })).toThrow(/from the 24-byte header/);
    expect(() => sendRaw({ bytes: header(3, send.name) })).toThrow(/destination disposition .* is 3/);
    expect(() => sendRaw({ bytes: header(MACH_MSG_TYPE_COPY_SEND, send.name), ool: [new Uint8Array(1)] })).toThrow(
      /needs a complex message/,
    );
    expect(() => sendRaw({ bytes: header(MACH_MSG_TYPE_COPY_SEND, send.name), moved: [send] })).toThrow(
      /appears nowhere in the message with the move disposition/,
    );
    const complex = new Uint8Array(24 + 4 + 16);
    const view = new DataView(complex.buffer);
    view.setUint32(0, (MACH_MSG_TYPE_MOVE_SEND | MACH_MSGH_BITS_COMPLEX) >>> 0, true);
    view.setUint32(8, send.name, true);
    view.setUint32(24, 1, true);
    complex[39] = 1; // out-of-line descriptor
    view.setUint32(40, 100, true);
    expect(() => sendRaw({ bytes: complex, ool: [new Uint8Array(99)], moved: [send] })).toThrow(
      /descriptor 0 \(byte 28\) says 100 bytes but message.ool\[0\] has 99/,
    );
    expect(send.closed).toBe(false);
    expect(port.getReferences('send')).toBe(1);
    send.close();
    port.close();
  });

  test('a send to a dead port fails with MACH_SEND_INVALID_DEST and keeps the moved rights', async () => {
    const port = allocatePort();
    const send = port.makeSendRight();
    const other = allocatePort();
    const carried = other.makeSendRight();
    port.close();
    await expect(send.send({ id: 1, ports: [{ port: carried, disposition: 'move-send' }] })).rejects.toMatchObject({
      codeName: 'MACH_SEND_INVALID_DEST',
    });
    expect(carried.closed).toBe(false);
    expect(other.getReferences('send')).toBe(1);
    for (const p of [send, carried, other]) p.close();
  });

  test('receive() on a send right is a TypeError', () => {
    const port = allocatePort();
    const send = port.makeSendRight();
    expect(() => send.receive()).toThrow(/only receive rights and port sets receive/);
    send.close();
    port.close();
  });
});
