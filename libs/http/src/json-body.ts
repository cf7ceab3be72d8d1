import { DomainError, problems } from './problem.js';

/** How deep objects and arrays may nest in a JSON body; no request of ours needs more than a few. */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LETTER_U = 0x75;
const DIGIT_ZERO = 0x30;
const OPENERS = new Set([0x7b, 0x5b]); // { [
const CLOSERS = new Set([0x7d, 0x5d]); // } ]

/** Why a JSON body is refused before it is parsed. */
export type JsonScanFailure = 'too-deep' | 'nul';

/**
 * One linear pass over the raw bytes, before JSON.parse: a body nested deeper than `maxDepth` or
 * with a NUL character (`\u0000`, or a raw 0 byte) is refused. Deep nesting overflows the stack of
 * the DTO transformation, and PostgreSQL cannot store NUL in text, so both must fail here, cheaply.
 * Malformed JSON passes the scan; JSON.parse refuses it.
 */
export function scanJson(bytes: Uint8Array, maxDepth = MAX_JSON_DEPTH): JsonScanFailure | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === 0) return 'nul';
    if (inString) {
      if (byte === QUOTE) inString = false;
      else if (byte === BACKSLASH) {
        if (bytes[i + 1] === LETTER_U && isZeroCodeUnit(bytes, i + 2)) return 'nul';
        i++; // the escaped character cannot end the string
      }
    } else if (byte === QUOTE) inString = true;
    else if (OPENERS.has(byte)) {
      if (++depth > maxDepth) return 'too-deep';
    } else if (CLOSERS.has(byte)) depth--;
  }
  return undefined;
}

function isZeroCodeUnit(bytes: Uint8Array, start: number): boolean {
  for (let i = start; i < start + 4; i++) if (bytes[i] !== DIGIT_ZERO) return false;
  return true;
}

/** The 400 a refused JSON body answers. */
export function jsonScanProblem(failure: JsonScanFailure, maxDepth = MAX_JSON_DEPTH): DomainError {
  return failure === 'nul' ? invalidCharacters() : tooDeeplyNested(maxDepth);
}

/** NUL in any string of a request: refused before it reaches PostgreSQL. */
export const invalidCharacters = () =>
  problems.badRequest('invalid-characters', 'Strings must not contain the NUL character (U+0000)');

const tooDeeplyNested = (maxDepth: number) =>
  problems.badRequest(
    'too-deeply-nested',
    `The JSON body nests objects or arrays more than ${maxDepth} levels deep`,
    { maxDepth },
  );
