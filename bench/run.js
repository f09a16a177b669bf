// `npm run bench`: runs every benchmark module in bench/ and prints one
// table of medians and ratios against the peers measured in the same run.
// `npm run bench -- frontend runtime` runs only the named groups.

import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatTable, machineLine } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const modules = readdirSync(here)
  .filter((f) => /^[a-z-]+\.bench\.js$/.test(f))
  .map((f) => f.replace(/\.bench\.js$/, ''))
  .filter((name) => only.length === 0 || only.includes(name))
  .sort();

const rows = [];
for (const name of modules) {
  const mod = await import(pathToFileURL(join(here, `${name}.bench.js`)).href);
  process.stderr.write(`bench: ${name}…\n`);
  rows.push(...(await mod.run({ quick: process.argv.includes('--quick') })));
}
process.stdout.write(`tsmig benchmarks — ${machineLine()}\n\n`);
process.stdout.write(formatTable(rows));
