// The project file, `tsmig.config.json`: which .defs files make the
// project (files or globs), how to preprocess them (include directories,
// defines, target), which MIG dialect to check against, and what to
// generate where — so `tsmig gen` alone builds the project. This module
// finds the file (from a directory upward), reads and validates it against
// the shape `tsmig.schema.json` describes, and expands input globs. Paths in
// the file are relative to the file's directory. It never throws on a bad
// file: every problem comes back as a message naming file:line:col.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** The file name looked up from the working directory upward. */
export const CONFIG_FILE_NAME = 'tsmig.config.json';

/** What `tsmig.config.json` holds (every field optional; see tsmig.schema.json). */
export interface TsmigConfig {
  /** The JSON schema's location, for editors; ignored by tsmig. */
  $schema?: string;
  /** The .defs files: paths or globs (`*`, `**`, `?`, `[…]`, `{a,b}`), relative to the config file. */
  inputs?: string[];
  /** Directories searched for `#include`, before tsmig's own defs/ (like -I). */
  includeDirs?: string[];
  /** Macros defined before reading each file (like -D NAME=VALUE); `true` defines it as 1. */
  defines?: Record<string, string | number | true>;
  /** Macros undefined after the defines (like -U). */
  undefines?: string[];
  /** Whose MIG rules to check against (like --dialect). */
  dialect?: 'apple' | 'gnu';
  /** The Apple target whose macros are predefined (like --target). */
  target?: 'x86_64' | 'arm64';
  /** Predefine no macros at all (like -undef). */
  undef?: boolean;
  /** The languages `tsmig gen` generates (like --lang). */
  languages?: string[];
  /** Where `tsmig gen` writes (like --out). */
  outDir?: string;
}

/** A config file read and checked. */
export interface LoadedConfig {
  /** Absolute path of the file. */
  path: string;
  /** Its directory: the base of every relative path in it. */
  dir: string;
  config: TsmigConfig;
}

/** The keys the file may hold, with the check of each value (an error message, or undefined when fine). */
const FIELDS: Record<keyof TsmigConfig, (value: unknown) => string | undefined> = {
  $schema: (v) => (typeof v === 'string' ? undefined : 'must be a string'),
  inputs: (v) => stringList(v, true),
  includeDirs: (v) => stringList(v, false),
  defines: (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      return 'must be an object of NAME: value (a string, a number or true)';
    for (const [name, value] of Object.entries(v)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `'${name}' is not a macro name`;
      if (typeof value !== 'string' && typeof value !== 'number' && value !== true)
        return `'${name}' must be a string, a number or true`;
    }
    return undefined;
  },
  undefines: (v) => {
    const bad = stringList(v, false);
    if (bad) return bad;
    const name = (v as string[]).find((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
    return name === undefined ? undefined : `'${name}' is not a macro name`;
  },
  dialect: (v) => (v === 'apple' || v === 'gnu' ? undefined : 'must be "apple" or "gnu"'),
  target: (v) => (v === 'x86_64' || v === 'arm64' ? undefined : 'must be "x86_64" or "arm64"'),
  undef: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'),
  languages: (v) => stringList(v, true),
  outDir: (v) => (typeof v === 'string' && v !== '' ? undefined : 'must be a non-empty string'),
};

/** The keys of a config file, in the order the schema lists them. */
export const CONFIG_KEYS = Object.keys(FIELDS) as (keyof TsmigConfig)[];

function stringList(v: unknown, nonEmpty: boolean): string | undefined {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === ''))
    return 'must be an array of non-empty strings';
  if (nonEmpty && v.length === 0) return 'must not be empty';
  return undefined;
}

/** The nearest `tsmig.config.json` in `startDir` or one of its ancestors, or undefined. */
export function findConfigFile(startDir: string): string | undefined {
  let dir = resolve(startDir);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** 1-based line and column of character `offset` in `text`. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** Where key `key` is written in `text` (first occurrence), for messages. */
function keyPosition(text: string, key: string): { line: number; column: number } {
  const at = text.search(new RegExp(`"${key.replace(/[$]/g, '\\$&')}"\\s*:`));
  return position(text, Math.max(0, at));
}

/**
 * Reads and checks the config file at `path`. Returns the config, or an
 * error message `displayName:line:col: error: …` for JSON that does not parse,
 * a key tsmig does not know (a typo would otherwise be ignored), or a value
 * of the wrong shape.
 */
export function loadConfig(
  path: string,
  displayName: string = path,
): LoadedConfig | { error: string } {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return {
      error: `${displayName}: error: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? error})`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // V8 names the offset ("at position 42"); turn it into line:col.
    const message = (error as Error).message;
    const at = /position (\d+)/.exec(message);
    const { line, column } = position(text, at ? Number(at[1]) : 0);
    const reason = message.replace(/\s*in JSON at position \d+.*$/, '');
    return { error: `${displayName}:${line}:${column}: error: not valid JSON: ${reason}` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return { error: `${displayName}:1:1: error: the config must be a JSON object` };
  for (const [key, value] of Object.entries(json)) {
    const check = FIELDS[key as keyof TsmigConfig];
    const { line, column } = keyPosition(text, key);
    if (check === undefined) {
      return {
        error: `${displayName}:${line}:${column}: error: unknown key "${key}" (known: ${CONFIG_KEYS.filter((k) => k !== '$schema').join(', ')})`,
      };
    }
    const problem = check(value);
    if (problem !== undefined)
      return { error: `${displayName}:${line}:${column}: error: "${key}" ${problem}` };
  }
  return { path: file, dir: dirname(file), config: json as TsmigConfig };
}

/** True when `pattern` has glob syntax (otherwise it names one file). */
export function isGlob(pattern: string): boolean {
  return /[*?[{]/.test(pattern);
}

/**
 * A regular expression matching the paths `pattern` matches, `/`-separated
 * and relative to the same base: `*` any characters but `/`, `**` any
 * number of whole directories, `?` one character, `[abc]` a class,
 * `{a,b}` alternatives.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` matches zero or more directories; a trailing `**` matches anything below.
        const slash = pattern[i + 2] === '/';
        source += slash ? '(?:[^/]+/)*' : '.*';
        i += slash ? 2 : 1;
      } else {
        source += '[^/]*';
      }
    } else if (c === '?') {
      source += '[^/]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) {
        source += '\\[';
      } else {
        const body = pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      source += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      source += ')';
    } else if (c === ',' && braces > 0) {
      source += '|';
    } else {
      source += c.replace(/[.+^$()|\\\]}]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

/** The leading directories of a glob that hold no glob syntax (where the walk starts). */
function staticPrefix(pattern: string): string {
  const parts = pattern.split('/');
  const fixed: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (isGlob(part)) break;
    fixed.push(part);
  }
  return fixed.join('/');
}

/**
 * Every file under `dir` (skipping node_modules and dot-directories), as
 * paths relative to `base` with `/`; each directory visited goes to `dirs`.
 */
function walk(base: string, dir: string, out: string[], dirs: Set<string>): void {
  let entries;
  try {
    entries = readdirSync(join(base, dir), { withFileTypes: true });
  } catch {
    return;
  }
  dirs.add(resolve(base, dir));
  for (const entry of entries) {
    const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      walk(base, rel, out, dirs);
    } else if (entry.isFile()) {
      out.push(rel);
    }
  }
}

/** The result of expanding a config's inputs. */
export interface ExpandedInputs {
  /** Absolute paths, sorted, each once. */
  files: string[];
  /** The directories the globs walked (for --watch: a file added there may match). */
  globDirs: string[];
  /** One message per input that names a missing file or matches nothing. */
  errors: string[];
}

/**
 * Expands `patterns` (relative to `baseDir`, or absolute) into files. A
 * plain path must exist; a glob must match at least one file. Globs skip
 * node_modules and dot-directories.
 */
export function expandInputs(patterns: readonly string[], baseDir: string): ExpandedInputs {
  const files = new Set<string>();
  const globDirs = new Set<string>();
  const errors: string[] = [];
  for (const pattern of patterns) {
    const normalized = pattern.split(sep).join('/');
    if (!isGlob(normalized)) {
      const file = resolve(baseDir, normalized);
      if (existsSync(file) && statSync(file).isFile()) files.add(file);
      else errors.push(`input '${pattern}': no such file`);
      continue;
    }
    const absolute = isAbsolute(normalized);
    const root = absolute ? '/' : baseDir;
    const pat = absolute ? normalized.slice(1) : normalized.replace(/^\.\//, '');
    const prefix = staticPrefix(pat);
    const matcher = globToRegExp(pat);
    const candidates: string[] = [];
    walk(root, prefix, candidates, globDirs);
    const matched = candidates.filter((rel) => matcher.test(rel));
    for (const rel of matched) files.add(resolve(root, rel));
    if (matched.length === 0) errors.push(`input '${pattern}' matches no file`);
  }
  return { files: [...files].sort(), globDirs: [...globDirs], errors };
}

/** `file` relative to `dir` when it is inside it, else as given (for messages). */
export function shortPath(file: string, dir: string): string {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
