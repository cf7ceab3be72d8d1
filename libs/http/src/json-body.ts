import { DomainError, problems } from './problem.js';

/** How deep objects and arrays may nest in a JSON body; no request of ours needs more than a few. */
export const MAX_JSON_DEPTH = 32;

/**
 * How many members one JSON object may have. Our objects have a handful of named fields (long lists
 * are arrays); turning an object of tens of thousands of keys into a DTO takes seconds of CPU
 * (class-transformer's cost grows faster than the key count), which one request must not cost.
 */
export const MAX_OBJECT_MEMBERS = 1_000;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LETTER_U = 0x75;
const OPENERS = new Set([0x7b, 0x5b]); // { [
const CLOSERS = new Set([0x7d, 0x5d]); // } ]

/** Why a JSON body is refused before it is parsed. */
export type JsonScanFailure = 'too-deep' | 'too-many-members' | 'nul' | 'lone-surrogate';

/**
 * One linear pass over the raw bytes, before JSON.parse: a body nested deeper than `maxDepth`, with
 * an object of more than MAX_OBJECT_MEMBERS members, with a NUL character (`\u0000`, or a raw 0 byte) or with an escaped UTF-16 surrogate that is not
 * half of a pair is refused. Deep nesting overflows the stack of the DTO transformation, PostgreSQL
 * cannot store NUL in text, and a lone surrogate is no character at all (validators and encoders
 * throw on it), so each must fail here, cheaply. Malformed JSON passes the scan; JSON.parse refuses it.
 */
export function scanJson(bytes: Uint8Array, maxDepth = MAX_JSON_DEPTH): JsonScanFailure | undefined {
  let depth = 0;
  let inString = false;
  // Members counted so far of each open object (-1: an array), by depth.
  const members = new Int32Array(maxDepth + 2);
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === 0) return 'nul';
    if (inString) {
      if (byte === QUOTE) inString = false;
      else if (byte === BACKSLASH) {
        if (bytes[i + 1] !== LETTER_U) {
          i++; // the escaped character cannot end the string
          continue;
        }
        const unit = codeUnitAt(bytes, i + 2);
        if (unit === 0) return 'nul';
        if (isLowSurrogate(unit)) return 'lone-surrogate';
        if (isHighSurrogate(unit)) {
          const next =
            bytes[i + 6] === BACKSLASH && bytes[i + 7] === LETTER_U ? codeUnitAt(bytes, i + 8) : -1;
          if (!isLowSurrogate(next)) return 'lone-surrogate';
          i += 6; // the pair's low half is consumed with it
        }
        i += 5;
      }
    } else if (byte === QUOTE) inString = true;
    else if (byte === COLON) {
      if (depth > 0 && members[depth] >= 0 && ++members[depth] > MAX_OBJECT_MEMBERS)
        return 'too-many-members';
    } else if (OPENERS.has(byte)) {
      if (++depth > maxDepth) return 'too-deep';
      members[depth] = byte === OPEN_BRACE ? 0 : -1;
    } else if (CLOSERS.has(byte)) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/** The UTF-16 code unit of the four hex digits at `start`, or -1 when they are not hex digits. */
function codeUnitAt(bytes: Uint8Array, start: number): number {
  let unit = 0;
  for (let i = start; i < start + 4; i++) {
    const digit = HEX_DIGITS.indexOf(String.fromCharCode(bytes[i] ?? 0).toLowerCase());
    if (digit < 0) return -1;
    unit = unit * 16 + digit;
  }
  return unit;
}

const HEX_DIGITS = '0123456789abcdef';
const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/** The 400 a refused JSON body answers. */
export function jsonScanProblem(failure: JsonScanFailure, maxDepth = MAX_JSON_DEPTH): DomainError {
  if (failure === 'too-deep') return tooDeeplyNested(maxDepth);
  if (failure === 'too-many-members')
    return problems.badRequest(
      'too-many-members',
      `A JSON object in the body has more than ${MAX_OBJECT_MEMBERS} members; send long lists as arrays`,
      { maxMembers: MAX_OBJECT_MEMBERS },
    );
  return invalidCharacters();
}

/** NUL in any string of a request: refused before it reaches PostgreSQL. */
export const invalidCharacters = () =>
  problems.badRequest(
    'invalid-characters',
    'Strings must not contain the NUL character (U+0000) or a lone UTF-16 surrogate',
  );

const tooDeeplyNested = (maxDepth: number) =>
  problems.badRequest(
    'too-deeply-nested',
    `The JSON body nests objects or arrays more than ${maxDepth} levels deep`,
    { maxDepth },
  );
