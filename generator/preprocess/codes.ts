// Preprocess stage: every diagnostic code the preprocessor emits, in one
// place (tests and the golden error files read this list).

/** The stable `code` of each preprocessor diagnostic. */
export const PreprocessCodes = {
  /** The run could not go on (the file host threw, or an engine limit was hit); no location. */
  stopped: 'pp-stopped',
  /** A built-in macro (`__FILE__`, `__LINE__`, …) is redefined or undefined (warning). */
  builtinMacro: 'pp-builtin-macro',
  /** `defined` in `#if` without an identifier, or without its `)`. */
  definedSyntax: 'pp-defined-syntax',
  /** `#elif` after the `#else` of the same conditional. */
  elifAfterElse: 'pp-elif-after-else',
  /** A second `#else` in one conditional. */
  elseAfterElse: 'pp-else-after-else',
  /** `#error`. */
  error: 'pp-error',
  /** One expansion produced more tokens than the budget; the rest is dropped. */
  expansionTooLarge: 'pp-expansion-too-large',
  /** Tokens after a directive that takes no more (warning). */
  extraTokens: 'pp-extra-tokens',
  /** The entry file cannot be read (no location). */
  fileNotFound: 'pp-file-not-found',
  /** An empty or malformed character constant in `#if`. */
  ifBadChar: 'pp-if-bad-char',
  /** A floating, malformed or badly suffixed number in `#if`. */
  ifBadNumber: 'pp-if-bad-number',
  /** A token with no value (string, `=`, …) in `#if`. */
  ifBadToken: 'pp-if-bad-token',
  /** Division or remainder by zero in an evaluated part of `#if`. */
  ifDivZero: 'pp-if-div-zero',
  /** `#if` or `#elif` with no expression. */
  ifMissingExpr: 'pp-if-missing-expr',
  /** A multi-character constant in `#if` (warning). */
  ifMultichar: 'pp-if-multichar',
  /** Signed overflow, or a constant too large for 64 bits, in `#if` (warning). */
  ifOverflow: 'pp-if-overflow',
  /** A malformed `#if` expression. */
  ifSyntax: 'pp-if-syntax',
  /** An `#if` expression nested deeper than the limit. */
  ifTooDeep: 'pp-if-too-deep',
  /** A decimal constant so large it is unsigned (warning). */
  ifUnsigned: 'pp-if-unsigned',
  /** A file includes itself through a cycle (met a third time on the stack). */
  includeCycle: 'pp-include-cycle',
  /** `#include` nested deeper than the limit. */
  includeDepth: 'pp-include-depth',
  /** `#include` inside the arguments of a macro invocation. */
  includeInArgs: 'pp-include-in-args',
  /** `#include_next` in the main file (warning). */
  includeNextInPrimary: 'pp-include-next-in-primary',
  /** An included file is in none of the searched directories. */
  includeNotFound: 'pp-include-not-found',
  /** A malformed `#include` line. */
  includeSyntax: 'pp-include-syntax',
  /** `##` did not produce one valid token. */
  invalidPaste: 'pp-invalid-paste',
  /** A `#line` number out of range (warning). */
  lineRange: 'pp-line-range',
  /** A malformed `#line` directive or line marker. */
  lineSyntax: 'pp-line-syntax',
  /** A macro invoked with the wrong number of arguments. */
  macroArgCount: 'pp-macro-arg-count',
  /** No whitespace between an object-like macro's name and its body (warning). */
  macroMissingSpace: 'pp-macro-missing-space',
  /** A macro name that is not an identifier, or is `defined`. */
  macroNameInvalid: 'pp-macro-name-invalid',
  /** `#define`, `#undef`, `#ifdef` or `#ifndef` without a name. */
  macroNameMissing: 'pp-macro-name-missing',
  /** A malformed macro parameter list. */
  macroParams: 'pp-macro-params',
  /** A macro redefined with another body (warning, with a note at the first). */
  macroRedefined: 'pp-macro-redefined',
  /** `##` at the start or end of a macro body. */
  pasteAtEdge: 'pp-paste-at-edge',
  /** `#elif` without `#if`. */
  strayElif: 'pp-stray-elif',
  /** `#else` without `#if`. */
  strayElse: 'pp-stray-else',
  /** `#endif` without `#if`. */
  strayEndif: 'pp-stray-endif',
  /** `#` in a function-like macro not followed by a parameter. */
  stringizeNotParam: 'pp-stringize-not-param',
  /** A directive tsmig does not know. */
  unknownDirective: 'pp-unknown-directive',
  /** A macro argument list that reaches the end of the file. */
  unterminatedArgs: 'pp-unterminated-args',
  /** A `/*` comment never closed. */
  unterminatedComment: 'pp-unterminated-comment',
  /** A conditional without its `#endif` at the end of its file. */
  unterminatedIf: 'pp-unterminated-if',
  /** A quote not closed on its line (warning). */
  unterminatedLiteral: 'pp-unterminated-literal',
  /** `__VA_ARGS__` outside a variadic macro (warning). */
  vaArgsMisuse: 'pp-va-args-misuse',
  /** `#warning` (warning). */
  warning: 'pp-warning',
} as const;

/** One of the preprocessor's diagnostic codes. */
export type PreprocessCode = (typeof PreprocessCodes)[keyof typeof PreprocessCodes];
