// Stage: parse. Offsets → locations for text that was not preprocessed.
//
// The parser asks for a location as a pair of offsets into its input. After
// preprocessing, the preprocessor answers (through includes and macros);
// for raw text, `lineLocator` answers with the line and column of the
// offsets in that same text.

import type { Loc } from '../source.js';

/** Maps a `[start, end)` range of offsets in the parser's input to a location. */
export type Locate = (start: number, end: number) => Loc;

/**
 * A `Locate` for text parsed as it is: offsets become 1-based lines and
 * columns (columns count UTF-16 code units, tabs count one) in `fileName`.
 */
export function lineLocator(text: string, fileName: string): Locate {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const position = (offset: number): [number, number] => {
    // Binary search for the last line start at or before `offset`.
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return [lo + 1, offset - lineStarts[lo] + 1];
  };
  return (start, end) => {
    const [line, column] = position(start);
    const [endLine, endColumn] = end === start ? [line, column] : position(end);
    return { file: fileName, line, column, endLine, endColumn };
  };
}
