// The handlers of a roundtrip.defs server used by the cross-process tests,
// in whichever process serves (a server child, or the test process serving
// a client child): every argument echoed back, plus routines that fail,
// sleep (a deferred reply), hang (a reply deferred for ever), count this
// process's resources, and the calls the benchmarks time.

import { readdirSync } from 'node:fs';
import { MachError, releaseOutOfLine, spaceStats } from 'tsmig';

const MOVE = { send: 'move-send', 'send-once': 'move-send-once', receive: 'move-receive' };

/**
 * A fresh set of handlers (each with its own last note and held replies).
 * `onHang` runs when a `hang` call has arrived, so a test knows it is pending.
 */
export function roundtripImpl({ onHang = () => {} } = {}) {
  let lastNote = 0;
  const held = [];
  return {
    scalars: (a8, u8, a16, u16, a32, u32, a64, u64, b, c, f, d) => ({
      r8: a8,
      ru8: u8,
      r16: a16,
      ru16: u16,
      r32: a32,
      ru32: u32,
      r64: a64,
      ru64: u64,
      rb: b,
      rc: c,
      rf: f,
      rd: d,
    }),
    arrays: (t, v, w, x) => ({ ot: t, ov: v, ow: w, ox: x }),
    strings: (name, label) => ({ oname: name, olabel: label }),
    // The bytes go back zero-copy (dealloc): the received region moves on.
    outOfLine: (data, ints) => ({ odata: data, oints: ints }),
    inoutValues: (n, big, label) => ({ n: n + 1, big: big * 2n, label: label.toUpperCase() }),
    sendPorts: (ms, cs, mv, mso, mr) => ({ rms: ms, rcs: cs, rmv: mv, rso: mso, rmr: mr }),
    polyPorts: (p, many) => ({
      q: p === null ? null : { port: p, disposition: MOVE[p.right] },
      oq: { ports: many, disposition: many.length > 0 && many[0] !== null ? MOVE[many[0].right] : 'move-send' },
    }),
    portArrays: (fixed, variable, ool) => ({ ofixed: fixed, ovar: variable, oool: ool }),
    trailerInfo: (seq, sec, audit) => ({ pid: audit.pid, uid: sec.uid, seqno: seq }),
    // Ignores the caller's capacity on purpose: the client must refuse what does not fit.
    counted: (x) => x,
    note: (value) => {
      lastNote = value;
    },
    lastNote: () => lastNote,
    sleep: (ms, call) => {
      const deferred = call.deferReply();
      setTimeout(() => deferred.reply(undefined).catch(() => {}), ms);
      return deferred;
    },
    hang: (call) => {
      held.push(call.deferReply());
      onHang();
      return held.at(-1);
    },
    fail: (code) => {
      throw new MachError(code);
    },
    stats: () => {
      const s = spaceStats();
      return {
        names: s.names,
        rights: s.receiveRights + s.sendRights + s.sendOnceRights,
        fds: readdirSync('/proc/self/fd').length,
        oolBytes: s.outOfLineBytes,
      };
    },
    add: (a, b) => a + b,
    big: (data, call) => {
      const size = data.length;
      releaseOutOfLine(call.message.ool[0]);
      return size;
    },
    manyPorts: (ports) => {
      for (const port of ports) port?.close();
      return ports.length;
    },
  };
}
