// Test helpers: C text from message layouts, for checking tsmig's numbers
// with a C compiler. `structDeclaration` declares a struct from the field
// list under `#pragma pack(4)`; `layoutAsserts` states every size and
// offset as `static_assert`s against any struct with Apple's member names.

import type { MessageLayout } from '../../generator/layout/types.js';

/** A C identifier-safe label for assert messages. */
function label(struct: string, member?: string): string {
  return member ? `${struct}.${member}` : struct;
}

/** `#pragma pack(4)` struct declaring `m`'s fields with their C types, named `name`. */
export function structDeclaration(m: MessageLayout, name: string): string {
  const lines = ['#pragma pack(push, 4)', 'typedef struct {'];
  for (const f of m.fields) {
    lines.push(`  ${f.cType} ${f.name}${f.arrayLength !== undefined ? `[${f.arrayLength}]` : ''};`);
  }
  lines.push(`} ${name};`, '#pragma pack(pop)');
  return lines.join('\n');
}

/** `static_assert`s: the struct's size is `maxSize`, each member at its offset with its size. */
export function layoutAsserts(m: MessageLayout, struct: string): string[] {
  const out = [
    `static_assert(sizeof(${struct}) == ${m.maxSize}, "${label(struct)} size ${m.maxSize}");`,
  ];
  for (const f of m.fields) {
    out.push(
      `static_assert(offsetof(${struct}, ${f.name}) == ${f.offset}, "${label(struct, f.name)} offset ${f.offset}");`,
    );
    out.push(
      `static_assert(sizeof(((${struct} *)0)->${f.name}) == ${f.size}, "${label(struct, f.name)} size ${f.size}");`,
    );
  }
  return out;
}

/** The `struct` labels of failed asserts in a compiler's error output. */
export function failedAsserts(compilerOutput: string): string[] {
  const failed = new Set<string>();
  for (const m of compilerOutput.matchAll(/static assertion failed[^"]*"([^"]+)"/g))
    failed.add(m[1]);
  for (const m of compilerOutput.matchAll(/static_assert failed[^"]*"([^"]+)"/g)) failed.add(m[1]);
  return [...failed];
}
