#!/usr/bin/env node
// Fuzzing driver (`npm run fuzz -- [--seconds N] [--replay] [--target NAME]`):
// builds the libFuzzer targets of fuzz/*.cc with clang++-16 (AddressSanitizer
// + UndefinedBehaviorSanitizer) into build/fuzz/, writes their seed corpora
// from the wire corpus (test/wire/vectors/*.json), replays every kept
// regression input (fuzz/regressions/<target>/) and seed, then — unless
// --replay — fuzzes each target for N seconds (default 60). Every crash, leak
// or timeout found is copied into fuzz/regressions/<target>/ and fails the
// run, so it is replayed from then on. Exit status: 0 when nothing failed.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  copyFileSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', 'fuzz');
const CXX = process.env.TSMIG_FUZZ_CXX ?? 'clang++-16';
const JOBS = 2;
/** Longest input a replay runs whole (the largest datagram is 400 KiB). */
const REPLAY_MAX_LEN = 1 << 20;

const COMMON_FLAGS = [
  '-std=c++17',
  '-O1',
  '-g',
  '-fno-omit-frame-pointer',
  '-fno-sanitize-recover=undefined',
];
const runtimeSources = readdirSync(join(root, 'runtime', 'src', 'linux'))
  .filter((f) => f.endsWith('.cc'))
  .map((f) => join(root, 'runtime', 'src', 'linux', f));
const handshakeDir = join(root, 'runtime', 'src', 'handshake');
/** The child handshake's sources (platform-neutral and Linux parts), for the target that drives it. */
const handshakeSources = [
  ...readdirSync(handshakeDir)
    .filter((f) => f.endsWith('.cc'))
    .map((f) => join(handshakeDir, f)),
  ...readdirSync(join(handshakeDir, 'linux'))
    .filter((f) => f.endsWith('.cc'))
    .map((f) => join(handshakeDir, 'linux', f)),
];
const runtimeHeaders = [
  ...readdirSync(join(root, 'runtime', 'include', 'tsmig')).map((f) =>
    join(root, 'runtime', 'include', 'tsmig', f),
  ),
  ...readdirSync(join(root, 'runtime', 'src', 'linux'))
    .filter((f) => f.endsWith('.h'))
    .map((f) => join(root, 'runtime', 'src', 'linux', f)),
  ...readdirSync(handshakeDir)
    .filter((f) => f.endsWith('.h'))
    .map((f) => join(handshakeDir, f)),
];
const cross = join(root, 'test', 'golden', 'cross');
// The generated server of the cross case: its own file when the emitter splits client and server.
const crossServer = existsSync(join(cross, 'expected', 'input.server.mig.cc'))
  ? join(cross, 'expected', 'input.server.mig.cc')
  : join(cross, 'expected', 'input.mig.cc');

/** The targets: their sources besides the runtime, include directories, and largest input. */
export const targets = {
  wire_receive: {
    sources: [join(root, 'fuzz', 'wire_receive.cc')],
    includes: [join(root, 'runtime', 'src', 'linux')],
    maxLen: 8192,
  },
  cross_demux: {
    sources: [join(root, 'fuzz', 'cross_demux.cc'), crossServer],
    includes: [cross, join(cross, 'expected')],
    maxLen: 4096,
  },
  handshake_parent: {
    sources: [join(root, 'fuzz', 'handshake_parent.cc'), ...handshakeSources],
    includes: [handshakeDir],
    maxLen: 12288,
  },
};

function parseArgs(argv) {
  const opts = { seconds: 60, replay: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--seconds') opts.seconds = Number(argv[++i]);
    else if (argv[i] === '--replay') opts.replay = true;
    else if (argv[i] === '--target') opts.only = argv[++i];
    else
      throw new Error(
        `fuzz/run.js: unknown argument ${argv[i]} (use --seconds N, --replay, --target NAME)`,
      );
  }
  if (!Number.isFinite(opts.seconds) || opts.seconds <= 0)
    throw new Error('fuzz/run.js: --seconds needs a positive number');
  if (opts.only !== null && !(opts.only in targets))
    throw new Error(`fuzz/run.js: no target ${opts.only}`);
  return opts;
}

const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);

/** Runs a command, inheriting output; resolves to its exit status. */
function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit', ...options });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Runs the jobs (functions returning promises) at most JOBS at a time. */
async function pool(jobs) {
  const results = [];
  let next = 0;
  async function worker() {
    while (next < jobs.length) results.push(await jobs[next++]());
  }
  await Promise.all(Array.from({ length: JOBS }, worker));
  return results;
}

async function compile(source, object, includes) {
  const newest = Math.max(
    mtime(source),
    ...runtimeHeaders.map(mtime),
    mtime(fileURLToPath(import.meta.url)),
  );
  if (mtime(object) > newest) return 0;
  mkdirSync(dirname(object), { recursive: true });
  const args = [...COMMON_FLAGS, '-fsanitize=fuzzer-no-link,address,undefined'];
  for (const dir of [join(root, 'runtime', 'include'), join(root, 'fuzz'), ...includes])
    args.push(`-I${dir}`);
  console.log(`fuzz: compiling ${source.slice(root.length + 1)}`);
  return run(CXX, [...args, '-c', source, '-o', object]);
}

/** Builds every selected target; returns their binaries. */
async function build(names) {
  if (spawnSync(CXX, ['--version'], { stdio: 'ignore' }).status !== 0)
    throw new Error(`fuzz/run.js: ${CXX} not found (apt-get install clang-16 libclang-rt-16-dev)`);
  const jobs = runtimeSources.map(
    (src) => () => compile(src, join(out, 'obj', basename(src, '.cc') + '.o'), []),
  );
  for (const name of names)
    for (const src of targets[name].sources)
      jobs.push(() =>
        compile(
          src,
          join(out, 'obj', name, basename(src).replace(/\.cc$/, '.o')),
          targets[name].includes,
        ),
      );
  const statuses = await pool(jobs);
  if (statuses.some((s) => s !== 0)) throw new Error('fuzz/run.js: compilation failed');
  const runtimeObjects = runtimeSources.map((src) => join(out, 'obj', basename(src, '.cc') + '.o'));
  const binaries = {};
  for (const name of names) {
    const objects = [
      ...targets[name].sources.map((src) =>
        join(out, 'obj', name, basename(src).replace(/\.cc$/, '.o')),
      ),
      ...runtimeObjects,
    ];
    const binary = join(out, name);
    if (mtime(binary) <= Math.max(...objects.map(mtime))) {
      const status = await run(CXX, [
        '-fsanitize=fuzzer,address,undefined',
        ...objects,
        '-pthread',
        '-o',
        binary,
      ]);
      if (status !== 0) throw new Error(`fuzz/run.js: linking ${name} failed`);
    }
    binaries[name] = binary;
  }
  return binaries;
}

/** Raw Mach messages of the wire corpus (every vector's bytes), one file each, in `dir`. */
function writeWireMessages(dir, interfaces) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const vectorsDir = join(root, 'test', 'wire', 'vectors');
  if (!existsSync(vectorsDir)) return 0;
  let n = 0;
  for (const file of readdirSync(vectorsDir).filter((f) => f.endsWith('.json'))) {
    const iface = basename(file, '.json');
    if (interfaces && !interfaces.includes(iface)) continue;
    for (const v of JSON.parse(readFileSync(join(vectorsDir, file), 'utf8')).vectors) {
      if (typeof v.message?.hex !== 'string') continue;
      writeFileSync(join(dir, `${iface}-${v.name}`), Buffer.from(v.message.hex, 'hex'));
      n++;
    }
  }
  return n;
}

/** The seed corpus of each target under build/fuzz/seeds/<target>. */
async function writeSeeds(binaries) {
  const seeds = {};
  if (binaries.cross_demux) {
    // The cross interface's requests (good and bad) are the demux's seeds as they are.
    seeds.cross_demux = join(out, 'seeds', 'cross_demux');
    writeWireMessages(seeds.cross_demux, ['cross']);
  }
  if (binaries.wire_receive) {
    // Every wire-corpus message, sent through the runtime with real rights: the datagrams that arrive.
    const messages = join(out, 'messages');
    writeWireMessages(messages, null);
    seeds.wire_receive = join(out, 'seeds', 'wire_receive');
    rmSync(seeds.wire_receive, { recursive: true, force: true });
    mkdirSync(seeds.wire_receive, { recursive: true });
    const status = await run(binaries.wire_receive, ['-runs=0'], {
      env: { ...process.env, TSMIG_FUZZ_CAPTURE: `${messages}:${seeds.wire_receive}` },
    });
    if (status !== 0) throw new Error('fuzz/run.js: capturing the wire_receive seeds failed');
  }
  if (binaries.handshake_parent) {
    // Written by the target itself: it knows its input layout and the protocol's encoder.
    seeds.handshake_parent = join(out, 'seeds', 'handshake_parent');
    rmSync(seeds.handshake_parent, { recursive: true, force: true });
    mkdirSync(seeds.handshake_parent, { recursive: true });
    const status = await run(binaries.handshake_parent, ['-runs=0'], {
      env: { ...process.env, TSMIG_FUZZ_SEEDS: seeds.handshake_parent },
    });
    if (status !== 0) throw new Error('fuzz/run.js: writing the handshake_parent seeds failed');
  }
  return seeds;
}

const filesIn = (dir) => (existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : []);

/** Runs every regression input and seed once; resolves to the exit status. */
async function replay(name, binary, seedDir) {
  const inputs = [...filesIn(join(root, 'fuzz', 'regressions', name)), ...filesIn(seedDir)];
  console.log(`fuzz: replaying ${inputs.length} inputs through ${name}`);
  if (inputs.length === 0) return 0;
  // Through a file list, so thousands of inputs never overflow the command line.
  const dir = join(out, 'replay', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  inputs.forEach((f, i) => copyFileSync(f, join(dir, `${i}-${basename(f)}`)));
  // Whole inputs: captured seeds (large inline regions) are longer than what the fuzzer makes.
  return run(binary, ['-runs=0', `-max_len=${REPLAY_MAX_LEN}`, '-rss_limit_mb=2048', dir]);
}

/** Fuzzes one target for `seconds`; keeps what it finds as regression inputs. */
async function fuzz(name, binary, seedDir, seconds) {
  const corpus = join(out, 'corpus', name);
  const artifacts = join(out, 'artifacts', name);
  mkdirSync(corpus, { recursive: true });
  // A new target has no kept inputs yet: libFuzzer refuses a corpus directory that does not exist.
  mkdirSync(join(root, 'fuzz', 'regressions', name), { recursive: true });
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  const status = await run(binary, [
    `-max_total_time=${seconds}`,
    `-max_len=${targets[name].maxLen}`,
    '-timeout=10',
    '-rss_limit_mb=2048',
    '-print_final_stats=1',
    `-artifact_prefix=${artifacts}/`,
    corpus,
    seedDir,
    join(root, 'fuzz', 'regressions', name),
  ]);
  const found = filesIn(artifacts);
  const keep = join(root, 'fuzz', 'regressions', name);
  for (const f of found) {
    mkdirSync(keep, { recursive: true });
    copyFileSync(f, join(keep, basename(f)));
    console.log(
      `fuzz: ${name} found ${basename(f)}; kept as fuzz/regressions/${name}/${basename(f)}`,
    );
  }
  return found.length > 0 ? 1 : status;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const names = opts.only ? [opts.only] : Object.keys(targets);
  const binaries = await build(names);
  const seeds = await writeSeeds(binaries);
  let failed = false;
  for (const name of names) {
    if ((await replay(name, binaries[name], seeds[name])) !== 0) {
      console.log(`fuzz: ${name}: a regression input or seed fails`);
      failed = true;
    }
  }
  if (!opts.replay) {
    for (const name of names) {
      if ((await fuzz(name, binaries[name], seeds[name], opts.seconds)) !== 0) failed = true;
    }
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  console.error(err.message);
  process.exitCode = 2;
});
