// The build-step plugin (`tsmig/plugin`): one implementation, through
// unplugin, for Vite, Rollup, esbuild and webpack. A module that imports a
// .defs file — `import { CalcClient, serveCalc } from './calc.defs'` — gets
// the TypeScript stubs `tsmig gen` would write, compiled at build time and
// handed to the bundler as plain JavaScript (so bundlers that do not
// compile TypeScript work too). Diagnostics become the bundler's own errors,
// with file, line and column, and the caret excerpt in the message; every
// file the .defs includes is registered as a watch dependency; the types of
// the import come from `calc.defs.d.ts`, written next to the .defs (only
// when it changes). Settings: the nearest tsmig.config.json above the
// .defs file, then the plugin's options.

import { dirname, relative, resolve } from 'node:path';
import { createUnplugin, type UnpluginInstance } from 'unplugin';
import type { Dialect } from './check/ir.js';
import { findConfigFile, loadConfig, type TsmigConfig } from './config.js';
import { formatDiagnostics } from './diagnostics.js';
import { baseNameOf, generateFile } from './cli/generate.js';
import { javascriptOf } from './cli/transpile.js';
import { writeFileAtomic } from './cli/write.js';
import type { PreprocessOptions } from './preprocess/index.js';

/** The plugin's options; each overrides the same setting of tsmig.config.json. */
export interface TsmigPluginOptions {
  /** Directories searched for `#include` (relative to the working directory), before the config's. */
  includeDirs?: string[];
  /** Macros defined before each .defs is read, after the config's. */
  defines?: Record<string, string | number | true>;
  /** Macros undefined after the defines. */
  undefines?: string[];
  /** Whose MIG rules to check against (default: the config's, else apple). */
  dialect?: Dialect;
  /** The Apple target whose macros are predefined (default: the config's, else x86_64). */
  target?: 'x86_64' | 'arm64';
  /** Write `<file>.defs.d.ts` next to each imported .defs (default true). */
  dts?: boolean;
  /** A tsmig.config.json to use, or false for none (default: the nearest above each .defs). */
  config?: string | false;
}

/** True for the module ids the plugin compiles: paths ending in `.defs` (a `?query` allowed). */
function isDefs(id: string): boolean {
  return /\.defs(\?.*)?$/.test(id);
}

/** A module id without its query string: the file path. */
function fileOf(id: string): string {
  return id.replace(/\?.*$/, '');
}

/** The preprocessor options and dialect for one .defs file: its config, then the plugin's options. */
function settingsFor(
  file: string,
  options: TsmigPluginOptions,
): { preprocess: PreprocessOptions; dialect: Dialect } | { error: string } {
  let config: TsmigConfig = {};
  let base = process.cwd();
  const configPath =
    options.config === false
      ? undefined
      : options.config !== undefined
        ? resolve(options.config)
        : findConfigFile(dirname(file));
  if (configPath !== undefined) {
    const loaded = loadConfig(configPath);
    if ('error' in loaded) return { error: loaded.error };
    config = loaded.config;
    base = loaded.dir;
  }
  const defines = { ...config.defines, ...options.defines };
  return {
    preprocess: {
      includePaths: [
        ...(options.includeDirs ?? []).map((d) => resolve(d)),
        ...(config.includeDirs ?? []).map((d) => resolve(base, d)),
      ],
      defines: Object.entries(defines).map(([name, value]): [string, string] => [
        name,
        value === true ? '1' : String(value),
      ]),
      undefines: [...(config.undefines ?? []), ...(options.undefines ?? [])],
      target: options.target ?? config.target ?? 'x86_64',
      undef: config.undef === true,
    },
    dialect: options.dialect ?? config.dialect ?? 'apple',
  };
}

/** Paths in messages: relative to the working directory when inside it. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') ? rel : file;
}

/** The plugin, for every bundler unplugin supports; use `.vite()`, `.rollup()`, `.esbuild()` or `.webpack()`. */
export const tsmig: UnpluginInstance<TsmigPluginOptions | undefined, false> = createUnplugin<
  TsmigPluginOptions | undefined,
  false
>((rawOptions) => {
  const options = rawOptions ?? {};
  return {
    name: 'tsmig',
    enforce: 'pre',
    loadInclude: isDefs,
    async load(id) {
      if (!isDefs(id)) return null;
      const file = resolve(fileOf(id));
      const framework = this.getNativeBuildContext?.().framework;
      // Each bundler reports a plugin error its own way; all of them get the full text.
      const fail = (message: string, loc?: { file: string; line: number; column: number }) => {
        // webpack: a thrown error is the module's build error (emitError would let the build go on); its stack is noise.
        if (framework === 'webpack') throw Object.assign(new Error(message), { hideStack: true });
        // Rollup and Vite throw here; esbuild records it and fails the build when load returns.
        this.error({ message, id: file, loc });
        return { code: '' };
      };
      const settings = settingsFor(file, options);
      if ('error' in settings) return fail(settings.error);
      const result = await generateFile(file, {
        ...settings,
        languages: ['ts'],
        declarations: options.dts !== false,
      });
      for (const dependency of result.dependencies) this.addWatchFile(dependency);
      if (result.files === null) {
        const errors = result.diagnostics.filter((d) => d.severity === 'error');
        const first = errors[0]?.loc;
        const text = formatDiagnostics(errors, result.sources.lookup, {
          color: false,
          displayPath,
        }).trimEnd();
        // Bundlers count columns from 0.
        return fail(
          text,
          first && { file: resolve(first.file), line: first.line, column: first.column - 1 },
        );
      }
      if (result.declarations !== undefined) writeFileAtomic(`${file}.d.ts`, result.declarations);
      const stubs = result.files.get(`${baseNameOf(file)}.ts`)!;
      return { code: javascriptOf(stubs, `${baseNameOf(file)}.ts`), map: null };
    },
  };
});

/** The Vite plugin: `plugins: [vite()]` in vite.config. */
export const vite = tsmig.vite;
/** The Rollup plugin: `plugins: [rollup()]` in rollup.config. */
export const rollup = tsmig.rollup;
/** The esbuild plugin: `plugins: [esbuild()]` in esbuild's build options. */
export const esbuild = tsmig.esbuild;
/** The webpack plugin: `plugins: [webpack()]` in webpack.config. */
export const webpack = tsmig.webpack;

export default tsmig;
