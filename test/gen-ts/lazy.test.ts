// A cold `tsmig check` must stay fast: the verbs that only read .defs never
// load the code generators (ts-morph, prettier). Walks the static imports of
// each such verb's module graph in the sources. `tsmig gen` stays fast too:
// the TypeScript emitter writes laid-out text itself and loads neither a
// formatter nor the TypeScript compiler.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from './helpers.js';

/** Every module a module reaches through static imports (relative ones followed, packages listed). */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    // Static imports only: `import … from '…'` and `export … from '…'` at the start of a statement (not `import(…)`).
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) {
      const spec = m[1];
      if (!spec.startsWith('.')) {
        seen.add(`package:${spec}`);
        continue;
      }
      // Sources are .ts; generated modules (the Peggy parser) are .js.
      const ts = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      visit(existsSync(ts) ? ts : resolve(dirname(file), spec));
    }
  };
  visit(entry);
  return seen;
}

it.each(['check', 'inspect', 'parse', 'preprocess'])('tsmig %s loads no code generator', (verb) => {
  const graph = [...staticGraph(join(repoRoot, 'generator', 'cli', `${verb}.ts`)), ...staticGraph(join(repoRoot, 'generator', 'cli.ts'))];
  expect(graph.filter((m) => /ts-morph|prettier|handlebars|generator\/emit\//.test(m))).toEqual([]);
});

it('tsmig gen loads the emitters only when it runs', () => {
  const graph = [...staticGraph(join(repoRoot, 'generator', 'cli', 'gen.ts'))];
  expect(graph.filter((m) => /ts-morph|prettier|generator\/emit\//.test(m))).toEqual([]);
  // The emitters come in through a dynamic import somewhere in gen's graph (generator/cli/generate.ts today).
  const lazy = graph.filter((m) => !m.startsWith('package:') && /await import\('\.\.\/emit\/index\.js'\)/.test(readFileSync(m, 'utf8')));
  expect(lazy.length).toBeGreaterThan(0);
});

it('the TypeScript emitter loads no formatter and no TypeScript compiler', () => {
  const graph = [...staticGraph(join(repoRoot, 'generator', 'emit', 'ts', 'index.ts'))];
  // Node's own modules only: no package at all.
  expect(graph.filter((m) => m.startsWith('package:') && !m.startsWith('package:node:'))).toEqual([]);
});
