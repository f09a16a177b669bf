// Stage: parse. The token-level scans around the grammar: where to resume
// after a syntax error, and where brackets nest deeper than the parser may
// safely recurse. Both are linear scans of the input that never recurse.

/** The deepest bracket nesting (and type/expression nesting) tsmig accepts. */
export const MAX_NESTING = 128;

/** Statement keywords that, first on a line, surely begin a new statement. */
const SYNC_WORDS = new Set([
  'subsystem',
  'routine',
  'simpleroutine',
  'procedure',
  'simpleprocedure',
  'function',
  'type',
  'import',
  'uimport',
  'simport',
  'dimport',
  'iimport',
  'skip',
  'serverprefix',
  'userprefix',
  'serverdemux',
  'rcsid',
  'nowaittime',
  'nosendtime',
  'usespecialreplyport',
  'consumeonsenderror',
  'usertypelimit',
  'onstacklimit',
]);

/** Advances over whitespace and C comments (the grammar's `_`). */
export function skipSpace(text: string, pos: number): number {
  for (;;) {
    const c = text.charCodeAt(pos);
    if (c === 32 || (c >= 9 && c <= 13)) {
      pos++;
    } else if (c === 47 && text.charCodeAt(pos + 1) === 42) {
      const close = text.indexOf('*/', pos + 2);
      if (close < 0) return pos;
      pos = close + 2;
    } else if (c === 47 && text.charCodeAt(pos + 1) === 47) {
      const nl = text.indexOf('\n', pos + 2);
      pos = nl < 0 ? text.length : nl + 1;
    } else {
      return pos;
    }
  }
}

function isWordStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isWordChar(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57);
}

/** True when only blanks separate `pos` from the start of its line. */
function firstOnLine(text: string, pos: number): boolean {
  for (let i = pos - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 10) return true;
    if (c !== 32 && c !== 9 && c !== 13 && c !== 11 && c !== 12) return false;
  }
  return true;
}

/**
 * Where to resume after a statement that starts at `start` failed at
 * `failPos`: just past the first `;` at or after the failure that closes
 * the statement (brackets opened since `start` are balanced), or at a
 * statement keyword that begins a line, whichever comes first; the end of
 * the text when neither comes. Always beyond the statement's first token,
 * so recovery makes progress.
 */
export function resyncPoint(text: string, start: number, failPos: number): number {
  const first = skipSpace(text, start);
  let depth = 0;
  let pos = first;
  while (pos < text.length) {
    pos = skipSpace(text, pos);
    if (pos >= text.length) break;
    const c = text.charCodeAt(pos);
    if (isWordStart(c)) {
      let end = pos + 1;
      while (end < text.length && isWordChar(text.charCodeAt(end))) end++;
      if (
        pos >= failPos &&
        pos > first &&
        firstOnLine(text, pos) &&
        SYNC_WORDS.has(text.slice(pos, end).toLowerCase())
      ) {
        return pos;
      }
      pos = end;
      continue;
    }
    if (c === 34) {
      // A quoted string cannot hide a statement end: skip it up to its quote or the line's end.
      let end = pos + 1;
      while (end < text.length && text.charCodeAt(end) !== 34 && text.charCodeAt(end) !== 10) end++;
      pos = end + 1;
      continue;
    }
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth = Math.max(0, depth - 1);
    else if (c === 59 && depth === 0 && pos >= failPos) return pos + 1;
    pos++;
  }
  return text.length;
}

/**
 * The offset of the first bracket (`(`, `[`, `{`) at or after `from` that
 * opens nesting level MAX_NESTING + 1 counted from `from`, or -1 when
 * brackets never nest that deep. The grammar recurses once per bracket
 * level, so deeper input could exhaust the stack.
 */
export function findDeepNesting(text: string, from: number): number {
  // A native regex scan finds the few interesting characters fast, even before the JIT warms up.
  const interesting = /[()[\]{}]|\/\*|\/\//g;
  interesting.lastIndex = from;
  let depth = 0;
  for (let m = interesting.exec(text); m !== null; m = interesting.exec(text)) {
    const c = m[0];
    if (c === '(' || c === '[' || c === '{') {
      if (++depth > MAX_NESTING) return m.index;
    } else if (c === ')' || c === ']' || c === '}') {
      depth = Math.max(0, depth - 1);
    } else {
      // Brackets inside comments do not count.
      const close = c === '/*' ? text.indexOf('*/', m.index + 2) : text.indexOf('\n', m.index + 2);
      if (close < 0) break;
      interesting.lastIndex = close + (c === '/*' ? 2 : 1);
    }
  }
  return -1;
}
