// Emit stage: the registry of code generators. Each language's emitter is a
// pure function from the checked interface (IR + layouts) to files — a map
// from paths relative to the output directory to their text — and touches no
// file system; only the CLI writes. Emitters load lazily, so a `tsmig gen
// --lang ts` never loads the C++ emitter's Handlebars.

import type { InterfaceIR } from '../check/ir.js';
import type { InterfaceLayout } from '../layout/types.js';
import type { Range } from '../source.js';

/** What an emitter reads. */
export interface EmitInput {
  ir: InterfaceIR;
  layouts: InterfaceLayout;
  /** The output files' base name: `calc` for calc.defs. */
  baseName: string;
  /** The .defs file as named on the `@generated` line: `calc.defs`. */
  sourceName: string;
}

/** Options shared by every emitter (none yet: each language's defaults are the only ones). */
export type EmitOptions = Record<string, never>;

/** The files one emitter produces: path relative to the output directory → text. */
export type EmitOutput = Map<string, string>;

/** A code generator for one language. */
export type Emitter = (input: EmitInput, options: EmitOptions) => EmitOutput | Promise<EmitOutput>;

/**
 * A construct a language cannot express (for instance a C translation
 * function in TypeScript stubs). The CLI prints it as a diagnostic at `loc`
 * and exits 1.
 */
export class EmitError extends Error {
  constructor(
    message: string,
    readonly loc?: Range,
  ) {
    super(message);
    this.name = 'EmitError';
  }
}

/** Every language, by the name `--lang` takes, loaded on first use. */
const LANGUAGES: Record<string, () => Promise<Emitter>> = {
  ts: () => import('./ts/index.js').then((m) => m.emitTypeScript),
  cpp: () => import('./cpp/index.js').then((m) => m.emitCpp),
};

/** The names `--lang` accepts, in a stable order. */
export function languages(): string[] {
  return Object.keys(LANGUAGES).sort();
}

/** Runs the emitters of `langs` on one interface; the files of all of them, in language order. */
export async function emit(input: EmitInput, langs: readonly string[], options: EmitOptions = {}): Promise<EmitOutput> {
  const files: EmitOutput = new Map();
  for (const lang of langs) {
    const load = LANGUAGES[lang];
    if (load === undefined) throw new RangeError(`no emitter for language '${lang}' (known: ${languages().join(', ')})`);
    const emitter = await load();
    for (const [path, text] of await emitter(input, options)) {
      if (files.has(path)) throw new Error(`two emitters both write ${path}`);
      files.set(path, text);
    }
  }
  return files;
}
