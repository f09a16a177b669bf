// tsmig.config.json: the glob matcher, input expansion, the validator's
// messages, and the shipped JSON schema describing exactly what the
// validator accepts (same keys, same enumerations).

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CONFIG_KEYS,
  expandInputs,
  findConfigFile,
  globToRegExp,
  loadConfig,
} from '../../generator/config.js';
import { STARTER_CONFIG } from '../../generator/cli/init.js';
import { languages } from '../../generator/emit/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'tsmig-config-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function files(base: string, names: string[]): string {
  const d = join(work, base);
  for (const name of names) {
    mkdirSync(dirname(join(d, name)), { recursive: true });
    writeFileSync(join(d, name), '');
  }
  return d;
}

function configFile(text: string): string {
  const d = mkdtempSync(join(work, 'c-'));
  writeFileSync(join(d, 'tsmig.config.json'), text);
  return join(d, 'tsmig.config.json');
}

describe('globToRegExp', () => {
  it.each([
    ['*.defs', 'calc.defs', true],
    ['*.defs', 'sub/calc.defs', false],
    ['**/*.defs', 'calc.defs', true],
    ['**/*.defs', 'a/b/c/calc.defs', true],
    ['defs/**/*.defs', 'defs/calc.defs', true],
    ['defs/**', 'defs/a/b', true],
    ['defs/**/*.defs', 'other/calc.defs', false],
    ['c?lc.defs', 'calc.defs', true],
    ['c?lc.defs', 'c/lc.defs', false],
    ['[ab].defs', 'b.defs', true],
    ['[!ab].defs', 'b.defs', false],
    ['{calc,math}.defs', 'math.defs', true],
    ['{calc,math}.defs', 'other.defs', false],
    ['a+b.defs', 'a+b.defs', true],
    ['a.defs', 'aXdefs', false],
  ])('%s against %s: %s', (pattern, path, matches) => {
    expect(globToRegExp(pattern).test(path)).toBe(matches);
  });
});

describe('expandInputs', () => {
  it('expands globs and plain paths, sorted and once each; skips node_modules and dot-directories', () => {
    const d = files('expand', [
      'defs/a.defs',
      'defs/sub/b.defs',
      'defs/notes.txt',
      'node_modules/x/c.defs',
      '.hidden/d.defs',
      'top.defs',
    ]);
    const r = expandInputs(['**/*.defs', 'top.defs'], d);
    expect(r.errors).toEqual([]);
    expect(r.files).toEqual([
      join(d, 'defs/a.defs'),
      join(d, 'defs/sub/b.defs'),
      join(d, 'top.defs'),
    ]);
    expect(r.globDirs.sort()).toEqual([d, join(d, 'defs'), join(d, 'defs/sub')]);
  });

  it('names a missing file and a glob that matches nothing', () => {
    const d = files('expand-missing', ['defs/a.defs']);
    expect(expandInputs(['nope.defs', 'defs/*.x', 'defs/*.defs'], d)).toMatchObject({
      files: [join(d, 'defs/a.defs')],
      errors: ["input 'nope.defs': no such file", "input 'defs/*.x' matches no file"],
    });
  });
});

describe('loadConfig', () => {
  it('reads a valid file; relative paths resolve against its directory', () => {
    const path = configFile(
      '{ "inputs": ["x.defs"], "defines": { "A": 1, "B": "two", "C": true }, "dialect": "gnu" }',
    );
    const r = loadConfig(path);
    expect(r).toEqual({
      path,
      dir: dirname(path),
      config: { inputs: ['x.defs'], defines: { A: 1, B: 'two', C: true }, dialect: 'gnu' },
    });
  });

  it.each([
    ['[1]', '1:1: error: the config must be a JSON object'],
    ['{\n  "inputs": []\n}', '2:3: error: "inputs" must not be empty'],
    ['{\n  "inputs": [1]\n}', '2:3: error: "inputs" must be an array of non-empty strings'],
    ['{ "defines": { "1A": 1 } }', '1:3: error: "defines" \'1A\' is not a macro name'],
    [
      '{ "defines": { "A": false } }',
      '1:3: error: "defines" \'A\' must be a string, a number or true',
    ],
    ['{ "undefines": ["A B"] }', '1:3: error: "undefines" \'A B\' is not a macro name'],
    ['{ "target": "ppc" }', '1:3: error: "target" must be "x86_64" or "arm64"'],
    ['{ "outDir": "" }', '1:3: error: "outDir" must be a non-empty string'],
    ['{ "undef": "yes" }', '1:3: error: "undef" must be true or false'],
  ])('%s → %s', (text, message) => {
    expect(loadConfig(configFile(text), 'tsmig.config.json')).toEqual({
      error: `tsmig.config.json:${message}`,
    });
  });

  it('finds the nearest file upward', () => {
    const path = configFile('{}');
    mkdirSync(join(dirname(path), 'a', 'b'), { recursive: true });
    expect(findConfigFile(join(dirname(path), 'a', 'b'))).toBe(path);
  });
});

describe('tsmig.schema.json', () => {
  const schema = JSON.parse(readFileSync(join(root, 'tsmig.schema.json'), 'utf8'));

  it('lists exactly the keys the validator knows, and forbids others', () => {
    expect(Object.keys(schema.properties)).toEqual(CONFIG_KEYS);
    expect(schema.additionalProperties).toBe(false);
  });

  it("lists the emitter registry's languages", () => {
    expect(schema.properties.languages.items.enum).toEqual(languages());
  });

  it('has the same enumerations as the validator', () => {
    for (const key of ['dialect', 'target'] as const) {
      for (const value of schema.properties[key].enum) {
        expect(loadConfig(configFile(JSON.stringify({ [key]: value })))).not.toHaveProperty(
          'error',
        );
      }
      expect(loadConfig(configFile(JSON.stringify({ [key]: 'other' })))).toHaveProperty('error');
    }
  });

  it("is what `tsmig init`'s config points to, and that config is valid", () => {
    const starter = JSON.parse(STARTER_CONFIG);
    expect(starter.$schema).toBe('./node_modules/tsmig/tsmig.schema.json');
    expect(Object.keys(starter).every((k) => k in schema.properties)).toBe(true);
    expect(loadConfig(configFile(STARTER_CONFIG))).not.toHaveProperty('error');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.files).toContain('tsmig.schema.json');
    expect(pkg.exports['./tsmig.schema.json']).toBe('./tsmig.schema.json');
  });
});
