// Test helpers for the check and layout stages: compile inline .defs text
// (after a small prelude of standard types written for the tests) and match
// diagnostics by code, message and position.

import { expect } from 'vitest';
import type { Diagnostic } from '../../generator/diagnostics.js';
import type { Statement } from '../../generator/parse/ast.js';
import { parseText } from '../../generator/parse/index.js';
import { checkDefs } from '../../generator/check/check.js';
import type { Dialect, InterfaceIR, IrRoutine } from '../../generator/check/ir.js';
import { layoutInterface } from '../../generator/layout/layout.js';
import type { InterfaceLayout, RoutineLayout } from '../../generator/layout/types.js';

/** Standard types for test interfaces (the tests' own, in the spirit of std_types.defs). */
export const PRELUDE = `
type char = MACH_MSG_TYPE_CHAR;
type int8_t = MACH_MSG_TYPE_INTEGER_8;
type uint8_t = MACH_MSG_TYPE_INTEGER_8;
type int16_t = MACH_MSG_TYPE_INTEGER_16;
type uint16_t = MACH_MSG_TYPE_INTEGER_16;
type int32_t = MACH_MSG_TYPE_INTEGER_32;
type uint32_t = MACH_MSG_TYPE_INTEGER_32;
type int64_t = MACH_MSG_TYPE_INTEGER_64;
type uint64_t = MACH_MSG_TYPE_INTEGER_64;
type short = int16_t;
type int = int32_t;
type unsigned = uint32_t;
type boolean_t = MACH_MSG_TYPE_BOOLEAN;
type float = MACH_MSG_TYPE_REAL_32;
type double = MACH_MSG_TYPE_REAL_64;
type natural_t = uint32_t;
type integer_t = int32_t;
type kern_return_t = int;
type mach_msg_type_number_t = natural_t;
type mach_port_seqno_t = natural_t;
type mach_vm_address_t = uint64_t;
type mach_port_t = MACH_MSG_TYPE_COPY_SEND;
type mach_port_name_t = MACH_MSG_TYPE_PORT_NAME;
type mach_port_move_receive_t = MACH_MSG_TYPE_MOVE_RECEIVE ctype: mach_port_t;
type mach_port_copy_send_t = MACH_MSG_TYPE_COPY_SEND ctype: mach_port_t;
type mach_port_make_send_t = MACH_MSG_TYPE_MAKE_SEND ctype: mach_port_t;
type mach_port_move_send_t = MACH_MSG_TYPE_MOVE_SEND ctype: mach_port_t;
type mach_port_make_send_once_t = MACH_MSG_TYPE_MAKE_SEND_ONCE ctype: mach_port_t;
type mach_port_move_send_once_t = MACH_MSG_TYPE_MOVE_SEND_ONCE ctype: mach_port_t;
type mach_port_receive_t = MACH_MSG_TYPE_PORT_RECEIVE ctype: mach_port_t;
type mach_port_send_t = MACH_MSG_TYPE_PORT_SEND ctype: mach_port_t;
type mach_port_send_once_t = MACH_MSG_TYPE_PORT_SEND_ONCE ctype: mach_port_t;
type mach_port_poly_t = polymorphic ctype: mach_port_t;
type mach_port_array_t = array[] of mach_port_t;
type pointer_t = ^array[] of MACH_MSG_TYPE_BYTE ctype: vm_offset_t;
type security_token_t = struct[2] of uint32_t;
type audit_token_t = struct[8] of uint32_t;
`;

/** What `compile` returns. */
export interface Compiled {
  ir: InterfaceIR;
  layout: InterfaceLayout;
  diagnostics: Diagnostic[];
}

/** Options of `compile`. */
export interface CompileTestOptions {
  dialect?: Dialect;
  /** Put the test prelude's types before the text (default true). */
  prelude?: boolean;
}

/** GNU MIG defines these itself at the subsystem statement. */
const GNU_BUILTINS = new Set(['char', 'short', 'int']);

/**
 * Parses, checks and lays out `text` (file `test.defs`) with the prelude
 * (file `prelude.defs`) before it — or, in GNU dialect, right after its
 * subsystem statement and without GNU's built-in names, as GNU MIG needs.
 */
export function compile(text: string, options: CompileTestOptions = {}): Compiled {
  const diagnostics: Diagnostic[] = [];
  const main = parseText(text, 'test.defs');
  diagnostics.push(...main.diagnostics);
  let statements: Statement[] = [...main.file.statements];
  if (options.prelude ?? true) {
    const prelude = parseText(PRELUDE, 'prelude.defs');
    diagnostics.push(...prelude.diagnostics);
    if (options.dialect === 'gnu') {
      const types = prelude.file.statements.filter(
        (s) => !(s.kind === 'type' && GNU_BUILTINS.has(s.decl.name.name)),
      );
      const at = statements.findIndex((s) => s.kind === 'subsystem') + 1;
      statements = [...statements.slice(0, at), ...types, ...statements.slice(at)];
    } else statements = [...prelude.file.statements, ...statements];
  }
  const checked = checkDefs(
    { ...main.file, statements },
    { dialect: options.dialect, file: 'test.defs' },
  );
  diagnostics.push(...checked.diagnostics);
  return { ir: checked.ir, layout: layoutInterface(checked.ir), diagnostics };
}

/** `line:col` of a diagnostic in test.defs (or `file:line:col` elsewhere). */
export function position(d: Diagnostic): string {
  if (!d.loc) return '-';
  const at = `${d.loc.line}:${d.loc.column}`;
  return d.loc.file === 'test.defs' ? at : `${d.loc.file}:${at}`;
}

/** What a test expects of one diagnostic. */
export interface ExpectedDiagnostic {
  code: string;
  /** A substring (or pattern) of the message. */
  message: string | RegExp;
  /** `line:col` in test.defs. */
  at: string;
  severity?: 'error' | 'warning';
  dialect?: Dialect;
  prelude?: boolean;
}

/**
 * Compiles `defs` and expects a diagnostic with `code` at `at` whose message
 * matches, with the given severity (error by default). Returns it.
 */
export function expectDiagnostic(defs: string, expected: ExpectedDiagnostic): Diagnostic {
  const { diagnostics } = compile(defs, { dialect: expected.dialect, prelude: expected.prelude });
  const summary = diagnostics.map((d) => `${position(d)} ${d.severity} ${d.code}: ${d.message}`);
  const found = diagnostics.find((d) => d.code === expected.code && position(d) === expected.at);
  expect(found, `no ${expected.code} at ${expected.at}; got:\n${summary.join('\n')}`).toBeDefined();
  expect(found!.severity).toBe(expected.severity ?? 'error');
  if (typeof expected.message === 'string') expect(found!.message).toContain(expected.message);
  else expect(found!.message).toMatch(expected.message);
  return found!;
}

/** Compiles `defs` and expects no diagnostic at all. */
export function expectClean(defs: string, options: CompileTestOptions = {}): Compiled {
  const c = compile(defs, options);
  expect(c.diagnostics.map((d) => `${position(d)} ${d.code}: ${d.message}`)).toEqual([]);
  return c;
}

/** The routine named `name` and its layout. */
export function routine(c: Compiled, name: string): { rt: IrRoutine; layout: RoutineLayout } {
  const i = c.ir.routines.findIndex((r) => r.name === name);
  expect(i, `routine ${name}`).toBeGreaterThanOrEqual(0);
  const layout = c.layout.routines[i];
  expect(layout, `layout of ${name}`).not.toBeNull();
  return { rt: c.ir.routines[i], layout: layout! };
}

/** `name@offset:size` for each field of a message, for compact comparisons. */
export function fieldsOf(m: {
  fields: ReadonlyArray<{ name: string; offset: number; size: number }>;
}): string[] {
  return m.fields.map((f) => `${f.name}@${f.offset}:${f.size}`);
}
