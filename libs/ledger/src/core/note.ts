/**
 * C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys, matching Go's
 * golang.org/x/mod/sumdb/note byte for byte: same key strings, key hashes, signature lines and
 * the same rules for rejecting malformed notes.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  concatBytes,
  fromUtf8,
  hasControlCharacter,
  isWellFormedText,
  toBase64,
  tryFromBase64,
  utf8,
} from './bytes.js';
import { LedgerCoreError } from './errors.js';
import { sha256Digest } from './hasher.js';

export type NoteErrorCode =
  | 'malformed-key'
  | 'unknown-algorithm'
  | 'key-hash-mismatch'
  | 'invalid-key-name'
  | 'malformed-note'
  | 'invalid-signature'
  | 'ambiguous-key'
  | 'unverified-note';

/** A key or note was rejected; `code` says why. For 'unverified-note', `note` holds what was parsed. */
export class NoteError extends LedgerCoreError<NoteErrorCode> {
  constructor(
    code: NoteErrorCode,
    message: string,
    readonly note?: OpenedNote,
  ) {
    super(code, message);
  }
}

/** Signs note text with one key. Implementations may wrap an HSM; the built-in one holds an Ed25519 seed. */
export interface NoteSigner {
  readonly name: string;
  readonly keyHash: number;
  sign(message: Uint8Array): Uint8Array;
}

/** Checks signatures of one key. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyHash: number;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** A verifier parsed from a verifier key string, with its raw Ed25519 public key. */
export interface Ed25519NoteVerifier extends NoteVerifier {
  readonly publicKey: Uint8Array;
  readonly verifierKey: string;
}

/** One signature line of a note. `base64` is the encoded key hash ‖ signature, as on the line. */
export interface NoteSignature {
  readonly name: string;
  readonly keyHash: number;
  readonly base64: string;
}

/** A parsed note: its text (ending in "\n") and its signatures, split by whether a known key verified them. */
export interface OpenedNote {
  readonly text: string;
  readonly signatures: NoteSignature[];
  readonly unverifiedSignatures: NoteSignature[];
}

const ALG_ED25519 = 0x01;
const SIGNATURE_PREFIX = '\u2014 '; // em dash, space
const MAX_SIGNATURES = 100; // as in Go; the spec asks verifiers to accept at least 16
const MALFORMED = 'malformed note';

// Go's unicode.IsSpace set (JavaScript's \s differs: it includes U+FEFF and lacks U+0085), plus '+'.
const FORBIDDEN_IN_NAME = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000+]/u;

/** Key names must be non-empty and contain neither Unicode spaces nor '+'. */
export function isValidKeyName(name: string): boolean {
  return name !== '' && isWellFormedText(name) && !FORBIDDEN_IN_NAME.test(name);
}

/** Key hash: first 4 bytes, big-endian, of SHA-256(name ‖ "\n" ‖ encoded public key). */
export function keyHash(name: string, encodedPublicKey: Uint8Array): number {
  const digest = sha256Digest(concatBytes(utf8(name + '\n'), encodedPublicKey));
  return new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0, false);
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function uint32BigEndian(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

/** Splits at the first `sep`; like Go's chop, a missing separator leaves `after` empty. */
function chop(text: string, sep: string): [string, string] {
  const at = text.indexOf(sep);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + sep.length)];
}

interface DecodedKey {
  name: string;
  hash: number;
  key: Uint8Array;
}

function decodeKeyParts(name: string, hash16: string, key64: string, kind: string): DecodedKey {
  const key = tryFromBase64(key64);
  if (!/^[0-9a-fA-F]{8}$/.test(hash16) || key === undefined || key.length === 0 || !isValidKeyName(name)) {
    throw new NoteError('malformed-key', `malformed ${kind} key`);
  }
  return { name, hash: parseInt(hash16, 16), key };
}

/** Builds an Ed25519 verifier key string "<name>+<hash>+<base64(0x01 ‖ pub)>". */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  if (!isValidKeyName(name))
    throw new NoteError('invalid-key-name', `invalid key name ${JSON.stringify(name)}`);
  if (publicKey.length !== 32) throw new NoteError('malformed-key', `Ed25519 public key must be 32 bytes`);
  const encoded = concatBytes(Uint8Array.of(ALG_ED25519), publicKey);
  return `${name}+${hex8(keyHash(name, encoded))}+${toBase64(encoded)}`;
}

/** Generates an Ed25519 key pair; `seed` (32 bytes) makes it deterministic, e.g. for tests. */
export function generateKey(name: string, seed?: Uint8Array): { signerKey: string; verifierKey: string } {
  if (!isValidKeyName(name))
    throw new NoteError('invalid-key-name', `invalid key name ${JSON.stringify(name)}`);
  const secret = seed ?? ed25519.utils.randomSecretKey();
  if (secret.length !== 32) throw new NoteError('malformed-key', 'Ed25519 seed must be 32 bytes');
  const publicKey = ed25519.getPublicKey(secret);
  const hash = keyHash(name, concatBytes(Uint8Array.of(ALG_ED25519), publicKey));
  const signerKey = `PRIVATE+KEY+${name}+${hex8(hash)}+${toBase64(concatBytes(Uint8Array.of(ALG_ED25519), secret))}`;
  const verifierKey = formatVerifierKey(name, publicKey);
  return { signerKey, verifierKey };
}

/** Parses "<name>+<hash>+<base64(0x01 ‖ pub32)>" into a verifier. */
export function parseVerifierKey(verifierKey: string): Ed25519NoteVerifier {
  const [name, rest] = chop(verifierKey, '+');
  const [hash16, key64] = chop(rest, '+');
  const { hash, key } = decodeKeyParts(name, hash16, key64, 'verifier');
  if (hash !== keyHash(name, key))
    throw new NoteError('key-hash-mismatch', `verifier key hash does not match ${name}`);
  if (key[0] !== ALG_ED25519)
    throw new NoteError('unknown-algorithm', `unknown verifier key algorithm ${key[0]}`);
  if (key.length !== 33) throw new NoteError('malformed-key', 'malformed verifier key');
  const publicKey = key.slice(1);
  return {
    name,
    keyHash: hash,
    publicKey,
    verifierKey,
    // Strict RFC 8032 decoding (not ZIP-215): reject non-canonical encodings outright.
    verify: (message, signature) =>
      signature.length === 64 && ed25519.verify(signature, message, publicKey, { zip215: false }),
  };
}

/** Parses "PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ seed32)>" into a signer, checking the key hash. */
export function parseSignerKey(signerKey: string): NoteSigner {
  const [private1, rest1] = chop(signerKey, '+');
  const [private2, rest2] = chop(rest1, '+');
  const [name, rest3] = chop(rest2, '+');
  const [hash16, key64] = chop(rest3, '+');
  if (private1 !== 'PRIVATE' || private2 !== 'KEY')
    throw new NoteError('malformed-key', 'malformed signer key');
  const { hash, key } = decodeKeyParts(name, hash16, key64, 'signer');
  if (key[0] !== ALG_ED25519)
    throw new NoteError('unknown-algorithm', `unknown signer key algorithm ${key[0]}`);
  if (key.length !== 33) throw new NoteError('malformed-key', 'malformed signer key');
  const seed = key.slice(1);
  const encodedPublicKey = concatBytes(Uint8Array.of(ALG_ED25519), ed25519.getPublicKey(seed));
  // The hash names the public key, so it can only be checked after deriving it from the seed.
  if (hash !== keyHash(name, encodedPublicKey)) {
    throw new NoteError('key-hash-mismatch', `signer key hash does not match ${name}`);
  }
  return { name, keyHash: hash, sign: (message) => ed25519.sign(message, seed) };
}

function signatureLine(signer: NoteSigner, text: string): string {
  if (!isValidKeyName(signer.name))
    throw new NoteError('invalid-key-name', `invalid signer name ${signer.name}`);
  const signature = signer.sign(utf8(text));
  return `${SIGNATURE_PREFIX}${signer.name} ${toBase64(concatBytes(uint32BigEndian(signer.keyHash), signature))}\n`;
}

function assertNoteText(text: string): void {
  if (!text.endsWith('\n') || !isWellFormedText(text) || hasControlCharacter(text, '\n')) {
    throw new NoteError(
      'malformed-note',
      'note text must be UTF-8 ending in "\\n" without control characters',
    );
  }
}

/** Signs `text` (which must end in "\n") with each signer: text ‖ "\n" ‖ one "— <name> <base64>\n" line each. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  assertNoteText(text);
  return text + '\n' + signers.map((signer) => signatureLine(signer, text)).join('');
}

interface ParsedLine extends NoteSignature {
  readonly line: string;
  readonly signature: Uint8Array;
}

/** Syntax-only parse of a signed note, with Go's rules; throws NoteError('malformed-note'). */
function parseSignedNote(note: string | Uint8Array): { text: string; lines: ParsedLine[] } {
  let message: string;
  try {
    message = typeof note === 'string' ? note : fromUtf8(note);
  } catch {
    throw new NoteError('malformed-note', MALFORMED);
  }
  if (!isWellFormedText(message) || hasControlCharacter(message, '\n')) {
    throw new NoteError('malformed-note', MALFORMED);
  }
  const split = message.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed-note', MALFORMED);
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) throw new NoteError('malformed-note', MALFORMED);
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new NoteError('malformed-note', MALFORMED);
  return {
    text,
    lines: lines.map((line) => {
      if (!line.startsWith(SIGNATURE_PREFIX)) throw new NoteError('malformed-note', MALFORMED);
      const [name, base64] = chop(line.slice(SIGNATURE_PREFIX.length), ' ');
      const raw = tryFromBase64(base64);
      if (raw === undefined || !isValidKeyName(name) || base64 === '' || raw.length < 5) {
        throw new NoteError('malformed-note', MALFORMED);
      }
      const hash = new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0, false);
      return { name, keyHash: hash, base64, line, signature: raw.slice(4) };
    }),
  };
}

function verifierIndex(verifiers: readonly NoteVerifier[]): Map<string, NoteVerifier[]> {
  const index = new Map<string, NoteVerifier[]>();
  for (const verifier of verifiers) {
    const id = `${verifier.name}+${hex8(verifier.keyHash)}`;
    index.set(id, [...(index.get(id) ?? []), verifier]);
  }
  return index;
}

/**
 * Parses a signed note and checks every signature by a known key, like Go's note.Open: a failing
 * known signature rejects the whole note, unknown keys are kept as unverified, and a note with no
 * verified signature throws NoteError('unverified-note') carrying the parsed note.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const { text, lines } = parseSignedNote(note);
  const known = verifierIndex(verifiers);
  const message = utf8(text);
  const signatures: NoteSignature[] = [];
  const unverifiedSignatures: NoteSignature[] = [];
  const seenVerified = new Set<string>();
  const seenUnverified = new Set<string>();
  for (const { name, keyHash: hash, base64, line, signature } of lines) {
    const id = `${name}+${hex8(hash)}`;
    const candidates = known.get(id);
    if (candidates === undefined) {
      if (!seenUnverified.has(line)) unverifiedSignatures.push({ name, keyHash: hash, base64 });
      seenUnverified.add(line);
      continue;
    }
    if (candidates.length > 1) throw new NoteError('ambiguous-key', `ambiguous key ${id}`);
    if (seenVerified.has(id)) continue;
    seenVerified.add(id);
    if (!candidates[0]!.verify(message, signature)) {
      throw new NoteError('invalid-signature', `invalid signature for key ${id}`);
    }
    signatures.push({ name, keyHash: hash, base64 });
  }
  const opened = { text, signatures, unverifiedSignatures };
  if (signatures.length === 0)
    throw new NoteError('unverified-note', 'note has no verifiable signatures', opened);
  return opened;
}

/**
 * Co-signs an already signed note: keeps its signature lines (dropping any by the same keys as
 * the new signers, as Go's note.Sign does) and appends the new ones. Existing signatures are not
 * verified here — a witness must openNote and check consistency before co-signing.
 */
export function addSignatures(signedNote: string, signers: readonly NoteSigner[]): string {
  const { text, lines } = parseSignedNote(signedNote);
  const replaced = new Set(signers.map((signer) => `${signer.name}+${hex8(signer.keyHash)}`));
  const kept = lines.filter((line) => !replaced.has(`${line.name}+${hex8(line.keyHash)}`));
  return (
    text +
    '\n' +
    kept.map(({ line }) => line + '\n').join('') +
    signers.map((signer) => signatureLine(signer, text)).join('')
  );
}
