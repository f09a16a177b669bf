// Plugin tests' child process: bundles a project with one bundler and
// tsmig's plugin, as that bundler's users would (its own API, tsmig kept
// external because it loads a native addon at run time). Prints one JSON
// line per event on stdout:
//   {"event":"built","out":FILE}           a build succeeded (FILE is the bundle)
//   {"event":"failed","errors":[…]}        a build failed: each {text, file, line, column}
// With --watch it keeps watching after the first build and exits after the
// second (the test edits a file in between).
//
// usage: node bundle.mjs vite|rollup|esbuild|webpack PROJECT_DIR [--watch]

import { resolve } from 'node:path';
import tsmig from 'tsmig/plugin';

const [bundler, projectArg, watchFlag] = process.argv.slice(2);
const root = resolve(projectArg);
const watching = watchFlag === '--watch';
const outDir = resolve(root, 'dist');
const out = resolve(outDir, `${bundler}.mjs`);
let builds = 0;

function report(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** Reports one build's outcome; ends the process after the last expected one. */
function settled(errors, close) {
  report(errors.length === 0 ? { event: 'built', out } : { event: 'failed', errors });
  builds++;
  if (!watching || builds === 2) {
    Promise.resolve(close?.()).then(() => process.exit(0));
  }
}

async function esbuildRun() {
  const esbuild = await import('esbuild');
  let ctx;
  const options = {
    absWorkingDir: root,
    entryPoints: ['src/main.js'],
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile: out,
    external: ['tsmig'],
    logLevel: 'silent',
    plugins: [
      tsmig.esbuild(),
      {
        name: 'report',
        setup(build) {
          build.onEnd((result) =>
            settled(
              result.errors.map((e) => ({
                text: e.text,
                file: e.location?.file,
                line: e.location?.line,
                column: e.location?.column,
              })),
              () => ctx?.dispose(),
            ),
          );
        },
      },
    ],
  };
  if (watching) {
    ctx = await esbuild.context(options);
    await ctx.watch();
  } else {
    await esbuild.build(options).catch(() => {});
  }
}

async function rollupRun() {
  const { rollup, watch } = await import('rollup');
  const input = {
    input: resolve(root, 'src/main.js'),
    external: ['tsmig'],
    plugins: [tsmig.rollup()],
  };
  const output = { file: out, format: 'es' };
  const asError = (e) => [
    { text: e.message, file: e.loc?.file, line: e.loc?.line, column: e.loc?.column },
  ];
  if (!watching) {
    try {
      const bundle = await rollup(input);
      await bundle.write(output);
      await bundle.close();
      settled([]);
    } catch (e) {
      settled(asError(e));
    }
    return;
  }
  const watcher = watch({ ...input, output, watch: { buildDelay: 50 } });
  watcher.on('event', (event) => {
    if (event.code === 'BUNDLE_END') event.result.close();
    if (event.code === 'END') settled([], () => watcher.close());
    if (event.code === 'ERROR') settled(asError(event.error), () => watcher.close());
  });
}

async function viteRun() {
  const { build } = await import('vite');
  const config = {
    root,
    logLevel: 'silent',
    configFile: false,
    plugins: [tsmig.vite()],
    build: {
      ssr: 'src/main.js',
      outDir,
      emptyOutDir: false,
      watch: watching ? {} : null,
      rollupOptions: {
        external: ['tsmig'],
        output: { entryFileNames: `${bundler}.mjs`, format: 'es' },
      },
    },
  };
  const asError = (e) => [
    { text: e.message, file: e.loc?.file, line: e.loc?.line, column: e.loc?.column },
  ];
  if (!watching) {
    try {
      await build(config);
      settled([]);
    } catch (e) {
      settled(asError(e.errors?.[0] ?? e));
    }
    return;
  }
  const watcher = await build(config);
  watcher.on('event', (event) => {
    if (event.code === 'BUNDLE_END') event.result.close();
    if (event.code === 'END') settled([], () => watcher.close());
    if (event.code === 'ERROR') settled(asError(event.error), () => watcher.close());
  });
}

async function webpackRun() {
  const { default: webpack } = await import('webpack');
  const compiler = webpack({
    mode: 'production',
    context: root,
    entry: './src/main.js',
    target: 'node20',
    experiments: { outputModule: true },
    output: {
      path: outDir,
      filename: `${bundler}.mjs`,
      module: true,
      chunkFormat: 'module',
      library: { type: 'module' },
    },
    externalsType: 'module',
    externals: { tsmig: 'tsmig' },
    optimization: { minimize: false },
    infrastructureLogging: { level: 'none' },
    plugins: [tsmig.webpack()],
  });
  const handle = (error, stats) => {
    const errors = error
      ? [{ text: error.message }]
      : stats.hasErrors()
        ? stats
            .toJson({ all: false, errors: true })
            .errors.map((e) => ({ text: e.message, file: e.moduleName }))
        : [];
    settled(
      errors,
      () => new Promise((done) => (watching ? watcher.close(done) : compiler.close(done))),
    );
  };
  const watcher = watching
    ? compiler.watch({ aggregateTimeout: 50 }, handle)
    : compiler.run(handle);
}

const runners = { esbuild: esbuildRun, rollup: rollupRun, vite: viteRun, webpack: webpackRun };
if (!(bundler in runners)) {
  process.stderr.write(`unknown bundler ${bundler}\n`);
  process.exit(2);
}
await runners[bundler]();
