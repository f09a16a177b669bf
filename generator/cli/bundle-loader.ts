// CLI: loading the bundled `tsmig check` with V8's code cache. A cold
// `tsmig check` spent most of its own time loading some thirty ES modules
// (resolving, reading and compiling each) and compiling the functions it
// ran; one bundled script whose bytecode comes from a cache made at build
// time skips both. Node 20 has no module compile cache, so the script runs
// through vm.Script with `cachedData`. Anything missing or rejected (no
// bundle, another Node version) falls back: no bundle means the caller uses
// the ordinary modules, a rejected cache only means compiling as usual.

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

/** The bundle (built by scripts/bundle-cli.js next to this module) and its code cache. */
const BUNDLE = fileURLToPath(new URL('check-bundle.js', import.meta.url));
const CACHE = fileURLToPath(new URL('check-bundle.cache', import.meta.url));

/** What the bundle's entry (generator/cli/check-entry.ts) exports. */
export interface CheckBundle {
  runCheck(args: string[]): Promise<number>;
}

/**
 * The bundle's text as a function of the values esbuild left as free names:
 * `__tsmigUrl` (what the bundled modules' `import.meta.url` became) and
 * `require` (node: built-ins). Fixed: the cache is valid for this exact text.
 */
function wrap(source: string): string {
  return `(function (__tsmigUrl, require) {\n${source}\nreturn __tsmigCheck;\n})`;
}

/** Compiles and runs the bundle; undefined when there is none. */
function load(cachedData: Buffer | undefined): { bundle: CheckBundle; script: Script } | undefined {
  let source: string;
  try {
    source = readFileSync(BUNDLE, 'utf8');
  } catch {
    return undefined;
  }
  const script = new Script(wrap(source), { filename: BUNDLE, cachedData });
  const factory = script.runInThisContext() as (url: string, require: NodeRequire) => CheckBundle;
  return { bundle: factory(pathToFileURL(BUNDLE).href, createRequire(BUNDLE)), script };
}

/** The loaded fast path, and whether V8 took its bytecode from the cache. */
export interface LoadedCheckBundle {
  bundle: CheckBundle;
  /** 'used': bytecode from the cache; 'rejected': V8 refused it (another Node); 'none': no cache file. */
  cache: 'used' | 'rejected' | 'none';
}

/** The bundled `tsmig check`, its bytecode from the cache when the cache fits; undefined without a bundle. */
export function loadCheckBundle(): LoadedCheckBundle | undefined {
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(CACHE);
  } catch {
    // No cache: compile as usual.
  }
  const loaded = load(cachedData);
  if (loaded === undefined) return undefined;
  const cache =
    cachedData === undefined ? 'none' : loaded.script.cachedDataRejected ? 'rejected' : 'used';
  return { bundle: loaded.bundle, cache };
}

/**
 * Build step: runs the bundle once on `sample` (a .defs file) so the
 * functions a check uses are compiled, then writes the code cache. Returns
 * the cache's size in bytes.
 */
export async function writeCheckCache(sample: string): Promise<number> {
  const loaded = load(undefined);
  if (loaded === undefined) throw new Error(`no bundle at ${BUNDLE}`);
  // The sample's diagnostics are not for anyone: silence the streams while it runs.
  const write = process.stderr.write;
  process.stderr.write = () => true;
  try {
    await loaded.bundle.runCheck([sample]);
  } finally {
    process.stderr.write = write;
  }
  const data = loaded.script.createCachedData();
  writeFileSync(CACHE, data);
  return data.length;
}
