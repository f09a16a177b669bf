// Scale: a 10 MB input, a 10,000-deep chain of object-like macros, 10,000
// nested invocations of a function-like macro, and long runs of includes
// and conditionals. Each must finish with the right output and no stack
// overflow (the preprocessor never recurses per level). No timing is
// asserted; vitest's own timeout is the only limit.

import { describe, expect, it } from 'vitest';
import { preprocessText } from '../../generator/preprocess/index.js';
import { memoryHost } from './helpers.js';

describe('scale', () => {
  it('preprocesses a 10 MB file', () => {
    const header =
      '#define ROUTINE(name, arg) routine name(server : mach_port_t; arg : int)\n#define COUNT 16\n';
    const block =
      '/* one block of a large interface */\n' +
      '#if COUNT > 8\n' +
      'ROUTINE(r_BLOCK, value);\n' +
      'type t_BLOCK = array[*:COUNT] of int;\n' +
      '#else\nnot_taken;\n#endif\n';
    const parts = [header];
    let size = header.length;
    let blocks = 0;
    while (size < 10 * 1024 * 1024) {
      const b = block.replaceAll('BLOCK', String(blocks++));
      parts.push(b);
      size += b.length;
    }
    const text = parts.join('');
    const r = preprocessText(text, 'big.defs', { host: memoryHost({}) });
    expect(r.diagnostics).toEqual([]);
    const lines = r.text.split('\n');
    expect(lines.length).toBe(blocks * 2);
    const last = blocks - 1;
    expect(lines[lines.length - 2]).toBe(`routine r_${last}(server : mach_port_t; value : int);`);
    expect(lines[lines.length - 1]).toBe(`type t_${last} = array[*:16] of int;`);
    // The last token maps back to the last line of the input.
    const loc = r.locate(r.text.length - 1, r.text.length);
    expect(loc.line).toBe(text.split('\n').length - 4);
  });

  it('expands a 10,000-deep chain of object-like macros', () => {
    let text = '#define M0 bottom\n';
    for (let i = 1; i <= 10000; i++) text += `#define M${i} M${i - 1}\n`;
    const r = preprocessText(text + 'M10000\n', 'chain.defs', { host: memoryHost({}) });
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe('bottom');
    const loc = r.locate(0, r.text.length);
    expect(loc.line).toBe(10002);
    // The macro chain is kept printable: both ends, at most 64 levels.
    let depth = 0;
    for (let l = loc; l.expandedFrom; l = l.expandedFrom.spelling) depth++;
    expect(depth).toBe(64);
    expect(loc.expandedFrom?.macro).toBe('M10000');
  });

  it('expands 10,000 nested invocations of a function-like macro', () => {
    // Arguments are views into the enclosing list, so the nesting costs no copies per level.
    const text = '#define F(x) x\n' + 'F('.repeat(10000) + 'core' + ')'.repeat(10000) + '\n';
    const r = preprocessText(text, 'nest.defs', { host: memoryHost({}) });
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe('core');
  });

  it('cuts off a quadratic nesting at the expansion budget instead of running on', () => {
    // Each level rescans everything inside it: 10,000 levels would be 10^8 tokens.
    const text =
      '#define F(x) (x)\n' + 'F('.repeat(10000) + 'core' + ')'.repeat(10000) + '\nafter\n';
    const r = preprocessText(text, 'nest.defs', { host: memoryHost({}) });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['pp-expansion-too-large']);
    expect(r.text.endsWith('after')).toBe(true);
  });

  it('handles 100,000 nested conditionals', () => {
    const text = '#if 1\n'.repeat(100000) + 'inside\n' + '#endif\n'.repeat(100000);
    const r = preprocessText(text, 'cond.defs', { host: memoryHost({}) });
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe('inside');
  });

  it('includes a file 10,000 times', () => {
    const files = { 'main.defs': '#include "x.defs"\n'.repeat(10000), 'x.defs': 'x\n' };
    const r = preprocessText(files['main.defs'], 'main.defs', { host: memoryHost(files) });
    expect(r.diagnostics).toEqual([]);
    expect(r.text.split('\n').length).toBe(10000);
  });
});
