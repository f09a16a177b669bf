// CLI: the options every verb that reads .defs shares (-I, -D, -U,
// --target, -undef), parsed in one place so `check`, `parse`, `preprocess`
// and later `inspect`/`gen` accept exactly the same spellings, and turned
// into the preprocessor's options. No output and no file access here; a bad
// command line is a returned message, never a throw.

import { isAbsolute, join, relative, resolve } from 'node:path';
import type { FormatOptions } from '../diagnostics.js';
import type { CliIO } from '../cli.js';
import { nodeFileHost, type FileHost } from '../preprocess/host.js';
import type { PreprocessOptions } from '../preprocess/index.js';

/** The preprocessor's view of the command line (matches generator/preprocess `PreprocessOptions`). */
export interface FrontEndOptions {
  includePaths: string[];
  defines: Array<[name: string, value: string]>;
  undefines: string[];
  target: 'x86_64' | 'arm64';
  undef: boolean;
}

/** What a verb accepts beyond the shared options. */
export interface VerbOptionSpec {
  /** Boolean flags, spelled as on the command line (`--json`). */
  flags?: string[];
  /** Options that take a value (`-o FILE`, `--format=x`), spelled as on the command line. */
  values?: string[];
  /** How many file operands the verb takes at least and at most (default 1 and unlimited). */
  minFiles?: number;
  maxFiles?: number;
}

/** A parsed command line. */
export interface ParsedCommandLine {
  files: string[];
  frontEnd: FrontEndOptions;
  /** The verb's boolean flags that were given. */
  flags: Set<string>;
  /** The verb's valued options that were given (last one wins). */
  values: Map<string, string>;
  /** `--target` was given (a config file's target applies only when it was not). */
  targetGiven: boolean;
}

/** The usage lines for the shared options, for each verb's `--help`. */
export const FRONT_END_HELP = [
  "  -I DIR            search DIR for #include files (before tsmig's own defs/)",
  '  -D NAME[=VALUE]   define a macro (VALUE defaults to 1)',
  '  -U NAME           undefine a macro (after every -D)',
  '  --target ARCH     x86_64 (default) or arm64: the Apple target whose macros are predefined',
  '  -undef            predefine no macros at all (as GNU MIG runs cpp)',
].join('\n');

const TARGETS = new Set(['x86_64', 'arm64']);

/**
 * Parses `args` for a verb: the shared options, the verb's own, and file
 * operands. Accepts `-IDIR` and `-I DIR`, `-DNAME=V` and `-D NAME=V`,
 * `--target=ARCH` and `--target ARCH`; `--` ends the options. Returns an
 * error message instead when the command line is not valid.
 */
export function parseCommandLine(
  args: readonly string[],
  spec: VerbOptionSpec = {},
): ParsedCommandLine | { error: string } {
  const frontEnd: FrontEndOptions = {
    includePaths: [],
    defines: [],
    undefines: [],
    target: 'x86_64',
    undef: false,
  };
  const files: string[] = [];
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const verbFlags = new Set(spec.flags ?? []);
  const verbValues = new Set(spec.values ?? []);
  let onlyFiles = false;
  let targetGiven = false;

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (onlyFiles || arg === '-' || !arg.startsWith('-')) {
      files.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyFiles = true;
      continue;
    }
    // The value of an option: glued (`-IDIR`, `--target=x`) or the next argument.
    const valueOf = (name: string): string | { error: string } => {
      if (arg.length > name.length)
        return arg.startsWith(`${name}=`) ? arg.slice(name.length + 1) : arg.slice(name.length);
      if (i + 1 >= args.length) return { error: `option ${name} needs a value` };
      return args[++i];
    };
    const glued = (name: string) =>
      arg === name || (arg.startsWith(name) && (name.length === 2 || arg[name.length] === '='));
    if (arg === '-undef' || arg === '--undef') {
      frontEnd.undef = true;
    } else if (glued('-I')) {
      const dir = valueOf('-I');
      if (typeof dir !== 'string') return dir;
      frontEnd.includePaths.push(dir);
    } else if (glued('-D')) {
      const def = valueOf('-D');
      if (typeof def !== 'string') return def;
      const eq = def.indexOf('=');
      const name = eq < 0 ? def : def.slice(0, eq);
      if (!/^[A-Za-z_][A-Za-z0-9_]*(\(.*\))?$/.test(name))
        return { error: `-D ${def}: '${name}' is not a macro name` };
      frontEnd.defines.push([name, eq < 0 ? '1' : def.slice(eq + 1)]);
    } else if (glued('-U')) {
      const name = valueOf('-U');
      if (typeof name !== 'string') return name;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return { error: `-U ${name}: not a macro name` };
      frontEnd.undefines.push(name);
    } else if (glued('--target')) {
      const target = valueOf('--target');
      if (typeof target !== 'string') return target;
      if (!TARGETS.has(target)) return { error: `--target ${target}: expected x86_64 or arm64` };
      frontEnd.target = target as FrontEndOptions['target'];
      targetGiven = true;
    } else if (verbFlags.has(arg)) {
      flags.add(arg);
    } else if ([...verbValues].some((name) => glued(name))) {
      const name = [...verbValues].find((n) => glued(n))!;
      const value = valueOf(name);
      if (typeof value !== 'string') return value;
      values.set(name, value);
    } else {
      return { error: `unknown option '${arg}'` };
    }
  }

  const min = spec.minFiles ?? 1;
  if (files.length < min)
    return { error: min === 1 ? 'no input file' : `expected at least ${min} input files` };
  if (spec.maxFiles !== undefined && files.length > spec.maxFiles) {
    return {
      error:
        spec.maxFiles === 1
          ? 'expected exactly one input file'
          : `expected at most ${spec.maxFiles} input files`,
    };
  }
  return { files, frontEnd, flags, values, targetGiven };
}

/** Prints a usage error the same way for every verb; returns exit code 2. */
export function usageError(verb: string, message: string, io: CliIO): number {
  io.stderr(`tsmig ${verb}: ${message}\n(see tsmig ${verb} --help)\n`);
  return 2;
}

/**
 * The preprocessor options for a parsed command line. Relative paths (files,
 * -I directories) are relative to `io.cwd`; messages name files as the user
 * typed them.
 */
export function preprocessOptions(cmd: ParsedCommandLine, io: CliIO): PreprocessOptions {
  const cwd = resolve(io.cwd);
  if (cwd === process.cwd()) return { ...cmd.frontEnd };
  // Tests and embedders run the CLI for another directory: read through it.
  const inCwd = (path: string) => (isAbsolute(path) ? path : join(cwd, path));
  const host: FileHost = {
    readFile: (path) => nodeFileHost.readFile(inCwd(path)),
    realpath: (path) => nodeFileHost.realpath!(inCwd(path)),
  };
  return { ...cmd.frontEnd, host };
}

/**
 * How the CLI prints diagnostics: colors per the terminal, and paths under
 * the working directory shown relative to it (so an included standard file
 * reads `node_modules/tsmig/defs/…`, the same on every machine).
 */
export function diagnosticFormat(io: CliIO): FormatOptions {
  return {
    color: io.color,
    displayPath: (file) => {
      if (!isAbsolute(file)) return file;
      const rel = relative(io.cwd, file);
      return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
    },
  };
}
