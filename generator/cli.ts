// The `tsmig` command line: parses the verb and hands the rest of the
// arguments to that verb's module (loaded lazily, so `tsmig check` never
// pays for the code generators). Exit codes: 0 success, 1 diagnostics,
// 2 usage.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** What a verb module exports. */
export interface Verb {
  /** One line for `tsmig --help`. */
  summary: string;
  /** The verb's full `--help` text. */
  usage: string;
  /** Runs the verb; resolves to the process exit code. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** Where a verb writes; tests pass their own. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Colors allowed (a TTY without NO_COLOR). */
  color: boolean;
  cwd: string;
}

/** Every verb, by name, loaded on demand. */
const verbs: Record<string, () => Promise<Verb>> = {};

/** Registers a verb loader (verb modules add themselves in `registerVerbs`). */
function verb(name: string, load: () => Promise<{ default: Verb }>): void {
  verbs[name] = async () => (await load()).default;
}

function registerVerbs(): void {
  // One line per verb; each module lives in generator/cli/<verb>.ts.
  verb('check', () => import('./cli/check.js'));
  verb('gen', () => import('./cli/gen.js'));
  verb('inspect', () => import('./cli/inspect.js'));
  verb('native-flags', () => import('./cli/native-flags.js'));
  verb('parse', () => import('./cli/parse.js'));
  verb('preprocess', () => import('./cli/preprocess.js'));
}

function packageVersion(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  try {
    return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

async function mainHelp(io: CliIO): Promise<void> {
  let text = 'usage: tsmig <command> [options]\n\ncommands:\n';
  for (const name of Object.keys(verbs).sort()) {
    const v = await verbs[name]();
    text += `  ${name.padEnd(14)}${v.summary}\n`;
  }
  text += '\nRun `tsmig <command> --help` for a command\'s options.\n';
  io.stdout(text);
}

/** Entry point used by bin/tsmig.js; returns the exit code. */
export async function main(argv: string[], io?: Partial<CliIO>): Promise<number> {
  registerVerbs();
  const full: CliIO = {
    stdout: io?.stdout ?? ((t) => process.stdout.write(t)),
    stderr: io?.stderr ?? ((t) => process.stderr.write(t)),
    color: io?.color ?? (Boolean(process.stderr.isTTY) && !process.env.NO_COLOR),
    cwd: io?.cwd ?? process.cwd(),
  };
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    await mainHelp(full);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    full.stdout(`tsmig ${packageVersion()}\n`);
    return 0;
  }
  const load = verbs[name];
  if (!load) {
    full.stderr(`tsmig: unknown command '${name}' (see tsmig --help)\n`);
    return 2;
  }
  const v = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    full.stdout(v.usage);
    return 0;
  }
  return v.run(rest, full);
}
