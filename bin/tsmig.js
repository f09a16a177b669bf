#!/usr/bin/env node
// The tsmig command: the compiled CLI lives in dist/ (built by `npm run build`).
// `tsmig check` — what editors and hooks run — takes the bundled, code-cached
// fast path when the build made one (TSMIG_NO_BUNDLE=1 turns it off); every
// other command loads the CLI's modules.
const args = process.argv.slice(2);

// A reader that stops early (`tsmig inspect --json | head`) is not an error: stop writing, quietly.
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit();
});

async function run() {
  if (args[0] === 'check' && !process.env.TSMIG_NO_BUNDLE) {
    const { loadCheckBundle } = await import('../dist/generator/cli/bundle-loader.js');
    const fast = loadCheckBundle();
    if (fast !== undefined) return fast.bundle.runCheck(args.slice(1));
  }
  const { main } = await import('../dist/generator/cli.js');
  return main(args);
}

run().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`tsmig: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 70;
  },
);
