// Notifications across processes, as events on the notification port:
// dead-name (the child holding the receive right exits), no-senders (the
// child drops the last send right), send-once (the child destroys a
// send-once right unused), port-destroyed (the child destroys a receive
// right that carries a port-destroyed request: the right comes back here),
// and port-deleted (a name with a dead-name request is deallocated here).
// A notification that never comes fails the test at vitest's test timeout.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { MACH_PORT_TYPE_DEAD_NAME, allocatePort, type Notification } from '../../runtime/lib/index.js';
import { PATIENCE_MS, startAgent, trackLeaks } from './helpers.js';

trackLeaks({ beforeAll, afterAll });

describe('notifications as events', () => {
  test('dead-name: the child exits, its send right here dies and the event names it', async () => {
    const child = await startAgent('exit-on-request');
    const notify = allocatePort();
    const dead = new Promise<Notification>((resolve) => notify.once('dead-name', resolve));
    expect(child.childPort.requestNotification('dead-name', notify)).toBeNull();
    await child.childPort.send({ id: 1 });
    const notification = await dead;
    expect(notification).toMatchObject({ kind: 'dead-name', name: child.childPort.name });
    expect(child.childPort.getType() & MACH_PORT_TYPE_DEAD_NAME).toBe(MACH_PORT_TYPE_DEAD_NAME);
    // The reference the notification carried was released after the listener: only ours is left.
    expect(child.childPort.getReferences('dead-name')).toBe(1);
    await expect(child.childPort.send({ id: 2 })).rejects.toMatchObject({ codeName: 'MACH_SEND_INVALID_DEST' });
    await child.finish();
    notify.close();
  });

  test('no-senders: the child destroys the only send right; the port hears it', async () => {
    const child = await startAgent('drop-rights');
    const port = allocatePort();
    // With a sender alive the request waits (with none it would fire at once, as Mach's does).
    const send = port.makeSendRight();
    const noSenders = new Promise<Notification>((resolve) => port.once('no-senders', resolve));
    port.requestNotification('no-senders', port);
    await child.childPort.send({ id: 1, ports: [{ port: send, disposition: 'move-send' }] });
    await child.port.receive({ timeout: PATIENCE_MS });
    expect(await noSenders).toMatchObject({ kind: 'no-senders', makeSendCount: 1 });
    await child.childPort.send({ id: 1999 });
    await child.finish();
    port.close();
  });

  test('no-senders requested with no sender alive fires at once, with the make-send count so far', async () => {
    const port = allocatePort();
    const noSenders = new Promise<Notification>((resolve) => port.once('no-senders', resolve));
    port.requestNotification('no-senders', port);
    expect(await noSenders).toEqual({ kind: 'no-senders', makeSendCount: 0 });
    port.close();
  });

  test('send-once: a send-once right destroyed unused in the child notifies its port here', async () => {
    const child = await startAgent('drop-rights');
    const port = allocatePort();
    const sendOnce = new Promise<Notification>((resolve) => port.once('send-once', resolve));
    await child.childPort.send({ id: 1, ports: [{ port, disposition: 'make-send-once' }] });
    expect(await sendOnce).toEqual({ kind: 'send-once' });
    await child.port.receive({ timeout: PATIENCE_MS });
    await child.childPort.send({ id: 1999 });
    await child.finish();
    port.close();
  });

  test('port-destroyed: a receive right destroyed in the child comes back to the notification port', async () => {
    const child = await startAgent('drop-rights');
    const notify = allocatePort();
    const port = allocatePort();
    const send = port.makeSendRight();
    port.requestNotification('port-destroyed', notify);
    const destroyed = new Promise<Notification>((resolve) => notify.once('port-destroyed', resolve));
    await child.childPort.send({ id: 1, ports: [{ port, disposition: 'move-receive' }] });
    const notification = await destroyed;
    expect(notification.kind).toBe('port-destroyed');
    const back = (notification as Extract<Notification, { kind: 'port-destroyed' }>).port!;
    expect(back.right).toBe('receive');
    // The port survived: our old send right still reaches it.
    expect(back.name).toBe(send.name);
    await send.send({ id: 5 });
    expect((await back.receive({ timeout: PATIENCE_MS })).id).toBe(5);
    await child.port.receive({ timeout: PATIENCE_MS });
    await child.childPort.send({ id: 1999 });
    await child.finish();
    for (const p of [send, back, notify]) p.close();
  });

  test('port-deleted: deallocating a name with a dead-name request tells the notification port', async () => {
    const child = await startAgent('describe');
    const notify = allocatePort();
    const send = child.childPort.copySendRight();
    send.requestNotification('dead-name', notify);
    const deleted = new Promise<Notification>((resolve) => notify.once('notification', resolve));
    const name = send.name;
    send.close();
    // The name still has the helper's reference: only when the last one goes is it deleted.
    child.childPort.close();
    expect(await deleted).toEqual({ kind: 'port-deleted', name });
    // No right to the child is left to tell it to quit.
    child.process.kill();
    await child.finish();
    notify.close();
  });

  test('a notification received with receive() carries the kernel as sender and its typed contents', async () => {
    const child = await startAgent('drop-rights');
    const port = allocatePort();
    await child.childPort.send({ id: 1, ports: [{ port, disposition: 'make-send-once' }] });
    const message = await port.receive({ timeout: PATIENCE_MS, trailer: 'audit' });
    expect(message.id).toBe(71);
    expect(message.trailer.audit?.pid).toBe(0);
    expect(message.notification).toEqual({ kind: 'send-once' });
    await child.port.receive({ timeout: PATIENCE_MS });
    await child.childPort.send({ id: 1999 });
    await child.finish();
    port.close();
  });
});

