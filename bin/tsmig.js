#!/usr/bin/env node
// The tsmig command: the compiled CLI lives in dist/ (built by `npm run build`).
import { main } from '../dist/generator/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`tsmig: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 70;
  },
);
