// The shared command-line options: every spelling the verbs accept, and a
// message (never a throw) for every command line they refuse.

import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../generator/cli/options.js';

describe('parseCommandLine', () => {
  it('reads -I, -D, -U in both spellings, in order', () => {
    const r = parseCommandLine([
      '-I',
      'inc',
      '-Isys',
      '-D',
      'A',
      '-DB=2',
      '-D',
      'C=x y',
      '-U',
      'A',
      '-UD',
      'f.defs',
    ]);
    expect(r).toEqual({
      files: ['f.defs'],
      frontEnd: {
        includePaths: ['inc', 'sys'],
        defines: [
          ['A', '1'],
          ['B', '2'],
          ['C', 'x y'],
        ],
        undefines: ['A', 'D'],
        target: 'x86_64',
        undef: false,
      },
      flags: new Set(),
      values: new Map(),
      targetGiven: false,
    });
  });

  it('reads --target in both spellings and -undef', () => {
    const r = parseCommandLine(['--target', 'arm64', 'a.defs', '-undef', 'b.defs']);
    expect(r).toMatchObject({
      files: ['a.defs', 'b.defs'],
      frontEnd: { target: 'arm64', undef: true },
    });
    expect(parseCommandLine(['--target=x86_64', 'a.defs'])).toMatchObject({
      frontEnd: { target: 'x86_64' },
    });
  });

  it('accepts a function-like -D', () => {
    expect(parseCommandLine(['-DSQ(x)=((x)*(x))', 'a.defs'])).toMatchObject({
      frontEnd: { defines: [['SQ(x)', '((x)*(x))']] },
    });
  });

  it("reads a verb's own flags and valued options; -- ends the options", () => {
    const r = parseCommandLine(['--json', '-o', 'out', '--', '-weird.defs'], {
      flags: ['--json'],
      values: ['-o'],
    });
    expect(r).toMatchObject({
      files: ['-weird.defs'],
      flags: new Set(['--json']),
      values: new Map([['-o', 'out']]),
    });
  });

  it('refuses bad command lines with a message', () => {
    expect(parseCommandLine([])).toEqual({ error: 'no input file' });
    expect(parseCommandLine(['--frobnicate', 'a.defs'])).toEqual({
      error: "unknown option '--frobnicate'",
    });
    expect(parseCommandLine(['--json', 'a.defs'])).toEqual({ error: "unknown option '--json'" });
    expect(parseCommandLine(['a.defs', '-I'])).toEqual({ error: 'option -I needs a value' });
    expect(parseCommandLine(['--target', 'ppc', 'a.defs'])).toEqual({
      error: '--target ppc: expected x86_64 or arm64',
    });
    expect(parseCommandLine(['-D', '1X', 'a.defs'])).toEqual({
      error: "-D 1X: '1X' is not a macro name",
    });
    expect(parseCommandLine(['-U', 'A=1', 'a.defs'])).toEqual({
      error: '-U A=1: not a macro name',
    });
    expect(parseCommandLine(['a.defs', 'b.defs'], { maxFiles: 1 })).toEqual({
      error: 'expected exactly one input file',
    });
  });
});
