// Emit stage (TypeScript): names. The IR keeps MIG's names (`send_rights`,
// `dataCnt`, `u_first`); generated TypeScript uses camelCase for functions,
// methods and parameters and PascalCase for types and classes, never a
// reserved word, and never the same name twice in one scope. Wire-level
// interfaces keep MIG's names as property keys, so the shared wire corpus
// can name values the way every language's MIG does.

/** Words a parameter or local binding cannot be (reserved words, strict-mode restrictions, and a few confusing globals). */
const RESERVED = new Set([
  'arguments',
  'await',
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'debugger',
  'default',
  'delete',
  'do',
  'else',
  'enum',
  'eval',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'function',
  'if',
  'implements',
  'import',
  'in',
  'instanceof',
  'interface',
  'let',
  'new',
  'null',
  'package',
  'private',
  'protected',
  'public',
  'return',
  'static',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'typeof',
  'undefined',
  'var',
  'void',
  'while',
  'with',
  'yield',
  'NaN',
  'Infinity',
]);

/** Splits a MIG name into words: at underscores, and where a lower-case letter or digit meets an upper-case one. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0);
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** `send_rights` → `SendRights`; `calc` → `Calc`. Keeps an existing capital inside a word (`getFDs` → `GetFDs`). */
export function pascalCase(name: string): string {
  const joined = words(name).map(capitalize).join('');
  const safe = joined === '' ? 'Unnamed' : joined;
  return /^[0-9]/.test(safe) ? `_${safe}` : safe;
}

/** `send_rights` → `sendRights`; `u_first` → `uFirst`. */
export function camelCase(name: string): string {
  const pascal = pascalCase(name);
  if (pascal.startsWith('_')) return pascal;
  // A leading acronym stays upper-case after its first letter only when the word is all capitals (`URL` → `url`).
  const [first, ...rest] = words(name);
  const head = first === first.toUpperCase() ? first.toLowerCase() : first.charAt(0).toLowerCase() + first.slice(1);
  return head + rest.map(capitalize).join('');
}

/** A binding name that is not a reserved word (`new` → `new_`). */
export function safeIdentifier(name: string): string {
  return RESERVED.has(name) ? `${name}_` : name;
}

/** Hands out names unique within one scope: a clash gets a numeric suffix (`value`, `value2`, …). */
export class NameScope {
  private readonly used = new Set<string>();

  constructor(taken: Iterable<string> = []) {
    for (const name of taken) this.used.add(name);
  }

  /** A unique, safe name based on `wanted`. */
  claim(wanted: string): string {
    const base = safeIdentifier(wanted);
    let name = base;
    for (let n = 2; this.used.has(name); n++) name = `${base}${n}`;
    this.used.add(name);
    return name;
  }
}

/** A property key as TypeScript must write it: bare when it is an identifier, quoted otherwise. */
export function propertyKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : quote(name);
}

/** A string literal in single quotes, the generated code's style. */
export function quote(text: string): string {
  return `'${JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}
