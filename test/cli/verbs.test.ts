// The first CLI verbs end to end: `check`, `parse`, `preprocess` — exit
// statuses (0 clean, 1 errors, 2 usage), what goes to stdout and stderr,
// and the shared options reaching the preprocessor. Most cases run the CLI
// in-process; a few spawn the real `bin/tsmig.js` (built by `pretest`).

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../generator/cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tsmig-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a file in the test's directory; returns its name relative to it. */
function file(name: string, text: string): string {
  mkdirSync(dirname(join(dir, name)), { recursive: true });
  writeFileSync(join(dir, name), text);
  return name;
}

/** Runs the CLI in-process in the test's directory. */
async function tsmig(
  ...args: string[]
): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await main(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    color: false,
    cwd: dir,
  });
  return { status, stdout, stderr };
}

const CLEAN = file(
  'clean.defs',
  'subsystem calc 4000;\ntype int = MACH_MSG_TYPE_INTEGER_32;\nroutine add(server: mach_port_t; a: int; out b: int);\n',
);
// Clean for `check` too: every type it uses is declared.
const SOUND = file(
  'sound.defs',
  'subsystem calc 4000;\ntype int = MACH_MSG_TYPE_INTEGER_32;\ntype mach_port_t = MACH_MSG_TYPE_COPY_SEND;\nroutine add(server: mach_port_t; a: int; out b: int);\n',
);
const BROKEN = file(
  'broken.defs',
  'subsystem calc 4000;\nroutine add(server: mach_port_t; a int);\nskip;\n',
);
const WARNS = file('warns.defs', '#warning just a warning\nsubsystem calc 4000;\n');
const NEEDS_FOO = file(
  'needs-foo.defs',
  '#ifndef FOO\n#error FOO is not defined\n#endif\nsubsystem calc FOO;\n',
);
const ARCH = file(
  'arch.defs',
  '#if defined(__arm64__)\nsubsystem arm 1;\n#elif defined(__APPLE__)\nsubsystem apple 2;\n#else\nsubsystem plain 3;\n#endif\n',
);
file('inc/calc_types.defs', '');

describe('tsmig check', () => {
  it('is silent and exits 0 on a clean file', async () => {
    expect(await tsmig('check', SOUND)).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('prints each error with its excerpt and exits 1', async () => {
    const r = await tsmig('check', SOUND, BROKEN);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "broken.defs:2:36: error: expected ':', found 'int'\n" +
        ' 2 | routine add(server: mach_port_t; a int);\n' +
        '   |                                    ^~~\n' +
        '1 error generated.\n',
    );
  });

  it('exits 0 when there are only warnings', async () => {
    const r = await tsmig('check', WARNS);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('warns.defs:1:1: warning: #warning just a warning');
  });

  it('passes -D and -U to the preprocessor, in order', async () => {
    expect((await tsmig('check', '-DFOO=7', NEEDS_FOO)).status).toBe(0);
    expect((await tsmig('check', '-D', 'FOO', '-U', 'FOO', NEEDS_FOO)).stderr).toContain(
      '#error FOO is not defined',
    );
  });

  it('passes -I to the preprocessor', async () => {
    const text = file('uses-include.defs', '#include <calc_types.defs>\nsubsystem calc 4000;\n');
    expect((await tsmig('check', text)).status).toBe(1);
    expect((await tsmig('check', '-I', 'inc', text)).status).toBe(0);
  });

  it('predefines the target macros, or none with -undef', async () => {
    const subsystemOf = async (...args: string[]) => {
      const r = await tsmig('parse', ...args, ARCH);
      return JSON.parse(r.stdout).statements[0].name.name as string;
    };
    expect(await subsystemOf()).toBe('apple');
    expect(await subsystemOf('--target', 'arm64')).toBe('arm');
    expect(await subsystemOf('-undef')).toBe('plain');
  });

  it('reports a missing file as an error without a location', async () => {
    const r = await tsmig('check', 'nowhere.defs');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tsmig: error: cannot read '.*nowhere\.defs'\n/);
  });

  it('exits 2 on a bad command line and names the problem', async () => {
    expect(await tsmig('check')).toEqual({
      status: 2,
      stdout: '',
      stderr:
        'tsmig check: no input file (name .defs files, or list them as "inputs" in tsmig.config.json)\n(see tsmig check --help)\n',
    });
    expect((await tsmig('check', '--nope', CLEAN)).status).toBe(2);
    expect((await tsmig('check', '--target', 'sparc', CLEAN)).status).toBe(2);
  });
});

describe('tsmig parse', () => {
  it('prints the AST as JSON with plain locations', async () => {
    const r = await tsmig('parse', CLEAN, '--json');
    expect(r.status).toBe(0);
    const ast = JSON.parse(r.stdout);
    expect(ast.kind).toBe('file');
    expect(ast.statements.map((s: { kind: string }) => s.kind)).toEqual([
      'subsystem',
      'type',
      'routine',
    ]);
    const routine = ast.statements[2];
    expect(routine.name).toEqual({
      kind: 'ident',
      name: 'add',
      loc: { file: 'clean.defs', line: 3, column: 9, endLine: 3, endColumn: 12 },
    });
    expect(routine.args[2].directionLoc).toEqual({
      file: 'clean.defs',
      line: 3,
      column: 42,
      endLine: 3,
      endColumn: 45,
    });
  });

  it('prints the AST with error nodes and exits 1 when a statement does not parse', async () => {
    const r = await tsmig('parse', BROKEN);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).statements.map((s: { kind: string }) => s.kind)).toEqual([
      'subsystem',
      'error',
      'skip',
    ]);
    expect(r.stderr).toContain("broken.defs:2:36: error: expected ':', found 'int'");
  });

  it('takes exactly one file', async () => {
    expect((await tsmig('parse', CLEAN, BROKEN)).status).toBe(2);
  });
});

describe('tsmig preprocess', () => {
  it('prints the expanded text without line markers', async () => {
    const src = file(
      'macro.defs',
      '#define BASE 4000 /* comment */\n#define ARG(n) n : int\nsubsystem calc BASE;\nroutine r(ARG(a));\n',
    );
    const r = await tsmig('preprocess', src);
    expect(r).toEqual({
      status: 0,
      stdout: 'subsystem calc 4000;\nroutine r(a : int);\n',
      stderr: '',
    });
  });
});

describe('help', () => {
  it('lists the verbs', async () => {
    const r = await tsmig('--help');
    expect(r.status).toBe(0);
    for (const verb of ['check', 'parse', 'preprocess'])
      expect(r.stdout).toMatch(new RegExp(`^  ${verb} `, 'm'));
  });

  it.each(['check', 'parse', 'preprocess'])('tsmig %s --help prints its usage', async (verb) => {
    const r = await tsmig(verb, '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: tsmig ${verb} \\[?FILE`));
    expect(r.stdout).toContain('-I DIR');
  });
});

describe('bin/tsmig.js', () => {
  const bin = join(root, 'bin', 'tsmig.js');

  it('exits with the verb status and writes to the real streams', () => {
    expect(
      execFileSync(process.execPath, [bin, 'check', SOUND], { cwd: dir, encoding: 'utf8' }),
    ).toBe('');
    const broken = spawnSync(process.execPath, [bin, 'check', BROKEN], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('broken.defs:2:36: error:');
    expect(spawnSync(process.execPath, [bin, 'check'], { cwd: dir }).status).toBe(2);
  });
});
