/**
 * Browser-safe byte helpers: no Buffer, no node:crypto. Decoders are strict on purpose —
 * anything signed or hashed must have exactly one textual form.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_LOOKUP: Record<string, number> = Object.fromEntries(
  [...BASE64_ALPHABET].map((char, value) => [char, value]),
);

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Lower-case hex encoding. */
export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/** Decodes hex (even length, [0-9a-fA-F] only); throws TypeError otherwise. */
export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new TypeError('invalid hex string');
  return hexToBytes(hex);
}

/** Standard padded base64 (RFC 4648 §4), as used by signed notes and checkpoints. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i]!;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    const chunk = (b0 << 16) | ((b1 ?? 0) << 8) | (b2 ?? 0);
    out += BASE64_ALPHABET[(chunk >> 18) & 63]! + BASE64_ALPHABET[(chunk >> 12) & 63]!;
    out += b1 === undefined ? '=' : BASE64_ALPHABET[(chunk >> 6) & 63]!;
    out += b2 === undefined ? '=' : BASE64_ALPHABET[chunk & 63]!;
  }
  return out;
}

/**
 * Decodes canonical standard base64: padding required, no whitespace, unused trailing bits zero.
 * Returns undefined instead of throwing so parsers can report their own error.
 */
export function tryFromBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let written = 0;
  for (let i = 0; i < text.length; i += 4) {
    const isLast = i + 4 === text.length;
    const values: number[] = [];
    for (let j = 0; j < 4; j++) {
      const char = text[i + j]!;
      if (char === '=' && isLast && j >= 4 - padding) {
        values.push(0);
        continue;
      }
      const value = BASE64_LOOKUP[char];
      if (value === undefined) return undefined;
      values.push(value);
    }
    const chunk = (values[0]! << 18) | (values[1]! << 12) | (values[2]! << 6) | values[3]!;
    const bytesInChunk = isLast ? 3 - padding : 3;
    const decoded = [(chunk >> 16) & 255, (chunk >> 8) & 255, chunk & 255];
    // Non-zero bits hidden under the padding would give a second spelling of the same bytes.
    if (decoded.slice(bytesInChunk).some((byte) => byte !== 0)) return undefined;
    for (let k = 0; k < bytesInChunk; k++) out[written++] = decoded[k]!;
  }
  return out;
}

/** Decodes canonical standard base64; throws TypeError on anything else. */
export function fromBase64(text: string): Uint8Array {
  const bytes = tryFromBase64(text);
  if (bytes === undefined) throw new TypeError('invalid base64 string');
  return bytes;
}

/** UTF-8 encoding of a string (lone surrogates become U+FFFD; use isWellFormedText first if that matters). */
export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Strict UTF-8 decoding; throws TypeError on invalid sequences. */
export function fromUtf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/** True when the string has no lone surrogates, i.e. it round-trips through UTF-8 unchanged. */
export function isWellFormedText(text: string): boolean {
  return !/\p{Surrogate}/u.test(text);
}

/** True when text has an ASCII control character (below U+0020) other than those listed in `allowed`. */
export function hasControlCharacter(text: string, allowed = ''): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 0x20 && !allowed.includes(text[i]!)) return true;
  }
  return false;
}

/** Byte-wise equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Concatenates byte arrays into a new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
