// Emit stage (C++): the Handlebars environment. Templates live in
// `templates/cpp-*.hbs` at the package root, one per construct; every one is
// registered as a partial under its file name, so a step's `t` names the
// template that prints it. Compiled once per process with `strict: true`
// (a missing field is an error, not an empty string) and `noEscape: true`
// (C++ is not HTML). This file is the only one that registers helpers.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

const COMPILE_OPTIONS = { strict: true, noEscape: true } as const;

/** The file templates of a C++ interface: the header, the client side, the server side. */
export interface CppTemplates {
  header: HandlebarsTemplateDelegate;
  source: HandlebarsTemplateDelegate;
  server: HandlebarsTemplateDelegate;
}

let cached: CppTemplates | undefined;

/** `templates/` at the package root, found from this module (in `generator/emit/cpp` or `dist/generator/emit/cpp`). */
function templatesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'templates');
    try {
      if (readdirSync(candidate).some((f) => f.startsWith('cpp-'))) return candidate;
    } catch {
      // Not here: look one level up.
    }
    dir = dirname(dir);
  }
  throw new Error('tsmig: the C++ templates (templates/cpp-*.hbs) are missing from the package');
}

/** Loads and compiles the C++ templates (once). */
export function cppTemplates(): CppTemplates {
  if (cached) return cached;
  const env = Handlebars.create();
  const dir = templatesDir();
  for (const file of readdirSync(dir).sort()) {
    if (!file.startsWith('cpp-') || !file.endsWith('.hbs')) continue;
    const name = file.slice(0, -'.hbs'.length);
    env.registerPartial(name, env.compile(readFileSync(join(dir, file), 'utf8'), COMPILE_OPTIONS));
  }
  const compileFile = (name: string) =>
    env.compile(readFileSync(join(dir, `${name}.hbs`), 'utf8'), COMPILE_OPTIONS);
  cached = {
    header: compileFile('cpp-header'),
    source: compileFile('cpp-source'),
    server: compileFile('cpp-server-source'),
  };
  return cached;
}
