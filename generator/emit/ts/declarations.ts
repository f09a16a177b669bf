// Emit stage (TypeScript): the declarations a generated file is made of —
// interfaces, functions, class members, constants — described as plain
// objects and printed with their JSDoc into a TsWriter. Statement bodies
// are callbacks that write into the same writer.

import type { TsWriter } from './writer.js';

/** A parameter of a function, method or signature. */
export interface ParameterDecl {
  name: string;
  type: string;
  optional?: boolean;
}

/** A function, a class method (with a body) or an interface method (without). */
export interface FunctionDecl {
  name: string;
  docs?: string;
  isAsync?: boolean;
  parameters: ParameterDecl[];
  returnType: string;
  /** Writes the statements of the body; an interface method has none. */
  body?: (w: TsWriter) => void;
}

/** A property of an interface or a class. */
export interface PropertyDecl {
  name: string;
  type: string;
  docs?: string;
  optional?: boolean;
  readonly?: boolean;
}

/** An exported interface. */
export interface InterfaceDecl {
  name: string;
  docs: string;
  properties?: PropertyDecl[];
  methods?: FunctionDecl[];
}

/** A JSDoc comment: on one line when the text has one, else a line per text line. */
export function writeDocs(w: TsWriter, docs: string | undefined): void {
  if (docs === undefined) return;
  const lines = docs.split('\n');
  if (lines.length === 1) {
    w.writeLine(`/** ${docs} */`);
    return;
  }
  w.writeLine('/**');
  for (const l of lines) w.writeLine(l === '' ? ' *' : ` * ${l}`);
  w.writeLine(' */');
}

/** `(a: A, b?: B)`. */
export function parameterList(parameters: ParameterDecl[]): string {
  return `(${parameters.map((p) => `${p.name}${p.optional ? '?' : ''}: ${p.type}`).join(', ')})`;
}

/** `name(…): T` and its body, after `prefix` (`export function `, `async `…); a declaration without a body ends with `;`. */
export function writeFunction(w: TsWriter, prefix: string, fn: FunctionDecl): void {
  writeDocs(w, fn.docs);
  const returnType = fn.returnType === '' ? '' : `: ${fn.returnType}`;
  const head = `${prefix}${fn.isAsync ? 'async ' : ''}${fn.name}${parameterList(fn.parameters)}${returnType}`;
  if (fn.body === undefined) {
    w.writeLine(`${head};`);
    return;
  }
  w.write(head).block(() => fn.body!(w));
  w.newLine();
}

/** `name?: T;` with its JSDoc. */
export function writeProperty(w: TsWriter, p: PropertyDecl): void {
  writeDocs(w, p.docs);
  w.writeLine(`${p.readonly ? 'readonly ' : ''}${p.name}${p.optional ? '?' : ''}: ${p.type};`);
}

/** `export interface Name { … }`: properties, then method signatures. */
export function writeInterface(w: TsWriter, decl: InterfaceDecl): void {
  writeDocs(w, decl.docs);
  w.write(`export interface ${decl.name}`).block(() => {
    for (const p of decl.properties ?? []) writeProperty(w, p);
    for (const m of decl.methods ?? []) writeFunction(w, '', m);
  });
  w.newLine();
}
