// Shared helpers for the benchmarks in bench/: timing, medians, CPU pinning
// and the one result table `npm run bench` prints. Benchmarks never assert;
// they measure tsmig and the peers a user would pick instead in the same run
// and report ratios.

import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/** Median of a list of numbers. */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs measurements in turn, `rounds` times (a, b, a, b, …), and returns the
 * median of each: a pair compared as a ratio then sees the same drift of a
 * shared VM instead of one of them running in a busier minute.
 */
export function alternate(measurements, rounds = 3) {
  const values = measurements.map(() => []);
  for (let r = 0; r < rounds; r++) measurements.forEach((measure, i) => values[i].push(measure()));
  return values.map(median);
}

/**
 * Times `iterations` awaited calls of `once` in 21 batches, after a warm-up
 * of one batch (at most `warmUp` calls); returns the median µs per call.
 */
export async function timeCalls(iterations, once, warmUp = 500) {
  const batches = 21;
  const perBatch = Math.max(1, Math.floor(iterations / batches));
  for (let i = 0; i < Math.min(perBatch, warmUp); i++) await once();
  const samples = [];
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) await once();
    samples.push(Number(process.hrtime.bigint() - start) / 1000 / perBatch);
  }
  return median(samples);
}

/** High-resolution now in microseconds. */
export function nowUs() {
  return Number(process.hrtime.bigint()) / 1000;
}

/** True when `taskset` exists, so benchmarks can pin processes to one CPU. */
export function canPin() {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The command and arguments that run `cmd args` pinned to CPU 0 when
 * `pinned`, or as given otherwise. Both peers of a measurement pinned to one
 * CPU measure software cost; unpinned adds cross-CPU wake-ups (50–100 µs on
 * small VMs).
 */
export function maybePinned(pinned, cmd, args) {
  return pinned ? ['taskset', ['-c', '0', cmd, ...args]] : [cmd, args];
}

/** A description of the machine for the table's header. */
export function machineLine() {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${process.platform} ${process.arch}`;
}

/**
 * One row of the results table.
 * @typedef {{ group: string, name: string, mode?: string, value: number, unit: string,
 *   peer?: string, peerValue?: number, ratio?: number, goal?: string }} Row
 */

/** Formats rows as an aligned text table. */
export function formatTable(rows) {
  const head = ['benchmark', 'case', 'cpu', 'tsmig', 'peer', 'peer value', 'ratio', 'goal'];
  const body = rows.map((r) => [
    r.group,
    r.name,
    r.mode ?? '',
    `${fmt(r.value)} ${r.unit}`,
    r.peer ?? '',
    r.peerValue === undefined ? '' : `${fmt(r.peerValue)} ${r.unit}`,
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`,
    r.goal ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}

function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}
