// Stage: parse. The entry points of the parser: raw text (its own offsets
// are its locations) or preprocessed text with the preprocessor's mapping.

import { lineLocator, type Locate } from './locate.js';
import { parseDefs, type ParseResult } from './parser.js';

export type { Locate } from './locate.js';
export { lineLocator } from './locate.js';
export { parseDefs, ParseCodes, type ParseOptions, type ParseResult } from './parser.js';
export { MAX_NESTING } from './recovery.js';

/**
 * Parses `text` as it is, without preprocessing: locations are lines and
 * columns of `text` itself, reported as `fileName`. For tests and for input
 * known to need no preprocessor.
 */
export function parseText(text: string, fileName: string): ParseResult {
  return parseDefs(text, { fileName, locate: lineLocator(text, fileName) });
}

/** Parses preprocessed text whose offsets `locate` maps back to the user's files. */
export function parseMapped(text: string, fileName: string, locate: Locate): ParseResult {
  return parseDefs(text, { fileName, locate });
}
