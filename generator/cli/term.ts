// CLI: the terminal. Decides whether output may be colored (a TTY, unless
// NO_COLOR says no or FORCE_COLOR says yes, as most command-line tools
// agree), and draws the progress line `gen` shows while it works: on a
// TTY one line redrawn in place and erased at the end, otherwise nothing
// until a single summary line. Writes only through the CliIO it is given.

import type { CliIO } from '../cli.js';

/** What decides colors: the stream's TTY-ness and the environment. */
export interface ColorInputs {
  isTTY: boolean;
  env: Record<string, string | undefined>;
}

/**
 * Whether diagnostics may carry ANSI colors. FORCE_COLOR (anything but
 * `0` or `false`) forces them on, even through a pipe; NO_COLOR (any
 * non-empty value) turns them off; otherwise only a TTY whose TERM is not
 * `dumb` gets them. FORCE_COLOR=0 forces them off.
 */
export function colorEnabled({ isTTY, env }: ColorInputs): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY && env.TERM !== 'dumb';
}

/** How many generated files make a run long enough to deserve a progress line. */
export const PROGRESS_THRESHOLD = 5;

/** A progress reporter for one run over `total` inputs. */
export interface Progress {
  /** Says the run is now at input `index` (0-based), named `label`. */
  step(index: number, label: string): void;
  /** Ends the run: erases the live line; prints the summary when one is due. */
  done(summary: string, filesGenerated: number): void;
}

/**
 * A progress reporter on `io.stderr` for `total` inputs expected to yield
 * `expectedFiles` files. On a TTY (`io.tty`), and only when more than
 * PROGRESS_THRESHOLD files are expected, each step redraws one line
 * (`[3/12] calc.defs`) and `done` erases it; the summary is printed when
 * more than PROGRESS_THRESHOLD files were generated, on a TTY or not.
 */
export function createProgress(io: CliIO, total: number, expectedFiles: number): Progress {
  const live = io.tty === true && expectedFiles > PROGRESS_THRESHOLD;
  let drawn = false;
  return {
    step(index, label) {
      if (!live) return;
      // \r and "erase to end of line" redraw in place without scrolling.
      io.stderr(`\r\x1b[K[${index + 1}/${total}] ${label}`);
      drawn = true;
    },
    done(summary, filesGenerated) {
      if (drawn) io.stderr('\r\x1b[K');
      if (filesGenerated > PROGRESS_THRESHOLD) io.stderr(`${summary}\n`);
    },
  };
}
