// The TypeScript stubs of a wire-corpus interface, generated now by the
// emitter under test (as `tsmig gen` would) into a file named by its
// content under the system's temporary directory (reused by later runs) and
// imported, with the runtime import pointing at this repository's build —
// the same module the tests' own `import … from 'tsmig'` loads.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { emit } from '../../generator/emit/index.js';
import { pascalCase } from '../../generator/emit/ts/naming.js';
import type { CompileResult } from '../../generator/check/compile.js';
import type { Corpus } from './format.js';

const runtimeEntry = join(import.meta.dirname, '..', '..', 'dist', 'runtime', 'lib', 'index.js');

/** A generated module: its exports by name. */
export type Stubs = Record<string, unknown>;

/** Generates and imports the TypeScript stubs of a corpus's interface. */
export function loadStubs(corpus: Corpus): Promise<Stubs> {
  return loadCompiledStubs(corpus.compiled, corpus.json.interface);
}

/** Generates and imports the TypeScript stubs of a compiled interface. */
export async function loadCompiledStubs(compiled: CompileResult, name: string): Promise<Stubs> {
  const files = await emit({ ir: compiled.ir, layouts: compiled.layouts, baseName: name, sourceName: `${name}.defs` }, ['ts']);
  const text = files.get(`${name}.ts`)!.replace("from 'tsmig'", `from ${JSON.stringify(pathToFileURL(runtimeEntry).href)}`);
  const dir = join(tmpdir(), 'tsmig-test-stubs');
  const file = join(dir, `${name}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.ts`);
  if (!existsSync(file)) {
    // Through a rename: test files running in parallel may write the same file.
    mkdirSync(dir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  }
  return (await import(pathToFileURL(file).href)) as Stubs;
}

/** A routine's pure functions in generated stubs. */
export interface RoutineFunctions {
  encodeRequest: (values: unknown, replyPort?: unknown) => { bytes: Uint8Array; ool: readonly Uint8Array[]; oolPorts: readonly Uint32Array[] };
  decodeRequest: (message: unknown) => unknown;
  encodeReply?: (values: unknown, replyTo: unknown) => { bytes: Uint8Array; ool: readonly Uint8Array[]; oolPorts: readonly Uint32Array[] };
  decodeReply?: (message: unknown, capacities?: unknown) => unknown;
}

/** The encode/decode functions of routine `name` (MIG's name). */
export function routineFunctions(stubs: Stubs, name: string): RoutineFunctions {
  const pascal = pascalCase(name);
  const get = <T>(fn: string): T => {
    const f = stubs[fn];
    if (typeof f !== 'function') throw new Error(`the stubs have no ${fn}`);
    return f as T;
  };
  return {
    encodeRequest: get(`encode${pascal}Request`),
    decodeRequest: get(`decode${pascal}Request`),
    encodeReply: typeof stubs[`encode${pascal}Reply`] === 'function' ? get(`encode${pascal}Reply`) : undefined,
    decodeReply: typeof stubs[`decode${pascal}Reply`] === 'function' ? get(`decode${pascal}Reply`) : undefined,
  };
}
