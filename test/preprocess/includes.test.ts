// #include, #import and #include_next: search order, include-once, cycles,
// missing files, the depth limit, and tsmig's own standard includes in
// defs/ (found with no -I, overridden by a user's -I).

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { preprocessFile, preprocessText, stdIncludeDir } from '../../generator/preprocess/index.js';
import { diagLines, memoryHost, run } from './helpers.js';

describe('search order', () => {
  it('searches the includer\'s directory first for "…"', () => {
    const files = {
      'a/main.defs': '#include "x.defs"\n',
      'a/x.defs': 'local\n',
      'inc/x.defs': 'from_I\n',
    };
    expect(run(files, 'a/main.defs', { includePaths: ['inc'] }).text).toBe('local');
  });
  it('uses the directory of the including file, not of the entry file', () => {
    const files = {
      'main.defs': '#include "sub/a.defs"\n',
      'sub/a.defs': '#include "b.defs"\n',
      'sub/b.defs': 'nested\n',
      'b.defs': 'wrong\n',
    };
    expect(run(files, 'main.defs').text).toBe('nested');
  });
  it('searches only -I paths for <…>, in order', () => {
    const files = {
      'main.defs': '#include <x.defs>\n',
      'x.defs': 'local\n',
      'i1/x.defs': 'first\n',
      'i2/x.defs': 'second\n',
    };
    expect(run(files, 'main.defs', { includePaths: ['i1', 'i2'] }).text).toBe('first');
    expect(run(files, 'main.defs', { includePaths: ['i2', 'i1'] }).text).toBe('second');
  });
  it('falls back to -I paths for "…"', () => {
    const files = { 'main.defs': '#include "y.defs"\n', 'inc/y.defs': 'found\n' };
    expect(run(files, 'main.defs', { includePaths: ['inc'] }).text).toBe('found');
  });
  it('takes the file name from a macro', () => {
    const files = {
      'main.defs': '#define H <x.defs>\n#define Q "y.defs"\n#include H\n#include Q\n',
      'inc/x.defs': 'x\n',
      'y.defs': 'y\n',
    };
    expect(run(files, 'main.defs', { includePaths: ['inc'] }).text).toBe('x\ny');
  });
  it("continues the search after the current file's directory with #include_next", () => {
    const files = {
      'main.defs': '#include <t.defs>\n',
      'i1/t.defs': 'one\n#include_next <t.defs>\n',
      'i2/t.defs': 'two\n',
    };
    expect(run(files, 'main.defs', { includePaths: ['i1', 'i2'] }).text).toBe('one\ntwo');
  });
  it('starts each included file on a new line of output', () => {
    const files = { 'main.defs': 'a\n#include "b.defs"\nc\n', 'b.defs': 'b\n' };
    expect(run(files, 'main.defs').text).toBe('a\nb\nc');
  });
});

describe('include once', () => {
  it('includes an #import-ed file once', () => {
    const files = {
      'main.defs': '#import "x.defs"\n#import "x.defs"\n#include "x.defs"\n',
      'x.defs': 'x\n',
    };
    expect(run(files, 'main.defs').text).toBe('x');
  });
  it('does not #import a file already included', () => {
    const files = { 'main.defs': '#include "x.defs"\n#import "x.defs"\n', 'x.defs': 'x\n' };
    expect(run(files, 'main.defs').text).toBe('x');
  });
  it('honours #pragma once', () => {
    const files = {
      'main.defs': '#include "x.defs"\n#include "x.defs"\n',
      'x.defs': '#pragma once\nx\n',
    };
    expect(run(files, 'main.defs').text).toBe('x');
  });
  it("identifies files by the host's realpath", () => {
    const files: Record<string, string> = {
      'main.defs': '#import "a.defs"\n#import "b.defs"\n',
      'a.defs': 'x\n',
      'b.defs': 'x\n',
    };
    const host = {
      ...memoryHost(files),
      realpath: (p: string) => (p === 'b.defs' ? resolve('a.defs') : resolve(p)),
    };
    expect(preprocessText(files['main.defs'], 'main.defs', { host, undef: true }).text).toBe('x');
  });
});

describe('include problems', () => {
  it('reports a missing file at the name, with the include chain', () => {
    const files = {
      'main.defs': '\n#include "a.defs"\nafter\n',
      'a.defs': '#include <missing.defs>\nstill\n',
    };
    const r = run(files, 'main.defs');
    expect(r.text).toBe('still\nafter');
    expect(diagLines(r.diagnostics)).toEqual([
      "a.defs:1:10: error[pp-include-not-found]: 'missing.defs' file not found",
    ]);
    expect(r.diagnostics[0].loc?.includedFrom).toMatchObject({
      file: 'main.defs',
      line: 2,
      column: 10,
    });
  });
  it('reports a cycle without hanging, and carries on', () => {
    const files = {
      'main.defs': '#include "a.defs"\nend\n',
      'a.defs': 'a\n#include "b.defs"\n',
      'b.defs': 'b\n#include "a.defs"\n',
    };
    const r = run(files, 'main.defs');
    expect(diagLines(r.diagnostics)).toEqual([
      'b.defs:2:10: error[pp-include-cycle]: #include cycle: a.defs -> b.defs -> a.defs',
    ]);
    expect(r.text).toBe('a\nb\na\nb\nend');
  });
  it('lets guarded files include each other', () => {
    const files = {
      'main.defs': '#include "a.defs"\n',
      'a.defs': '#ifndef A\n#define A\n#include "b.defs"\na\n#endif\n',
      'b.defs': '#ifndef B\n#define B\n#include "a.defs"\nb\n#endif\n',
    };
    const r = run(files, 'main.defs');
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe('b\na');
  });
  it('stops at the depth limit', () => {
    const files: Record<string, string> = { 'main.defs': '#include "f0.defs"\n' };
    for (let i = 0; i < 300; i++) files[`f${i}.defs`] = `#include "f${i + 1}.defs"\n`;
    files['f300.defs'] = 'deep\n';
    const r = run(files, 'main.defs');
    expect(diagLines(r.diagnostics)).toEqual([
      'f198.defs:1:10: error[pp-include-depth]: #include nested more than 200 levels deep',
    ]);
  });
  it('reports malformed #include lines', () => {
    const r = run(
      { 'main.defs': '#include\n#include foo\n#include ""\n#include <x.defs\n' },
      'main.defs',
    );
    expect(diagLines(r.diagnostics)).toEqual([
      'main.defs:1:1: error[pp-include-syntax]: #include expects "FILENAME" or <FILENAME>',
      'main.defs:2:10: error[pp-include-syntax]: #include expects "FILENAME" or <FILENAME>',
      'main.defs:3:10: error[pp-include-syntax]: empty file name in #include',
      "main.defs:4:10: error[pp-include-syntax]: missing '>' to end the file name of #include",
    ]);
  });
  it('warns about extra tokens after the file name', () => {
    const r = run({ 'main.defs': '#include "x.defs" junk\n', 'x.defs': '' }, 'main.defs');
    expect(diagLines(r.diagnostics)).toEqual([
      'main.defs:1:19: warning[pp-extra-tokens]: extra tokens at end of #include directive',
    ]);
  });
  it('refuses #include inside macro arguments', () => {
    const r = run(
      { 'main.defs': '#define F(x) x\nF(1\n#include "x.defs"\n)\n', 'x.defs': 'x\n' },
      'main.defs',
    );
    expect(diagLines(r.diagnostics)).toEqual([
      'main.defs:3:1: error[pp-include-in-args]: #include inside the arguments of a macro is not supported',
    ]);
    expect(r.text).toBe('1');
  });
  it('reports an unreadable entry file without a location', () => {
    const r = preprocessFile('/nonexistent/dir/none.defs');
    expect(diagLines(r.diagnostics)).toEqual([
      "-: error[pp-file-not-found]: cannot read '/nonexistent/dir/none.defs'",
    ]);
    expect(r.text).toBe('');
  });
});

describe('dependencies and sources', () => {
  it('lists every file read, entry first, as absolute paths', () => {
    const files = {
      'main.defs': '#include "a.defs"\n#include "b.defs"\n#include "a.defs"\n',
      'a.defs': '',
      'b.defs': '',
    };
    const r = run(files, 'main.defs');
    expect(r.dependencies).toEqual([resolve('main.defs'), resolve('a.defs'), resolve('b.defs')]);
    expect(r.sources.get('a.defs')).toBe('');
  });
});

describe("tsmig's standard includes", () => {
  const dir = stdIncludeDir();
  it('live in the repository defs/ directory', () => {
    expect(existsSync(join(dir, 'mach', 'std_types.defs'))).toBe(true);
    expect(existsSync(join(dir, 'mach', 'mach_types.defs'))).toBe(true);
    expect(existsSync(join(dir, 'mach', 'machine', 'machine_types.defs'))).toBe(true);
  });
  it('are found with no -I, even through an in-memory host', () => {
    const r = preprocessText(
      '#include <mach/std_types.defs>\n#include <mach/mach_types.defs>\n',
      'u.defs',
      { host: memoryHost({}) },
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.dependencies).toContain(join(dir, 'mach', 'std_types.defs'));
    expect(r.dependencies).toContain(join(dir, 'mach', 'mach_types.defs'));
    expect(r.text).toMatch(/type mach_port_t = MACH_MSG_TYPE_COPY_SEND;/);
  });
  it('give way to a user -I', () => {
    const files = { 'my/mach/std_types.defs': 'type mine = int32_t;\n' };
    const r = preprocessText('#include <mach/std_types.defs>\n', 'u.defs', {
      host: memoryHost(files),
      includePaths: ['my'],
    });
    expect(r.text).toBe('type mine = int32_t;');
  });
  it('are not searched with stdIncludes: false', () => {
    const r = preprocessText('#include <mach/std_types.defs>\n', 'u.defs', {
      host: memoryHost({}),
      stdIncludes: false,
    });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['pp-include-not-found']);
  });
  it('define every type the front end relies on, once', () => {
    const r = preprocessText(
      '#include <mach/mach_types.defs>\n#include <mach/std_types.defs>\n',
      'u.defs',
      {},
    );
    const names = [...r.text.matchAll(/\btype\s+(\w+)\s*=/g)].map((m) => m[1]);
    expect(new Set(names).size).toBe(names.length);
    for (const t of [
      'int8_t',
      'uint8_t',
      'int16_t',
      'uint16_t',
      'int32_t',
      'uint32_t',
      'int64_t',
      'uint64_t',
      'int',
      'unsigned',
      'char',
      'short',
      'long',
      'boolean_t',
      'kern_return_t',
      'pointer_t',
      'mach_port_t',
      'mach_port_name_t',
      'mach_port_move_receive_t',
      'mach_port_copy_send_t',
      'mach_port_make_send_t',
      'mach_port_move_send_t',
      'mach_port_make_send_once_t',
      'mach_port_move_send_once_t',
      'mach_port_receive_t',
      'mach_port_send_t',
      'mach_port_send_once_t',
      'mach_port_poly_t',
      'mach_port_array_t',
      'mach_port_name_array_t',
      'mach_port_seqno_t',
      'mach_msg_type_number_t',
      'natural_t',
      'integer_t',
      'vm_address_t',
      'vm_size_t',
      'vm_offset_t',
      'task_t',
      'thread_t',
      'thread_act_t',
      'vm_map_t',
      'host_t',
      'processor_set_t',
      'semaphore_t',
    ]) {
      expect(names, t).toContain(t);
    }
  });
  it('add the kernel conversions only for KERNEL_SERVER', () => {
    const user = preprocessText('#include <mach/mach_types.defs>\n', 'u.defs', {});
    const kernel = preprocessText('#include <mach/mach_types.defs>\n', 'u.defs', {
      defines: [['KERNEL_SERVER', '1']],
    });
    expect(user.text).not.toMatch(/intran/);
    expect(kernel.text).toMatch(
      /type task_t = mach_port_t\s+intran: task_t convert_port_to_task_mig\(mach_port_t\)/,
    );
    expect(kernel.diagnostics).toEqual([]);
  });
});

describe('file hosts and encodings', () => {
  it('turns a throwing host into a diagnostic, keeping what was read', () => {
    const host = {
      readFile: (p: string) => {
        if (p === 'bad.defs') throw new Error('EIO: i/o error');
        return undefined;
      },
    };
    const r = preprocessText('before\n#include "bad.defs"\nafter\n', 'main.defs', {
      host,
      undef: true,
    });
    expect(diagLines(r.diagnostics)).toEqual([
      "-: error[pp-stopped]: preprocessing stopped in 'main.defs': EIO: i/o error",
    ]);
    expect(r.text).toBe('before');
  });
  it('reads CRLF line ends and a byte-order mark', () => {
    const r = preprocessText(
      '\uFEFF#define A 1\r\nx A\\\r\n y\r\n#if A\r\nz\r\n#endif\r\n',
      'crlf.defs',
      {
        host: memoryHost({}),
        undef: true,
      },
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe('x 1 y\nz');
    expect(r.locate(r.text.indexOf('z'), r.text.indexOf('z') + 1)).toMatchObject({
      line: 5,
      column: 1,
    });
  });
});
