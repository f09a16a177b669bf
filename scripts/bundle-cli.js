// Build step (after tsc): bundles the `tsmig check` path into one script,
// dist/generator/cli/check-bundle.js, and writes its V8 code cache next to
// it (generator/cli/bundle-loader.ts explains why). bin/tsmig.js uses them
// when they are there and falls back to the ordinary modules when not, so a
// machine without esbuild still builds a working tsmig (only slower to
// start).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = join(root, 'dist', 'generator', 'cli');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  process.stderr.write(
    'bundle-cli: esbuild is not installed; tsmig check will load its modules one by one\n',
  );
  process.exit(0);
}

await esbuild.build({
  entryPoints: [join(cliDir, 'check-entry.js')],
  outfile: join(cliDir, 'check-bundle.js'),
  bundle: true,
  format: 'iife',
  globalName: '__tsmigCheck',
  platform: 'node',
  target: 'node20',
  // Each bundled module's own location: the bundle's (the loader passes it in).
  define: { 'import.meta.url': '__tsmigUrl' },
  logLevel: 'warning',
});

// The cache holds what a check compiles: make it check a file that uses the whole front end.
const scratch = mkdtempSync(join(tmpdir(), 'tsmig-bundle-'));
const sample = join(scratch, 'sample.defs');
writeFileSync(
  sample,
  [
    '#warning a sample for the code cache',
    'subsystem sample 100;',
    '#include <mach/std_types.defs>',
    'type name_t = c_string[*:64];',
    'type bytes_t = array[*:512] of uint8_t;',
    'routine add(server: mach_port_t; a: int; b: int64_t; out sum: int);',
    'routine put(server: mach_port_t; name: name_t; data: bytes_t; port: mach_port_move_send_t);',
    'simpleroutine tell(server: mach_port_t; what: nope_t);',
    '',
  ].join('\n'),
);
try {
  const { writeCheckCache } = await import(join(cliDir, 'bundle-loader.js'));
  await writeCheckCache(sample);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
