// Emit stage (C++): the one place that decides C++ spellings.
//
// MIG names are C names. A few are not usable in C++ (an argument called
// `new` or `class`) or would collide with the locals a generated function
// declares (`InP`, `msg_result`); those get a trailing underscore. Every
// other name is kept exactly as MIG writes it, so generated structs and
// prototypes read like Apple's. Nothing here depends on the layout.

/** Words C++17 reserves (keywords and alternative operator tokens). */
const CPP_KEYWORDS = new Set([
  'alignas',
  'alignof',
  'and',
  'and_eq',
  'asm',
  'auto',
  'bitand',
  'bitor',
  'bool',
  'break',
  'case',
  'catch',
  'char',
  'char8_t',
  'char16_t',
  'char32_t',
  'class',
  'compl',
  'concept',
  'const',
  'consteval',
  'constexpr',
  'constinit',
  'const_cast',
  'continue',
  'co_await',
  'co_return',
  'co_yield',
  'decltype',
  'default',
  'delete',
  'do',
  'double',
  'dynamic_cast',
  'else',
  'enum',
  'explicit',
  'export',
  'extern',
  'false',
  'float',
  'for',
  'friend',
  'goto',
  'if',
  'inline',
  'int',
  'long',
  'mutable',
  'namespace',
  'new',
  'noexcept',
  'not',
  'not_eq',
  'nullptr',
  'operator',
  'or',
  'or_eq',
  'private',
  'protected',
  'public',
  'register',
  'reinterpret_cast',
  'requires',
  'return',
  'short',
  'signed',
  'sizeof',
  'static',
  'static_assert',
  'static_cast',
  'struct',
  'switch',
  'template',
  'this',
  'thread_local',
  'throw',
  'true',
  'try',
  'typedef',
  'typeid',
  'typename',
  'union',
  'unsigned',
  'using',
  'virtual',
  'void',
  'volatile',
  'wchar_t',
  'while',
  'xor',
  'xor_eq',
]);

/**
 * Locals and type aliases the generated client and server functions
 * declare; an argument of the same name would shadow or clash with them.
 */
const GENERATED_LOCALS = new Set([
  'Request',
  'Reply',
  'Mess',
  'InP',
  'OutP',
  'InHeadP',
  'OutHeadP',
  'TrailerP',
  'msg_result',
  'check_result',
  'RetCode',
  'shift',
  'in_shift',
  'out_shift',
  'tsmig',
]);

/** A C++ identifier for a MIG name used as a parameter, local or struct member. */
export function cppIdentifier(name: string): string {
  return CPP_KEYWORDS.has(name) || GENERATED_LOCALS.has(name) ? `${name}_` : name;
}

/** A C++ identifier for a MIG name used as a function or struct name (locals cannot clash with these). */
export function cppGlobalName(name: string): string {
  return CPP_KEYWORDS.has(name) ? `${name}_` : name;
}

/**
 * The namespace holding an interface's client functions: the subsystem's
 * name, unless a global name the header declares (a server routine, the
 * demux) already uses it.
 */
export function clientNamespace(subsystem: string, globals: Iterable<string>): string {
  const taken = new Set(globals);
  let name = cppGlobalName(subsystem);
  while (taken.has(name)) name = `${name}_client`;
  return name;
}

/** The include guard of a generated header (`TSMIG_CALC_MIG_H`). */
export function includeGuard(baseName: string): string {
  return `TSMIG_${baseName.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}_MIG_H`;
}
