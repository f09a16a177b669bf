#!/usr/bin/env node
// Load run (`npm run load -- [--calls N] [--clients N] [--window N] [--server node|cpp|both]`):
// 8 client processes (test/load/client.mjs, the generated TypeScript stubs of
// test/golden/cross) × 100,000 RPCs each against one Node server
// (test/load/node-server.mjs, generated TypeScript server) and then one C++
// server (test/load/cpp-server.cc, generated C++ server), one call in 20
// carrying rights and one in 20 out-of-line data and ports. Checks: every
// call answered with the right values (nothing lost or duplicated), each
// sender's calls arrive at the server in order, and the server's descriptors
// and names are the same at the start (1 %), middle (50 %) and end, with its
// resident memory flat between middle and end. Prints one table; exits 1 on
// any failure. Needs `npm run build` and the native build first.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { allocatePort } from 'tsmig';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cross = join(root, 'test', 'golden', 'cross');
/** Resident memory may grow this much from the middle to the end (60 bytes per RPC at the default size). */
const RSS_SLACK_BYTES = 24 * 1024 * 1024;

function parseArgs(argv) {
  const opts = { calls: 100_000, clients: 8, window: 4, server: 'both' };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in opts)) throw new Error(`test/load/run.js: unknown option ${argv[i]}`);
    opts[key] = key === 'server' ? argv[++i] : Number(argv[++i]);
  }
  return opts;
}

const work = mkdtempSync(join(tmpdir(), 'tsmig-load-'));

function buildCppServer() {
  const out = join(work, 'cpp-server');
  const build = spawnSync(
    'g++',
    [
      '-std=c++17',
      '-O2',
      `-I${join(root, 'runtime', 'include')}`,
      `-I${cross}`,
      `-I${join(cross, 'expected')}`,
      join(here, 'cpp-server.cc'),
      join(cross, 'expected', 'input.server.mig.cc'),
      join(root, 'build', 'native', 'libtsmig.a'),
      '-pthread',
      '-o',
      out,
    ],
    { encoding: 'utf8' },
  );
  if (build.status !== 0) throw new Error(`cpp-server build failed:\n${build.stderr}`);
  return out;
}

function stubsModule() {
  const out = join(work, 'cross.mjs');
  const runtime = pathToFileURL(join(root, 'dist', 'runtime', 'lib', 'index.js')).href;
  const js = ts
    .transpileModule(readFileSync(join(cross, 'expected', 'input.ts'), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    })
    .outputText.replace(/from 'tsmig'/g, `from ${JSON.stringify(runtime)}`);
  writeFileSync(out, js);
  return out;
}

/** A child with a send right as descriptor 3; its stdout split into lines for `onLine`. */
function startChild(command, args, sendRightOwner, onLine) {
  const fd = sendRightOwner.toDescriptor();
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit', fd] });
  closeSync(fd);
  let buffered = '';
  child.stdout.on('data', (chunk) => {
    buffered += chunk.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  child.exited = new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return child;
}

function residentBytes(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** Scalar calls a client makes (the others carry rights or out-of-line data). */
function scalarCalls(calls) {
  let n = 0;
  for (let k = 0; k < calls; k++) if (k % 20 !== 7 && k % 20 !== 13) n++;
  return n;
}

async function runAgainst(kind, opts, stubs, cppServer) {
  const failures = [];
  // The server, and its hello with a send right to its service port.
  const inbox = allocatePort();
  let summary = null;
  const server =
    kind === 'node'
      ? startChild(
          process.execPath,
          ['--expose-gc', join(here, 'node-server.mjs'), stubs],
          inbox,
          onServerLine,
        )
      : startChild(cppServer, [], inbox, onServerLine);
  function onServerLine(line) {
    if (line.startsWith('summary ')) summary = JSON.parse(line.slice(8));
  }
  const hello = await inbox.receive({ timeout: 60_000 });
  const service = hello.replyPort;
  inbox.close();
  const { CrossClient } = await import(pathToFileURL(stubs).href);
  const observer = new CrossClient(service);

  // The clients, and the checkpoints they all stop at.
  const samples = {};
  const waiting = new Map(); // phase -> clients that reached it
  const done = [];
  let phaseReached;
  const clients = [];
  for (let i = 0; i < opts.clients; i++) {
    const child = startChild(
      process.execPath,
      [join(here, 'client.mjs'), stubs, String(i), String(opts.calls), String(opts.window)],
      service,
      (line) => {
        const [word, a, b, ...rest] = line.split(' ');
        if (word === 'at') {
          const list = waiting.get(a) ?? [];
          list.push(Number(b));
          waiting.set(a, list);
          if (list.length === opts.clients) phaseReached(a);
        } else if (word === 'done') {
          done.push({ ok: Number(a), failures: Number(b), first: rest.join(' ') });
        }
      },
    );
    clients.push(child);
  }
  const started = Date.now();
  let startedCalls = 0;
  for (const phase of ['start', 'middle', 'end']) {
    await new Promise((resolve) => (phaseReached = resolve));
    if (phase === 'start') startedCalls = Date.now();
    const stats = await observer.stats();
    samples[phase] = {
      fds: stats.fds, // counted by the server itself, after releasing its out-of-line caches
      names: stats.names,
      rss: residentBytes(server.pid),
      clientFds: waiting.get(phase),
      at: Date.now(),
    };
    for (const c of clients) c.stdin.write('\n');
  }
  const results = await Promise.all(clients.map((c) => c.exited));
  const seconds = (samples.end.at - startedCalls) / 1000;
  observer.close();
  service.close();
  server.stdin.end();
  await server.exited;

  // Everything answered, correctly; nothing lost, duplicated or reordered per sender.
  if (results.some((r) => r.code !== 0))
    failures.push(`a client exited badly: ${JSON.stringify(results)}`);
  if (done.length !== opts.clients)
    failures.push(`${done.length} of ${opts.clients} clients finished`);
  for (const d of done) {
    if (d.ok !== opts.calls || d.failures !== 0)
      failures.push(`client: ${d.ok} ok, ${d.failures} failed (${d.first})`);
  }
  if (!summary) failures.push('no summary from the server');
  else {
    if (summary.orderErrors !== 0)
      failures.push(`${summary.orderErrors} calls out of order at the server`);
    if (summary.calls !== opts.calls * opts.clients)
      failures.push(`server saw ${summary.calls} calls`);
    for (let i = 0; i < opts.clients; i++) {
      if (summary.perSender[i] !== scalarCalls(opts.calls))
        failures.push(
          `sender ${i}: ${summary.perSender[i]} scalar calls arrived, ${scalarCalls(opts.calls)} sent`,
        );
    }
  }
  // Flat: the same descriptors and names at every checkpoint; memory not growing from middle to end.
  const { start, middle, end } = samples;
  if (!(start.fds === middle.fds && middle.fds === end.fds))
    failures.push(`server descriptors ${start.fds}/${middle.fds}/${end.fds}`);
  if (!(start.names === middle.names && middle.names === end.names))
    failures.push(`server names ${start.names}/${middle.names}/${end.names}`);
  if (end.rss - middle.rss > RSS_SLACK_BYTES)
    failures.push(`server memory grew ${end.rss - middle.rss} bytes`);
  for (let i = 0; i < opts.clients; i++) {
    if (!(start.clientFds[i] === middle.clientFds[i] && middle.clientFds[i] === end.clientFds[i]))
      failures.push(`client descriptors ${start.clientFds}/${middle.clientFds}/${end.clientFds}`);
  }
  return {
    kind,
    calls: opts.calls * opts.clients,
    seconds: (Date.now() - started) / 1000,
    rate: Math.round((opts.calls * opts.clients * 0.99) / seconds),
    samples,
    failures,
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const stubs = stubsModule();
  const kinds = opts.server === 'both' ? ['node', 'cpp'] : [opts.server];
  const cppServer = kinds.includes('cpp') ? buildCppServer() : null;
  const rows = [];
  for (const kind of kinds) rows.push(await runAgainst(kind, opts, stubs, cppServer));
  rmSync(work, { recursive: true, force: true });
  const mib = (b) => (b / 1048576).toFixed(1);
  console.log(
    `\n${opts.clients} clients × ${opts.calls} calls (window ${opts.window}; 1/20 with rights, 1/20 with out-of-line data), machine load not controlled`,
  );
  console.log(
    'server | calls   | wall s | RPC/s  | server fds s/m/e | names s/m/e | RSS MiB s/m/e     | result',
  );
  for (const r of rows) {
    const s = r.samples;
    console.log(
      `${r.kind.padEnd(6)} | ${String(r.calls).padEnd(7)} | ${r.seconds.toFixed(1).padStart(6)} | ${String(r.rate).padStart(6)} | ` +
        `${s.start.fds}/${s.middle.fds}/${s.end.fds}`.padEnd(16) +
        ' | ' +
        `${s.start.names}/${s.middle.names}/${s.end.names}`.padEnd(11) +
        ' | ' +
        `${mib(s.start.rss)}/${mib(s.middle.rss)}/${mib(s.end.rss)}`.padEnd(17) +
        ` | ${r.failures.length === 0 ? 'ok' : 'FAIL'}`,
    );
    for (const f of r.failures) console.log(`  ${r.kind}: ${f}`);
  }
  process.exitCode = rows.every((r) => r.failures.length === 0) ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 2;
});
