// Emit stage (C++): the Handlebars environment. Templates live in
// `templates/cpp-*.hbs` at the package root, one per construct; every one is
// registered as a partial under its file name, so a step's `t` names the
// template that prints it. Compiled once per process with `strict: true`
// (a missing field is an error, not an empty string) and `noEscape: true`
// (C++ is not HTML). This file is the only one that registers helpers.
//
// The build precompiles the templates (scripts/precompile-templates.js) next
// to the compiled module; a precompiled template is used only while its
// source is unchanged (same SHA-256), anything else is compiled here.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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

/** A precompiled template: the hash of the source it was made from, and Handlebars' template spec. */
interface Precompiled {
  hash: string;
  spec: TemplateSpecification;
}

/** The build's precompiled templates by name, or none (running from the sources, or not built). */
function precompiled(): Record<string, Precompiled> {
  try {
    return createRequire(import.meta.url)('./templates.precompiled.cjs') as Record<string, Precompiled>;
  } catch {
    return {};
  }
}

/** A template from its precompiled spec, or undefined when this Handlebars refuses it (precompiled by another version). */
function fromSpec(env: typeof Handlebars, spec: TemplateSpecification): HandlebarsTemplateDelegate | undefined {
  try {
    return env.template(spec);
  } catch {
    return undefined;
  }
}

/** Loads and compiles the C++ templates (once), each from the build's precompiled spec when its source has not changed. */
export function cppTemplates(): CppTemplates {
  if (cached) return cached;
  const env = Handlebars.create();
  const dir = templatesDir();
  const built = precompiled();
  const templates = new Map<string, HandlebarsTemplateDelegate>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.startsWith('cpp-') || !file.endsWith('.hbs')) continue;
    const name = file.slice(0, -'.hbs'.length);
    const source = readFileSync(join(dir, file), 'utf8');
    const spec = built[name];
    const fresh = spec !== undefined && spec.hash === createHash('sha256').update(source).digest('hex');
    const template = (fresh && fromSpec(env, spec.spec)) || env.compile(source, COMPILE_OPTIONS);
    templates.set(name, template);
    env.registerPartial(name, template);
  }
  const file = (name: string): HandlebarsTemplateDelegate => {
    const template = templates.get(name);
    if (template === undefined) throw new Error(`tsmig: the C++ template ${name}.hbs is missing from the package`);
    return template;
  };
  cached = {
    header: file('cpp-header'),
    source: file('cpp-source'),
    server: file('cpp-server-source'),
  };
  return cached;
}
