// Cross-process rights: every disposition in the header and in descriptors,
// coalescing of rights to one port under one name, user-reference counts, and
// a receive right moved to another process and used there. The child
// (children/agent.mjs, a separate Node process) reports what arrived.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import {
  MACH_MSG_TYPE_PORT_SEND,
  MACH_PORT_TYPE_RECEIVE,
  MACH_PORT_TYPE_SEND,
  MachError,
  allocatePort,
  encodeMessage,
  sendRaw,
  type Port,
} from '../../runtime/lib/index.js';
import { bodyJson, jsonBody, startAgent, trackLeaks, PATIENCE_MS } from './helpers.js';

trackLeaks({ beforeAll, afterAll });

interface Described {
  reply: { right: string; name: number; refs: number } | null;
  ports: ({ right: string; name: number; refs: number } | null)[];
}

describe('dispositions across processes', () => {
  test('header: destination copy-send and move-send; reply make-send-once, make-send, copy-send, move-send, move-send-once', async () => {
    const child = await startAgent('describe');
    const { port: mine, childPort } = child;

    // Destination COPY_SEND keeps our reference.
    await childPort.send({ id: 1 });
    expect((await mine.receive({ timeout: PATIENCE_MS })).id).toBe(101);
    expect(childPort.getReferences('send')).toBe(1);

    // Destination MOVE_SEND consumes the Port that owned the moved reference.
    const extra = childPort.copySendRight();
    expect(childPort.getReferences('send')).toBe(2);
    await sendRaw(encodeMessage({ port: extra, disposition: 'move-send' }, { id: 2 }));
    expect(extra.closed).toBe(true);
    expect(childPort.getReferences('send')).toBe(1);
    expect((await mine.receive({ timeout: PATIENCE_MS })).id).toBe(102);

    // Each reply disposition: the child sees the right kind it must see and answers through it.
    const replyTo = allocatePort();
    const variants = [
      { reply: { port: replyTo, disposition: 'make-send-once' as const }, right: 'send-once' },
      { reply: { port: replyTo, disposition: 'make-send' as const }, right: 'send' },
      { reply: { port: replyTo.makeSendRight(), disposition: 'copy-send' as const }, right: 'send' },
      { reply: { port: replyTo.makeSendRight(), disposition: 'move-send' as const }, right: 'send' },
      { reply: { port: replyTo.makeSendOnceRight(), disposition: 'move-send-once' as const }, right: 'send-once' },
    ];
    let id = 10;
    for (const variant of variants) {
      await childPort.send({ id, replyPort: variant.reply });
      const description = bodyJson<Described>(await mine.receive({ timeout: PATIENCE_MS }));
      expect(description.reply?.right).toBe(variant.right);
      const through = await replyTo.receive({ timeout: PATIENCE_MS });
      expect(through.id).toBe(id + 200);
      if (variant.reply.disposition.startsWith('move')) expect(variant.reply.port.closed).toBe(true);
      if (variant.reply.disposition === 'copy-send') variant.reply.port.close();
      id++;
    }
    expect(replyTo.getType() & MACH_PORT_TYPE_SEND).toBe(0);

    await childPort.send({ id: 1999 });
    await child.finish();
    replyTo.close();
  });

  test('descriptors: all six dispositions arrive as the right kind, coalesce, and come back usable', async () => {
    const child = await startAgent('describe');
    const { port: mine, childPort } = child;
    const a = allocatePort();
    const moved = allocatePort();
    const movedSend = moved.makeSendRight();
    const sendA = a.makeSendRight();

    await childPort.send({
      id: 20,
      ports: [
        { port: moved, disposition: 'move-receive' },
        { port: a.makeSendRight(), disposition: 'move-send' },
        { port: a.makeSendOnceRight(), disposition: 'move-send-once' },
        { port: sendA, disposition: 'copy-send' },
        { port: a, disposition: 'make-send' },
        { port: a, disposition: 'make-send-once' },
      ],
    });
    expect(moved.closed).toBe(true);
    expect(sendA.getReferences('send')).toBe(1);

    const back = await mine.receive({ timeout: PATIENCE_MS });
    const seen = bodyJson<Described>(back).ports;
    expect(seen.map((p) => p?.right)).toEqual(['receive', 'send', 'send-once', 'send', 'send', 'send-once']);
    // The three send rights to `a` coalesced under one name in the child, with three references.
    expect(seen[1]!.name).toBe(seen[3]!.name);
    expect(seen[1]!.name).toBe(seen[4]!.name);
    expect(seen[1]!.refs).toBe(3);
    // Send-once rights never coalesce.
    expect(seen[2]!.name).not.toBe(seen[5]!.name);

    // Back here: the receive right rejoins the name of our send right to it; send rights coalesce with `a`.
    expect(back.ports.map((p) => p?.right)).toEqual(['receive', 'send', 'send-once', 'send', 'send', 'send-once']);
    const [receive, s1, so1, s2, s3, so2] = back.ports as Port[];
    expect(receive.name).toBe(movedSend.name);
    expect(receive.getType() & (MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND)).toBe(MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_SEND);
    for (const s of [s1, s2, s3]) expect(s.name).toBe(a.name);
    expect(a.getReferences('send')).toBe(4);
    expect(so1.name).not.toBe(so2.name);

    // Every right works: messages through each arrive where they should.
    await movedSend.send({ id: 31 });
    expect((await receive.receive({ timeout: PATIENCE_MS })).id).toBe(31);
    for (const [i, right] of [s1, so1, so2].entries()) await right.send({ id: 40 + i });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await a.receive({ timeout: PATIENCE_MS })).id);
    expect(ids).toEqual([40, 41, 42]);
    expect(so1.closed && so2.closed).toBe(true);

    for (const p of [s1, s2, s3, sendA]) p.close();
    expect(a.getReferences('send')).toBe(0);
    await childPort.send({ id: 1999 });
    await child.finish();
    for (const p of [a, receive, movedSend]) p.close();
  });

  test('coalescing: one send right sent twice arrives once under one name with two references', async () => {
    const child = await startAgent('describe');
    const target = allocatePort();
    const send = target.makeSendRight();
    await child.childPort.send({ id: 50, ports: [send, send] });
    const back = await child.port.receive({ timeout: PATIENCE_MS });
    const seen = bodyJson<Described>(back).ports;
    expect(seen[0]!.name).toBe(seen[1]!.name);
    expect(seen[0]!.refs).toBe(2);
    expect(back.ports.every((p) => p?.name === target.name)).toBe(true);
    expect(target.getReferences('send')).toBe(3);
    back.destroy();
    send.close();
    expect(target.getReferences('send')).toBe(0);
    await child.childPort.send({ id: 1999 });
    await child.finish();
    target.close();
  });

  test('a receive right moved to another process receives there what is sent to its send right here', async () => {
    const child = await startAgent('hold-receive');
    const port = allocatePort();
    const send = port.makeSendRight();
    await child.childPort.send({ id: 60, ports: [{ port, disposition: 'move-receive' }] });
    expect(port.closed).toBe(true);
    expect(bodyJson(await child.port.receive({ timeout: PATIENCE_MS }))).toEqual({ right: 'receive' });
    await send.send({ id: 61, body: jsonBody('over there') });
    const report = await child.port.receive({ timeout: PATIENCE_MS });
    expect(bodyJson(report)).toEqual({ id: 61, body: 'over there' });
    await child.finish();
    // The child destroyed the receive right: our send right is a dead name now.
    await expect(send.send({ id: 62 })).rejects.toThrow(MachError);
    await expect(send.send({ id: 62 })).rejects.toMatchObject({ codeName: 'MACH_SEND_INVALID_DEST' });
    send.close();
  });

  test('a port set in another process receives for both its members and says which one got each message', async () => {
    const child = await startAgent('port-set');
    const members = await child.port.receive({ timeout: PATIENCE_MS });
    const [a, b] = members.ports as Port[];
    expect([a.right, b.right]).toEqual(['send', 'send']);
    await b.send({ id: 81 });
    await a.send({ id: 80 });
    const seen = bodyJson<{ id: number; member: string }[]>(await child.port.receive({ timeout: PATIENCE_MS }));
    expect(seen.sort((x, y) => x.id - y.id)).toEqual([
      { id: 80, member: 'a' },
      { id: 81, member: 'b' },
    ]);
    await child.finish();
    a.close();
    b.close();
  });

  test('the received header says what arrived: a copied send right arrives as MACH_MSG_TYPE_PORT_SEND', async () => {
    const child = await startAgent('describe');
    const replyTo = allocatePort();
    await child.childPort.send({ id: 70, replyPort: { port: replyTo, disposition: 'make-send' } });
    await child.port.receive({ timeout: PATIENCE_MS });
    const through = await replyTo.receive({ timeout: PATIENCE_MS });
    // The child sent with COPY_SEND of its send right; we see it as the received kind in msgh_bits.
    expect(through.bits & 0x1f).toBe(0);
    expect((through.bits >>> 8) & 0x1f).toBe(MACH_MSG_TYPE_PORT_SEND);
    await child.childPort.send({ id: 1999 });
    await child.finish();
    replyTo.close();
  });
});
