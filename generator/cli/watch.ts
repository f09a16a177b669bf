// CLI: `--watch`. Runs a build, then watches what it read — every .defs
// file and everything it included, the config file, the directories input
// globs walked — and runs it again shortly after any of them changes. A
// failed build keeps the watch going (fix the file and save: the next build
// runs); while the last build failed, any change in a watched directory
// triggers one, since the fix may be a file that did not exist yet. Files
// the build itself writes never trigger a build. Ends on SIGINT/SIGTERM (or
// the given AbortSignal), closing every watcher.

import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CliIO } from '../cli.js';

/** What one build reports to the watch loop. */
export interface WatchedBuild {
  /** The build's exit code (0: fine). */
  code: number;
  /** Files whose change calls for a new build (absolute). */
  files: string[];
  /** Directories where a new or changed `.defs` file calls for a new build (absolute). */
  dirs: string[];
  /** Files the build wrote (absolute), ignored when they change. */
  outputs: string[];
  /** One line for the status: "2 files written", "3 errors"… */
  summary: string;
}

/** How long to wait after a change before building (editors save in several steps). */
const SETTLE_MS = 40;

/** `hh:mm:ss` of now, for the status lines. */
function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

/**
 * Runs `build` now and again after every relevant change until a signal
 * (or `signal`) ends the watch; resolves to 0 then.
 */
export async function watchLoop(
  build: () => Promise<WatchedBuild>,
  io: CliIO,
  signal?: AbortSignal,
): Promise<number> {
  let watchers: FSWatcher[] = [];
  let last: WatchedBuild | undefined;
  let timer: NodeJS.Timeout | undefined;
  let building = false;
  let dirty = false;
  let finish!: () => void;
  const ended = new Promise<void>((resolve) => (finish = resolve));

  const closeWatchers = () => {
    for (const w of watchers) w.close();
    watchers = [];
  };

  const relevant = (dir: string, name: string | null): boolean => {
    if (last === undefined) return false;
    if (name === null) return true;
    const path = join(dir, name);
    if (last.outputs.includes(path)) return false;
    if (last.files.includes(path)) return true;
    if (last.dirs.includes(dir) && name.endsWith('.defs')) return true;
    // After a failure the fix may be a file nothing read yet (a missing include).
    return last.code !== 0 && !name.startsWith('.');
  };

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void rebuild(), SETTLE_MS);
  };

  const rewatch = (result: WatchedBuild) => {
    closeWatchers();
    // Watching directories (not files) survives editors that save by renaming a new file over the old.
    const dirs = new Set([...result.files.map((f) => dirname(f)), ...result.dirs]);
    for (const dir of dirs) {
      try {
        const w = watch(dir, { persistent: true }, (_event, name) => {
          if (relevant(dir, name === null ? null : basename(name.toString()))) schedule();
        });
        w.on('error', () => w.close());
        watchers.push(w);
      } catch {
        // A directory that does not exist (a missing -I path) cannot be watched; its parent's files still are.
      }
    }
  };

  // Modification times already acted on, so a file dated in the future triggers one build, not a loop.
  const seen = new Map<string, number>();
  /**
   * True when a file the build read changed after it started: an edit made
   * between the build reading it and the new watchers starting is seen by
   * no watcher (the old ones are closed, the new ones were not there yet).
   */
  const changedSince = (result: WatchedBuild, startedAt: number): boolean => {
    let changed = false;
    for (const file of result.files) {
      if (result.outputs.includes(file)) continue;
      let mtime: number;
      try {
        mtime = statSync(file).mtimeMs;
      } catch {
        continue; // gone: the watcher of its directory reports that
      }
      if (mtime >= startedAt && seen.get(file) !== mtime) changed = true;
      seen.set(file, mtime);
    }
    return changed;
  };

  const rebuild = async () => {
    if (building) {
      dirty = true;
      return;
    }
    building = true;
    try {
      do {
        dirty = false;
        // Millisecond clock against file times that may be coarser: a little early is safe (one extra build).
        const startedAt = Date.now() - 5;
        last = await build();
        rewatch(last);
        if (changedSince(last, startedAt)) dirty = true;
        const watched = last.files.length;
        io.stderr(
          `[${clock()}] ${last.summary}; watching ${watched} file${watched === 1 ? '' : 's'} for changes\n`,
        );
      } while (dirty);
    } finally {
      building = false;
    }
  };

  const stop = () => finish();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  signal?.addEventListener('abort', stop, { once: true });
  await rebuild();
  await ended;
  clearTimeout(timer);
  closeWatchers();
  process.removeListener('SIGINT', stop);
  process.removeListener('SIGTERM', stop);
  signal?.removeEventListener('abort', stop);
  return 0;
}
