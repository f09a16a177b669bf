// Layout stage output for people and tools: what `tsmig inspect` prints.
// Pure functions of the IR and layouts (no file system, no console):
// `inspectJson` merges each routine's layouts into its IR record;
// `inspectText` prints one table per message (field, offset, size, C type).

import type { InterfaceIR, IrRoutine } from '../check/ir.js';
import type { InterfaceLayout, LayoutField, MessageLayout, RoutineLayout } from './types.js';

/** The IR with each routine's `request`, `reply` and `requestHeader` layouts (null when it had errors). */
export function inspectJson(ir: InterfaceIR, layouts: InterfaceLayout): unknown {
  return {
    ...ir,
    routines: ir.routines.map((rt, i) => {
      const l = layouts.routines[i];
      return {
        ...rt,
        request: l ? l.request : null,
        reply: l ? l.reply : null,
        requestHeader: l ? l.requestHeader : null,
      };
    }),
  };
}

/**
 * JSON text with two-space indentation where a value spans lines, and any
 * object or array whose one-line form fits in `width` columns kept on one
 * line (locations, IPC names, short field records), so reports stay short.
 */
export function formatJson(value: unknown, width = 120): string {
  return write(value, '', 0) + '\n';

  function write(v: unknown, indent: string, used: number): string {
    const flat = JSON.stringify(v);
    if (flat === undefined) return 'null';
    if (v === null || typeof v !== 'object' || flat.length + used <= width) return flat;
    const inner = indent + '  ';
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[\n${v.map((x) => inner + write(x, inner, inner.length)).join(',\n')}\n${indent}]`;
    }
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return '{}';
    const lines = entries.map(([k, x]) => {
      const key = `${JSON.stringify(k)}: `;
      return inner + key + write(x, inner, inner.length + key.length);
    });
    return `{\n${lines.join(',\n')}\n${indent}}`;
  }
}

/** A readable report: the subsystem, then per routine a table for each message. */
export function inspectText(ir: InterfaceIR, layouts: InterfaceLayout): string {
  const lines: string[] = [];
  const sub = ir.subsystem;
  const count = `${ir.routines.length} routine${ir.routines.length === 1 ? '' : 's'}`;
  lines.push(
    sub
      ? `subsystem ${sub.name} ${sub.base}: ${count} (${ir.file})`
      : `no subsystem: ${count} (${ir.file})`,
  );
  ir.routines.forEach((rt, i) => {
    lines.push('', routineHeading(rt));
    const l = layouts.routines[i];
    if (!l) {
      lines.push('  not laid out: the routine has errors');
      return;
    }
    lines.push(...messageTable('request', l.request), ...replyLines(l));
  });
  return lines.join('\n') + '\n';
}

function routineHeading(rt: IrRoutine): string {
  const reply = rt.oneWay ? 'no reply' : `reply ${rt.replyId}`;
  return `${rt.kind} ${rt.name}: id ${rt.id}, ${reply} (${rt.loc.file}:${rt.loc.line})`;
}

function replyLines(l: RoutineLayout): string[] {
  return l.reply ? messageTable('reply', l.reply) : [];
}

function messageTable(which: 'request' | 'reply', m: MessageLayout): string[] {
  const size =
    m.minSize === m.maxSize ? `${m.maxSize} bytes` : `${m.minSize} to ${m.maxSize} bytes`;
  const kind = m.complex
    ? `complex, ${m.descriptorCount} descriptor${m.descriptorCount === 1 ? '' : 's'}`
    : 'simple';
  const trailer = m.trailer.elements.length
    ? `, trailer ${m.trailer.elements.map((e) => e.element).join('+')} (${m.trailer.size} bytes)`
    : '';
  const rows: string[][] = [['field', 'offset', 'size', 'type', 'notes']];
  for (const f of m.fields)
    rows.push([f.name, String(f.offset), String(f.size), cDeclaration(f), notes(f)]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const numeric = new Set([1, 2]);
  const table = rows.map((r) =>
    `    ${r.map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ')}`.trimEnd(),
  );
  return [`  ${which} ${m.struct}: ${size}, ${kind}${trailer}`, ...table];
}

function cDeclaration(f: LayoutField): string {
  return f.arrayLength !== undefined ? `${f.cType}[${f.arrayLength}]` : f.cType;
}

function notes(f: LayoutField): string {
  const out: string[] = [];
  if (f.variable)
    out.push(
      `up to ${f.variable.maxCount} × ${f.variable.elementSize} bytes, count in ${f.variable.countField}`,
    );
  const d = f.descriptor;
  if (d?.disposition) out.push(dispositionNote(d.disposition));
  if (d?.kind === 'ool')
    out.push(
      d.oolBytes === null || d.oolBytes === undefined
        ? `size from ${d.countArg}`
        : `${d.oolBytes} bytes`,
    );
  if (d?.kind === 'oolPorts' && d.oolPortCount !== null && d.oolPortCount !== undefined)
    out.push(`${d.oolPortCount} ports`);
  if (d && d.deallocate !== 'no') out.push(`dealloc ${d.deallocate}`);
  if (f.shiftedBy.length && f.role !== 'pad') out.push(`moves with ${f.shiftedBy.join(', ')}`);
  return out.join('; ');
}

function dispositionNote(d: {
  sentName: string;
  receivedName: string;
  polymorphic: string;
}): string {
  const short = (n: string) => n.replace(/^MACH_MSG_TYPE_/, '');
  if (d.polymorphic === 'both') return 'polymorphic';
  return `${short(d.sentName)} → ${short(d.receivedName)}`;
}
