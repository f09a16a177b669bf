// Builds one example the way its README steps do, printing each command
// before it runs it: the stubs with the tsmig CLI (the example's
// tsmig.config.json says what), the TypeScript with tsc (the example's
// tsconfig.json), and each C++ program (*.cc in the example) with the
// generated C++ stubs and the flags `tsmig native-flags` prints. Output
// goes to the example's generated/ and build/ folders.
//
// usage: node examples/build.mjs EXAMPLE_DIR
// Exit status: 0 built, 1 a step failed (its output is shown).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tsmigBin = join(packageRoot, 'bin', 'tsmig.js');

/** Quotes an argument for the printed command line (only when it needs it). */
function shellWord(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

/**
 * Runs a step in `cwd`, showing `shown` (the command as a user would type
 * it); returns its stdout. Exits the process when the step fails.
 */
function step(cwd, shown, command, args) {
  process.stdout.write(`$ ${shown}\n`);
  const r = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr + (r.error ? `${r.error.message}\n` : ''));
    process.stderr.write(`build: '${shown}' failed (exit ${r.status ?? r.signal})\n`);
    process.exit(1);
  }
  return r.stdout;
}

/** Builds the example in `dir`. */
export function buildExample(dir) {
  const node = process.execPath;
  step(dir, 'tsmig gen', node, [tsmigBin, 'gen']);
  // tsc from the TypeScript the project installed (a devDependency here, as in any TypeScript project).
  const tsc = createRequire(join(packageRoot, 'package.json')).resolve('typescript/bin/tsc');
  step(dir, 'tsc -p .', node, [tsc, '-p', '.']);

  const programs = readdirSync(dir).filter((f) => f.endsWith('.cc'));
  if (programs.length === 0) return;
  const flags = step(dir, 'tsmig native-flags --build', node, [tsmigBin, 'native-flags', '--build'])
    .trim()
    .split(/\s+/);
  const generated = readdirSync(join(dir, 'generated')).filter((f) => f.endsWith('.cc'));
  // The C++ stubs come in two sides, calc.mig.cc (client) and calc.server.mig.cc (server), as with MIG.
  const sides = {
    client: generated.filter((f) => !f.endsWith('.server.mig.cc')).map((f) => join('generated', f)),
    server: generated.filter((f) => f.endsWith('.server.mig.cc')).map((f) => join('generated', f)),
  };
  const cxx = process.env.CXX || 'c++';
  mkdirSync(join(dir, 'build'), { recursive: true });
  for (const program of programs) {
    const output = join('build', basename(program, '.cc'));
    // A program named *server*.cc serves the interface; every other one is a client.
    const stubs = /server/.test(program) ? sides.server : sides.client;
    const args = [
      '-std=c++17',
      '-O2',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-I.',
      '-Igenerated',
      '-o',
      output,
      program,
      ...stubs,
      ...flags,
    ];
    const shownFlags = args
      .map((a) => (flags.includes(a) ? null : shellWord(a)))
      .filter((a) => a !== null);
    step(dir, `${cxx} ${shownFlags.join(' ')} $(tsmig native-flags)`, cxx, args);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (dir === undefined || !existsSync(join(dir, 'tsmig.config.json'))) {
    process.stderr.write(
      'usage: node examples/build.mjs EXAMPLE_DIR (a folder with a tsmig.config.json)\n',
    );
    process.exit(2);
  }
  buildExample(resolve(dir));
  process.stdout.write(`built ${relative(process.cwd(), resolve(dir)) || '.'}\n`);
}
