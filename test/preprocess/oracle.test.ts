// An independent oracle: GCC's preprocessor. For every .defs that Debian's
// gnumach-dev installs (under the define sets GNU MIG users pass), for
// tsmig's own tricky corpus, and for the macOS SDK's .defs when the SDK is
// cached on this machine, tsmig's output must have exactly the token
// sequence `cpp -P -undef` produces. Whitespace is not compared.
//
// Also checks tsmig's own defs/ against the SDK: after preprocessing, every
// `type` statement must say the same thing as Apple's (the two names the
// brief adds, `long` and `mach_msg_type_number_t`, are the only extras).

import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  predefinedMacros,
  preprocessFile,
  preprocessText,
} from '../../generator/preprocess/index.js';
import { diagLines, gccCpp, haveCpp, tokens } from './helpers.js';

const GNU_ROOT = '/usr/include/x86_64-linux-gnu';
const SDK_ROOT = join(homedir(), '.cache', 'tsmig-macsdk', 'usr', 'include');
const CORPUS = join(import.meta.dirname, 'corpus');

/** Every .defs under `dir`, recursively, sorted. */
function defsUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...defsUnder(p));
    else if (e.name.endsWith('.defs')) out.push(p);
  }
  return out.sort();
}

/** Asserts the token sequences are equal, showing the first difference in context. */
function expectSameTokens(ours: string, theirs: string): void {
  const a = tokens(ours);
  const b = tokens(theirs);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const context = (t: string[]) => t.slice(Math.max(0, i - 8), i + 8).join(' ');
  expect(
    i === a.length && i === b.length
      ? 'same'
      : `differs at token ${i}:\n  tsmig: ${context(a)}\n  cpp:   ${context(b)}`,
  ).toBe('same');
}

const cpp = haveCpp();
const gnuFiles = ['mach', 'device', 'mach_debug'].flatMap((d) => defsUnder(join(GNU_ROOT, d)));
const defineSets: Array<[string, string[]]> = [
  ['-D__x86_64__', ['__x86_64__']],
  ['+ KERNEL_USER', ['__x86_64__', 'KERNEL_USER']],
  ['+ KERNEL_SERVER', ['__x86_64__', 'KERNEL_SERVER']],
];

// CI installs gnumach-dev and cpp (.ci/run); elsewhere the reason is printed.
describe.skipIf(!cpp || gnuFiles.length === 0)(
  "gnumach's .defs against cpp (needs cpp and gnumach-dev)",
  () => {
    it('finds the corpus', () => {
      expect(gnuFiles.length).toBeGreaterThanOrEqual(20);
    });
    for (const [label, names] of defineSets) {
      describe(label, () => {
        it.each(gnuFiles.map((f) => [f.slice(GNU_ROOT.length + 1), f]))('%s', (_name, file) => {
          const theirs = gccCpp([...names.map((n) => `-D${n}`), `-I${GNU_ROOT}`, file]);
          const r = preprocessFile(file, {
            undef: true,
            defines: names.map((n) => [n, '1']),
            includePaths: [GNU_ROOT],
            stdIncludes: false,
          });
          expect(diagLines(r.diagnostics)).toEqual([]);
          expectSameTokens(r.text, theirs);
        });
      });
    }
  },
);

describe.skipIf(!cpp)("tsmig's tricky corpus against cpp (needs cpp)", () => {
  const files = defsUnder(CORPUS);
  it('has cases', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });
  for (const names of [[], ['KERNEL_USER'], ['KERNEL_SERVER']]) {
    it.each(files.map((f) => [basename(f), f]))(`%s ${names.join(' ')}`, (_name, file) => {
      const defines = ['__x86_64__', ...names];
      const theirs = gccCpp([...defines.map((n) => `-D${n}`), file]);
      const r = preprocessFile(file, {
        undef: true,
        defines: defines.map((n) => [n, '1']),
        stdIncludes: false,
      });
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expectSameTokens(r.text, theirs);
    });
  }
});

const sdkFiles = defsUnder(SDK_ROOT);

// The macOS SDK is not redistributable and CI does not have it: these run only where it is cached.
describe.skipIf(!cpp || sdkFiles.length === 0)(
  "the macOS SDK's .defs against cpp (needs the cached SDK)",
  () => {
    for (const target of ['x86_64', 'arm64'] as const) {
      for (const names of [[], ['KERNEL_USER'], ['KERNEL_SERVER']]) {
        it.each(sdkFiles.map((f) => [f.slice(SDK_ROOT.length + 1), f]))(
          `%s ${target} ${names.join(' ')}`,
          (_name, file) => {
            // cpp gets tsmig's predefined macros by hand: this compares preprocessing, not the list.
            const predefined = predefinedMacros(target).map(([n, v]) => `-D${n}=${v}`);
            const theirs = gccCpp([
              ...predefined,
              ...names.map((n) => `-D${n}`),
              `-I${SDK_ROOT}`,
              file,
            ]);
            const r = preprocessFile(file, {
              target,
              defines: names.map((n) => [n, '1']),
              includePaths: [SDK_ROOT],
              stdIncludes: false,
            });
            expect(diagLines(r.diagnostics)).toEqual([]);
            expectSameTokens(r.text, theirs);
          },
        );
      }
    }

    /** name → the tokens after `=` of each `type name = …;` statement. */
    function typeStatements(text: string): Map<string, string> {
      const t = tokens(text);
      const types = new Map<string, string>();
      for (let i = 0; i < t.length; i++) {
        if (t[i] !== 'type') continue;
        let j = i;
        while (j < t.length && t[j] !== ';') j++;
        types.set(t[i + 1], t.slice(i + 3, j).join(' '));
        i = j;
      }
      return types;
    }

    for (const kernelServer of [false, true]) {
      it(`tsmig's mach_types.defs says what the SDK's says${kernelServer ? ' (KERNEL_SERVER)' : ''}`, () => {
        const source = '#include <mach/mach_types.defs>\n';
        const flags = [
          '-D__LP64__',
          '-D__x86_64__',
          '-D__APPLE__',
          ...(kernelServer ? ['-DKERNEL_SERVER'] : []),
        ];
        const apple = typeStatements(gccCpp([...flags, `-I${SDK_ROOT}`], source));
        const ours = preprocessText(source, 'u.defs', {
          defines: kernelServer ? [['KERNEL_SERVER', '1']] : [],
        });
        expect(ours.diagnostics).toEqual([]);
        const mine = typeStatements(ours.text);
        expect(apple.size).toBeGreaterThan(200);
        for (const [name, spec] of apple)
          expect(`${name} = ${mine.get(name)}`).toBe(`${name} = ${spec}`);
        expect([...mine.keys()].filter((n) => !apple.has(n)).sort()).toEqual([
          'long',
          'mach_msg_type_number_t',
        ]);
      });
    }
  },
);

describe('predefined macros', () => {
  const defined = (names: string[], options: Parameters<typeof preprocessText>[2]) =>
    preprocessText(names.map((n) => `#ifdef ${n}\n${n}_yes\n#endif\n`).join(''), 'p.defs', options)
      .text.split('\n')
      .filter(Boolean);
  const all = [
    '__APPLE__',
    '__MACH__',
    '__MACH30__',
    '__LP64__',
    '__x86_64__',
    '__arm64__',
    '__aarch64__',
    '__i386__',
    '__ILP32__',
    '__arm__',
  ];
  it("are those of clang for x86_64 by default, plus mig.sh's __MACH30__", () => {
    expect(defined(all, {})).toEqual([
      '__APPLE___yes',
      '__MACH___yes',
      '__MACH30___yes',
      '__LP64___yes',
      '__x86_64___yes',
    ]);
  });
  it('are those of clang for arm64', () => {
    expect(defined(all, { target: 'arm64' })).toEqual([
      '__APPLE___yes',
      '__MACH___yes',
      '__MACH30___yes',
      '__LP64___yes',
      '__arm64___yes',
      '__aarch64___yes',
    ]);
  });
  it('are none with undef', () => {
    expect(defined(all, { undef: true })).toEqual([]);
  });
  it('come before -D, which comes before -U', () => {
    const r = preprocessText('__APPLE__ X Y F(2)\n', 'p.defs', {
      defines: [
        ['__APPLE__', '7'],
        ['X', '1'],
        ['Y', ''],
        ['F(a)', 'a*a'],
      ],
      undefines: ['X'],
    });
    expect(r.text).toBe('7 X 2*2');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['pp-macro-redefined']);
    expect(r.diagnostics[0].loc?.file).toBe('<command line>');
    expect(r.diagnostics[0].notes?.[0].loc?.file).toBe('<built-in>');
  });
});
