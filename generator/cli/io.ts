// CLI: the pieces every way into a verb shares — the default terminal I/O
// (real streams, colors per the terminal and NO_COLOR/FORCE_COLOR, the
// working directory) and running one verb with `--help` handled. Kept apart
// from the dispatcher (generator/cli.ts, which knows every verb) so the
// bundled fast path of `tsmig check` can use them without pulling in the
// other verbs.

import type { CliIO, Verb } from '../cli.js';
import { colorEnabled } from './term.js';

/** The process's own streams and working directory, with any field of `io` replacing the default. */
export function defaultIO(io?: Partial<CliIO>): CliIO {
  return {
    stdout: io?.stdout ?? ((t) => process.stdout.write(t)),
    stderr: io?.stderr ?? ((t) => process.stderr.write(t)),
    color: io?.color ?? colorEnabled({ isTTY: Boolean(process.stderr.isTTY), env: process.env }),
    cwd: io?.cwd ?? process.cwd(),
    tty: io?.tty ?? Boolean(process.stderr.isTTY),
  };
}

/** Runs `verb` on its arguments: its usage for `--help`/`-h`, else the verb; resolves to the exit code. */
export async function runVerb(verb: Verb, args: string[], io: CliIO): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(verb.usage);
    return 0;
  }
  return verb.run(args, io);
}
