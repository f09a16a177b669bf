// CLI: what a run works on. Merges the command line with the project's
// `tsmig.config.json` (found from the working directory upward, or named
// by --config): the files to read, the preprocessor's options, the dialect,
// and for `gen` the languages and the output directory. The command line
// wins: FILE operands replace the config's inputs, -I directories are
// searched before the config's, -D/-U apply after the config's, and
// --target, --dialect, --lang and --out replace the config's values.

import { resolve } from 'node:path';
import type { CliIO } from '../cli.js';
import type { Dialect } from '../check/ir.js';
import {
  expandInputs,
  findConfigFile,
  loadConfig,
  shortPath,
  type LoadedConfig,
} from '../config.js';
import type { PreprocessOptions } from '../preprocess/index.js';
import { preprocessOptions, type ParsedCommandLine } from './options.js';

/** The options every config-aware verb accepts besides the front end's. */
export const PROJECT_VALUES = ['--dialect', '--config'];

/** The usage lines of those options. */
export const PROJECT_HELP = [
  '  --dialect D       apple (default) or gnu: whose MIG rules to check against',
  '  --config FILE     read FILE instead of the nearest tsmig.config.json',
].join('\n');

/** A run's inputs and settings, command line and config merged. */
export interface Project {
  /** The .defs files: as typed on the command line, or absolute when they come from the config. */
  files: string[];
  preprocess: PreprocessOptions;
  dialect: Dialect;
  /** From --lang or the config, when either says. */
  languages?: string[];
  /** From --out (relative to the working directory) or the config (relative to it); absolute. */
  outDir?: string;
  /** The config file used, if any. */
  config?: LoadedConfig;
  /** Directories an input glob walked (a new file there may be an input). */
  globDirs: string[];
}

/** Why a project could not be set up: a bad command line (exit 2) or a bad config or input (exit 1). */
export type ProjectError = { usage: string } | { error: string };

/**
 * Merges `cmd` with the config file. `needFiles` says whether the verb
 * needs at least one input (from FILE operands or the config's inputs).
 */
export function resolveProject(
  cmd: ParsedCommandLine,
  io: CliIO,
  needFiles = true,
): Project | ProjectError {
  const explicit = cmd.values.get('--config');
  const configPath = explicit !== undefined ? resolve(io.cwd, explicit) : findConfigFile(io.cwd);
  let config: LoadedConfig | undefined;
  if (configPath !== undefined) {
    const loaded = loadConfig(configPath, shortPath(configPath, io.cwd));
    if ('error' in loaded) return { error: loaded.error };
    config = loaded;
  }
  const c = config?.config ?? {};
  const inConfigDir = (path: string) => resolve(config!.dir, path);

  let files = cmd.files;
  let globDirs: string[] = [];
  if (files.length === 0 && c.inputs !== undefined) {
    const expanded = expandInputs(c.inputs, config!.dir);
    if (expanded.errors.length > 0)
      return {
        error: expanded.errors
          .map((e) => `${shortPath(config!.path, io.cwd)}: error: ${e}`)
          .join('\n'),
      };
    files = expanded.files;
    globDirs = expanded.globDirs;
  }
  if (needFiles && files.length === 0)
    return {
      usage: 'no input file (name .defs files, or list them as "inputs" in tsmig.config.json)',
    };

  const dialect = cmd.values.get('--dialect') ?? c.dialect ?? 'apple';
  if (dialect !== 'apple' && dialect !== 'gnu')
    return { usage: `--dialect ${dialect}: expected apple or gnu` };

  const overridden = new Set([
    ...cmd.frontEnd.defines.map(([name]) => name.replace(/\(.*$/, '')),
    ...cmd.frontEnd.undefines,
  ]);
  const frontEnd = {
    includePaths: [...cmd.frontEnd.includePaths, ...(c.includeDirs ?? []).map(inConfigDir)],
    defines: [
      // A macro the command line defines or undefines replaces the config's (no "redefined" warning).
      ...Object.entries(c.defines ?? {})
        .filter(([name]) => !overridden.has(name))
        .map(([name, value]): [string, string] => [name, value === true ? '1' : String(value)]),
      ...cmd.frontEnd.defines,
    ],
    undefines: [...(c.undefines ?? []), ...cmd.frontEnd.undefines],
    target: cmd.targetGiven ? cmd.frontEnd.target : (c.target ?? cmd.frontEnd.target),
    undef: cmd.frontEnd.undef || c.undef === true,
  };
  const lang = cmd.values.get('--lang');
  const out = cmd.values.get('--out');
  return {
    files,
    preprocess: preprocessOptions({ ...cmd, files, frontEnd }, io),
    dialect,
    languages: lang !== undefined ? lang.split(',').map((l) => l.trim()) : c.languages,
    outDir:
      out !== undefined
        ? resolve(io.cwd, out)
        : c.outDir !== undefined
          ? inConfigDir(c.outDir)
          : undefined,
    config,
    globDirs,
  };
}
