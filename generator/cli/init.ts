// CLI verb `tsmig init`: starts a project in the working directory — a
// `tsmig.config.json` (pointing at the schema shipped in the package) and
// an example interface `defs/calc.defs` that `tsmig gen` turns into
// TypeScript stubs at once. Refuses to overwrite: if either file exists it
// writes nothing and exits 1.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CliIO, Verb } from '../cli.js';
import { CONFIG_FILE_NAME } from '../config.js';

const usage = `usage: tsmig init

Creates, in the working directory:
  ${CONFIG_FILE_NAME}   the project: inputs defs/**/*.defs, TypeScript stubs
                      into src/generated (see node_modules/tsmig/tsmig.schema.json)
  defs/calc.defs      an example interface to start from
Then \`npx tsmig gen\` generates src/generated/calc.ts.
Writes nothing if either file exists already.
Exit status: 0 created, 1 a file exists, 2 bad usage.

options:
  -h, --help        show this help
`;

/** The starter config: every path relative to it. */
export const STARTER_CONFIG = `${JSON.stringify(
  {
    $schema: './node_modules/tsmig/tsmig.schema.json',
    inputs: ['defs/**/*.defs'],
    languages: ['ts'],
    outDir: 'src/generated',
  },
  null,
  2,
)}\n`;

/** The starter interface: a subsystem with a request/reply routine and a one-way message. */
export const STARTER_DEFS = `/*
 * calc: an example interface. \`tsmig gen\` turns it into src/generated/calc.ts:
 * CalcClient (one async method per routine), the CalcServer interface
 * a server implements, and serveCalc(port, server).
 */
subsystem calc 4000;

#include <mach/std_types.defs>

/* A request and its reply: the client waits for sum. */
routine add(
		server	: mach_port_t;
		a	: int;
		b	: int;
	out	sum	: int);

/* A one-way message: no reply. */
simpleroutine log_value(
		server	: mach_port_t;
		value	: int);
`;

async function run(args: string[], io: CliIO): Promise<number> {
  if (args.length > 0) {
    io.stderr(`tsmig init: unexpected argument '${args[0]}'\n(see tsmig init --help)\n`);
    return 2;
  }
  const files: [string, string][] = [
    [CONFIG_FILE_NAME, STARTER_CONFIG],
    [join('defs', 'calc.defs'), STARTER_DEFS],
  ];
  const existing = files.filter(([name]) => existsSync(join(io.cwd, name))).map(([name]) => name);
  if (existing.length > 0) {
    io.stderr(
      `tsmig init: ${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; nothing written\n`,
    );
    return 1;
  }
  for (const [name, text] of files) {
    mkdirSync(dirname(join(io.cwd, name)), { recursive: true });
    // 'wx': fail rather than overwrite a file that appeared since the check.
    writeFileSync(join(io.cwd, name), text, { flag: 'wx' });
  }
  io.stdout(`created ${files.map(([name]) => name).join(' and ')}\nnext: npx tsmig gen\n`);
  return 0;
}

const verb: Verb = {
  summary: 'start a project: tsmig.config.json and an example .defs',
  usage,
  run,
};
export default verb;
