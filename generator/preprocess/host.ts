// Preprocess stage: how files are found and read. The default host is the
// real file system; tests pass an in-memory one. tsmig's own standard
// includes (`defs/`) are located from this module's own path, which works
// both from the TypeScript sources and from the compiled `dist/` tree.

import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How the preprocessor reads files; the CLI passes the real file system, tests an in-memory map. */
export interface FileHost {
  /** The file's text, or undefined when there is no such (readable) file. */
  readFile(path: string): string | undefined;
  /** Canonical identity of a path for include-once and cycle detection (default: path.resolve). */
  realpath?(path: string): string;
}

/** The real file system (UTF-8; directories and unreadable files count as missing). */
export const nodeFileHost: FileHost = {
  readFile(path: string): string | undefined {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  realpath(path: string): string {
    try {
      return realpathSync.native(path);
    } catch {
      return resolve(path);
    }
  },
};

let stdDir: string | undefined;

/** Where tsmig's own standard includes live (the repository's `defs/` directory, found from this module's location both in the sources and in `dist/`). */
export function stdIncludeDir(): string {
  if (stdDir !== undefined) return stdDir;
  const here = dirname(fileURLToPath(import.meta.url));
  // generator/preprocess/ in the sources, dist/generator/preprocess/ when compiled.
  const candidates = [join(here, '..', '..', 'defs'), join(here, '..', '..', '..', 'defs')];
  stdDir =
    candidates.find((dir) => existsSync(join(dir, 'mach', 'std_types.defs'))) ?? candidates[0];
  return stdDir;
}
