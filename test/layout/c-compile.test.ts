// Layouts checked by a C compiler. For every interface of the test corpus
// (test/inspect/cases), each message's fields become a plain C struct under
// `#pragma pack(4)`, with the C types declared by hand in common.h and the
// case's c-types.h (from Apple's definitions, not from tsmig); g++ then
// proves with static_asserts that `sizeof` and every `offsetof` and member
// size equal tsmig's numbers. The test fails when g++ does.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileDefs } from '../../generator/check/compile.js';
import { failedAsserts, layoutAsserts, structDeclaration } from './c-structs.js';

const CASES = join(import.meta.dirname, '..', 'inspect', 'cases');
const cases = readdirSync(CASES).filter((n) => existsSync(join(CASES, n, 'input.defs')));
const work = mkdtempSync(join(tmpdir(), 'tsmig-layout-cc-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The dialect a case asks for in its options.json. */
function dialectOf(name: string): 'apple' | 'gnu' {
  const file = join(CASES, name, 'options.json');
  if (!existsSync(file)) return 'apple';
  const args = (JSON.parse(readFileSync(file, 'utf8')) as { args?: string[] }).args ?? [];
  return args.includes('gnu') ? 'gnu' : 'apple';
}

describe.each(cases)('corpus case %s', (name) => {
  it('compiles with g++ and every size and offset matches', () => {
    const r = compileDefs({ file: join(CASES, name, 'input.defs') }, { dialect: dialectOf(name) });
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
    const parts = [
      `#include "${join(CASES, 'common.h')}"`,
      `#include "${join(CASES, name, 'c-types.h')}"`,
    ];
    let messages = 0;
    r.ir.routines.forEach((rt, i) => {
      const layout = r.layouts.routines[i]!;
      for (const [m, struct] of [
        [layout.request, `Request_${rt.name}`],
        [layout.reply, `Reply_${rt.name}`],
      ] as const) {
        if (!m) continue;
        parts.push(structDeclaration(m, struct), ...layoutAsserts(m, struct));
        messages++;
      }
    });
    expect(messages).toBeGreaterThan(0);
    const file = join(work, `${name}.cc`);
    writeFileSync(file, parts.join('\n') + '\n');
    const res = spawnSync(
      'g++',
      ['-std=c++17', '-fsyntax-only', '-fmax-errors=0', '-Wall', '-Wno-unused', file],
      { encoding: 'utf8' },
    );
    expect(failedAsserts(res.stderr), 'static_asserts that failed').toEqual([]);
    expect(res.status, res.stderr).toBe(0);
  });
});
