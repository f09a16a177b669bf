// Benchmark group `frontend`: tsmig's preprocess + parse of the whole
// gnumach corpus, one file at a time in one process, against GNU MIG run as
// a user runs it (one `x86_64-gnu-mig` process per file: cpp + migcom), both
// measured in this run; the same with the semantic check and Apple's message
// layout added (the whole front end, `compileDefs`); the check and layout
// stages alone; and the cold start of `tsmig check` on one file.
// Reads the compiled generator in dist/ (run `npm run build` first).
//
// Rows (ratios say how many times better tsmig is than its peer):
// - files/s over the corpus (goal: at least 5× GNU MIG's per-file rate),
//   for preprocess + parse and for preprocess + parse + check + layout;
// - files/s of check + layout alone, on ASTs parsed beforehand;
// - preprocessed text parsed per second (tsmig alone);
// - wall time of one cold `tsmig check` process (goal: under 300 ms), next
//   to one GNU MIG process on the same file.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, nowUs } from './lib.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const GNUMACH_INCLUDE = '/usr/include/x86_64-linux-gnu';
const GNU_MIG = '/usr/bin/x86_64-gnu-mig';
const DEFINES = [['__x86_64__', '1']];
/** The file the cold-start rows check: the largest subsystem of the corpus. */
const COLD_FILE = join(GNUMACH_INCLUDE, 'mach', 'mach.defs');

/** Every gnumach .defs that declares a subsystem (what GNU MIG accepts on its own), sorted. */
function corpus(parseFile) {
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.defs')) files.push(join(dir, e.name));
    }
  };
  for (const d of ['mach', 'device', 'mach_debug']) walk(join(GNUMACH_INCLUDE, d));
  return files
    .sort()
    .filter((f) =>
      parseFile(f, frontEndOptions()).ast.statements.some((s) => s.kind === 'subsystem'),
    );
}

function frontEndOptions() {
  return { includePaths: [GNUMACH_INCLUDE], defines: DEFINES, undef: true };
}

/** One pass of tsmig over the corpus, in-process: µs taken and bytes of preprocessed text. */
function tsmigPass(parseFile, files) {
  let bytes = 0;
  const start = nowUs();
  for (const f of files) {
    const r = parseFile(f, frontEndOptions());
    bytes += r.text.length;
    if (r.diagnostics.length > 0)
      process.stderr.write(`bench frontend: ${f}: unexpected diagnostics\n`);
  }
  return { us: nowUs() - start, bytes };
}

/** One pass of the whole front end (GNU dialect, as GNU MIG reads these files): µs taken. */
function compilePass(compileDefs, files) {
  const start = nowUs();
  for (const f of files) {
    const r = compileDefs({ file: f }, { ...frontEndOptions(), dialect: 'gnu' });
    if (r.diagnostics.some((d) => d.severity === 'error'))
      process.stderr.write(`bench frontend: ${f}: unexpected errors\n`);
  }
  return nowUs() - start;
}

/** One pass of check + layout over ASTs parsed beforehand: µs taken. */
function checkLayoutPass(checkDefs, layoutInterface, asts) {
  const start = nowUs();
  for (const ast of asts) layoutInterface(checkDefs(ast, { dialect: 'gnu' }).ir);
  return nowUs() - start;
}

/** One pass of GNU MIG over the corpus, one process per file as a user runs it. */
function gnuMigPass(files, cwd) {
  const start = nowUs();
  for (const f of files) {
    const defines = DEFINES.map(([n, v]) => `-D${n}=${v}`);
    const r = spawnSync(GNU_MIG, ['-n', ...defines, `-I${GNUMACH_INCLUDE}`, f], {
      cwd,
      stdio: 'ignore',
    });
    if (r.status !== 0) process.stderr.write(`bench frontend: x86_64-gnu-mig failed on ${f}\n`);
  }
  return nowUs() - start;
}

/** Median wall time in ms of `runs` spawns of `cmd args`. */
function spawnMedianMs(cmd, args, runs, cwd) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = nowUs();
    const r = spawnSync(cmd, args, { cwd, stdio: 'ignore' });
    times.push((nowUs() - start) / 1000);
    if (r.status !== 0) process.stderr.write(`bench frontend: ${cmd} exited ${r.status}\n`);
  }
  return median(times);
}

/** Runs the group; `quick` takes fewer samples. */
export async function run({ quick }) {
  if (!existsSync(join(GNUMACH_INCLUDE, 'mach', 'mach.defs'))) {
    process.stderr.write('bench frontend: skipped, gnumach-dev is not installed (no corpus)\n');
    return [];
  }
  const { parseFile } = await import(
    pathToFileURL(join(root, 'dist', 'generator', 'parse', 'frontend.js')).href
  );
  const dist = (path) => import(pathToFileURL(join(root, 'dist', 'generator', ...path.split('/'))).href);
  const { compileDefs } = await dist('check/compile.js');
  const { checkDefs } = await dist('check/check.js');
  const { layoutInterface } = await dist('layout/layout.js');
  const files = corpus(parseFile);
  const hasGnuMig = existsSync(GNU_MIG);
  const scratch = mkdtempSync(join(tmpdir(), 'tsmig-bench-frontend-'));
  try {
    // tsmig: one warm-up pass (as a long-lived build process would be), then timed passes.
    tsmigPass(parseFile, files);
    const passes = [];
    for (let i = 0; i < (quick ? 5 : 30); i++) passes.push(tsmigPass(parseFile, files));
    const tsmigUs = median(passes.map((p) => p.us));
    const tsmigRate = files.length / (tsmigUs / 1e6);
    const mbPerSecond = passes[0].bytes / tsmigUs;

    compilePass(compileDefs, files);
    const compileUs = median(Array.from({ length: quick ? 5 : 30 }, () => compilePass(compileDefs, files)));
    const compileRate = files.length / (compileUs / 1e6);
    const asts = files.map((f) => parseFile(f, frontEndOptions()).ast);
    checkLayoutPass(checkDefs, layoutInterface, asts);
    const checkUs = median(
      Array.from({ length: quick ? 5 : 30 }, () => checkLayoutPass(checkDefs, layoutInterface, asts)),
    );
    const checkRate = files.length / (checkUs / 1e6);

    const gnuRate = hasGnuMig
      ? files.length /
        (median(Array.from({ length: quick ? 1 : 3 }, () => gnuMigPass(files, scratch))) / 1e6)
      : undefined;

    const bin = join(root, 'bin', 'tsmig.js');
    const checkArgs = [
      bin,
      'check',
      '--dialect',
      'gnu',
      ...DEFINES.map(([n, v]) => `-D${n}=${v}`),
      '-undef',
      '-I',
      GNUMACH_INCLUDE,
      COLD_FILE,
    ];
    const coldMs = spawnMedianMs(process.execPath, checkArgs, quick ? 5 : 20, scratch);
    const gnuColdMs = hasGnuMig
      ? spawnMedianMs(
          GNU_MIG,
          ['-n', ...DEFINES.map(([n, v]) => `-D${n}=${v}`), `-I${GNUMACH_INCLUDE}`, COLD_FILE],
          quick ? 5 : 20,
          scratch,
        )
      : undefined;

    const peer = hasGnuMig ? 'x86_64-gnu-mig, a process per file' : undefined;
    return [
      {
        group: 'frontend',
        name: `preprocess+parse, gnumach corpus (${files.length} files)`,
        mode: 'unpinned',
        value: tsmigRate,
        unit: 'files/s',
        peer,
        peerValue: gnuRate,
        ratio: gnuRate === undefined ? undefined : tsmigRate / gnuRate,
        goal: '≥ 5×',
      },
      {
        group: 'frontend',
        name: `preprocess+parse+check+layout, gnumach corpus (${files.length} files)`,
        mode: 'unpinned',
        value: compileRate,
        unit: 'files/s',
        peer,
        peerValue: gnuRate,
        ratio: gnuRate === undefined ? undefined : compileRate / gnuRate,
        goal: '≥ 5×',
      },
      {
        group: 'frontend',
        name: 'check+layout alone, gnumach corpus',
        mode: 'unpinned',
        value: checkRate,
        unit: 'files/s',
      },
      {
        group: 'frontend',
        name: 'preprocess+parse, preprocessed text',
        mode: 'unpinned',
        value: mbPerSecond,
        unit: 'MB/s',
      },
      {
        group: 'frontend',
        name: 'cold `tsmig check` of mach/mach.defs',
        mode: 'unpinned',
        value: coldMs,
        unit: 'ms',
        peer: hasGnuMig ? 'x86_64-gnu-mig -n, same file' : undefined,
        peerValue: gnuColdMs,
        ratio: gnuColdMs === undefined ? undefined : gnuColdMs / coldMs,
        goal: '< 300 ms',
      },
    ];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
