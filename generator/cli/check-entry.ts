// CLI: the entry of the bundled fast path of `tsmig check` — what
// scripts/bundle-cli.js bundles into one script (dist/generator/cli/
// check-bundle.js) that bin/tsmig.js runs with V8's code cache. It behaves
// exactly as `tsmig check` through the dispatcher; only the loading differs.

import check from './check.js';
import { defaultIO, runVerb } from './io.js';

/** Runs `tsmig check ARGS` on the process's streams; resolves to the exit code. */
export function runCheck(args: string[]): Promise<number> {
  return runVerb(check, args, defaultIO());
}
