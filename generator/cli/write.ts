// CLI and build plugin: how generated files reach the disk. A file is
// written only when its content differs from what is there (so build tools
// and watchers see no spurious change, and mtimes stay put), and atomically:
// the text goes to a temporary file in the same directory, then a rename
// replaces the target, so a reader never sees half a file and an
// interrupted run leaves the old file whole.

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** What happened to one output file. */
export type WriteOutcome = 'written' | 'unchanged';

let sequence = 0;

/**
 * Makes `path` hold exactly `text`: returns 'unchanged' without touching
 * the file when it already does, else writes a temporary sibling and
 * renames it over `path` (creating missing directories). Throws the file
 * system's error (with the path) when it cannot write; the temporary file
 * is removed then.
 */
export function writeFileAtomic(path: string, text: string): WriteOutcome {
  try {
    if (readFileSync(path, 'utf8') === text) return 'unchanged';
  } catch {
    // Missing or unreadable: it gets written.
  }
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  // A dot-file next to the target: same file system (rename is atomic), hidden from globs.
  const temp = join(dir, `.${basename(path)}.${process.pid}.${sequence++}.tmp`);
  try {
    writeFileSync(temp, text);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return 'written';
}
