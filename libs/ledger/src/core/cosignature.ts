/**
 * C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature) `cosignature/v1`: timestamped Ed25519
 * witness cosignatures, signature type 0x04 of C2SP signed-note. Browser-safe, like the rest of core.
 *
 *   key ID     = SHA-256(<name> ‖ "\n" ‖ 0x04 ‖ 32-byte public key)[:4]
 *   signature  = u64 big-endian timestamp ‖ Ed25519 signature (72 bytes)
 *   signed msg = "cosignature/v1\n" ‖ "time <timestamp>\n" ‖ the checkpoint body
 *   vkey       = <name>+<key ID hex>+base64(0x04 ‖ public key)
 *
 * As Go's transparency-dev/formats `NewVerifierForCosignatureV1` does, a plain Ed25519 (0x01)
 * verifier or signer key of the same key pair is accepted and used as its 0x04 cosignature key.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { concatBytes, fromUtf8, toBase64, tryFromBase64, utf8 } from './bytes.js';
import { LedgerCoreError } from './errors.js';
import { isValidKeyName, keyHash, type NoteSigner, type NoteVerifier } from './note.js';

export type CosignatureErrorCode =
  | 'malformed-key'
  | 'unknown-algorithm'
  | 'key-hash-mismatch'
  | 'invalid-key-name'
  | 'malformed-cosignature'
  | 'invalid-timestamp'
  | 'malformed-checkpoint';

/** A cosignature key or signature was rejected; `code` says why. */
export class CosignatureError extends LedgerCoreError<CosignatureErrorCode> {}

/** Signature type byte of Ed25519 cosignature/v1 in C2SP signed-note. */
export const COSIGNATURE_V1_ALG = 0x04;
const ED25519_ALG = 0x01;
const TIMESTAMP_SIZE = 8;
const SIGNATURE_SIZE = 64;
const MAX_TIMESTAMP = 2n ** 63n - 1n;
const SIGNATURE_PREFIX = '\u2014 ';

/** A cosignature/v1 signer: a NoteSigner whose signature embeds the signing time. */
export interface CosignatureSigner extends NoteSigner {
  readonly publicKey: Uint8Array;
  /** Its C2SP verifier key (type 0x04). */
  readonly verifierKey: string;
  /** Signs `text` (a checkpoint body) as of `timestamp` (POSIX seconds); returns keyless 72 bytes. */
  signAt(text: string, timestamp: number): Uint8Array;
}

/** A cosignature/v1 verifier, usable with openNote. */
export interface CosignatureVerifier extends NoteVerifier {
  readonly publicKey: Uint8Array;
  /** Its canonical C2SP verifier key (type 0x04), whatever form it was given in. */
  readonly verifierKey: string;
}

/** Key ID of an Ed25519 cosignature/v1 key: SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4]. */
export function cosignatureKeyId(name: string, publicKey: Uint8Array): number {
  return keyHash(name, concatBytes(Uint8Array.of(COSIGNATURE_V1_ALG), publicKey));
}

/** The bytes a cosignature/v1 signs: the header line, the time line, then the checkpoint body. */
export function cosignatureMessage(text: string, timestamp: number | bigint): Uint8Array {
  if (typeof timestamp === 'number' && !Number.isSafeInteger(timestamp)) {
    throw new CosignatureError(
      'invalid-timestamp',
      `timestamp ${timestamp} is not a whole number of seconds`,
    );
  }
  const time = BigInt(timestamp);
  if (time < 0n || time > MAX_TIMESTAMP) {
    throw new CosignatureError('invalid-timestamp', `timestamp ${time} is outside 0 … 2^63-1`);
  }
  // Go's formatEd25519CosignatureV1 asks for at least origin, size and root lines.
  if (!text.endsWith('\n') || text.split('\n').length < 4) {
    throw new CosignatureError('malformed-checkpoint', 'a cosigned checkpoint has at least three lines');
  }
  return utf8(`cosignature/v1\ntime ${time}\n${text}`);
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Formats the C2SP verifier key of an Ed25519 cosignature/v1 public key. */
export function formatCosignatureVerifierKey(name: string, publicKey: Uint8Array): string {
  if (!isValidKeyName(name))
    throw new CosignatureError('invalid-key-name', `invalid key name ${JSON.stringify(name)}`);
  if (publicKey.length !== 32)
    throw new CosignatureError('malformed-key', 'Ed25519 public key must be 32 bytes');
  const encoded = concatBytes(Uint8Array.of(COSIGNATURE_V1_ALG), publicKey);
  return `${name}+${hex8(cosignatureKeyId(name, publicKey))}+${toBase64(encoded)}`;
}

/** Generates a cosignature/v1 key pair (type 0x04 strings); `seed` (32 bytes) makes it deterministic. */
export function generateCosignatureKey(
  name: string,
  seed?: Uint8Array,
): { signerKey: string; verifierKey: string } {
  if (!isValidKeyName(name))
    throw new CosignatureError('invalid-key-name', `invalid key name ${JSON.stringify(name)}`);
  const secret = seed ?? ed25519.utils.randomSecretKey();
  if (secret.length !== 32) throw new CosignatureError('malformed-key', 'Ed25519 seed must be 32 bytes');
  const publicKey = ed25519.getPublicKey(secret);
  const id = hex8(cosignatureKeyId(name, publicKey));
  const encodedSeed = toBase64(concatBytes(Uint8Array.of(COSIGNATURE_V1_ALG), secret));
  return {
    signerKey: `PRIVATE+KEY+${name}+${id}+${encodedSeed}`,
    verifierKey: formatCosignatureVerifierKey(name, publicKey),
  };
}

/** Splits at the first `sep`; a missing separator leaves `after` empty (as Go's strings.Cut). */
function cut(text: string, sep: string): [string, string] {
  const at = text.indexOf(sep);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + sep.length)];
}

interface KeyParts {
  name: string;
  hash: number;
  alg: number;
  key: Uint8Array;
}

function keyParts(name: string, hash16: string, key64: string, kind: string): KeyParts {
  const raw = tryFromBase64(key64);
  if (!/^[0-9a-fA-F]{8}$/.test(hash16) || raw === undefined || raw.length !== 33 || !isValidKeyName(name)) {
    throw new CosignatureError('malformed-key', `malformed ${kind} key`);
  }
  if (raw[0] !== COSIGNATURE_V1_ALG && raw[0] !== ED25519_ALG) {
    throw new CosignatureError('unknown-algorithm', `unknown ${kind} key algorithm ${raw[0]}`);
  }
  return { name, hash: parseInt(hash16, 16), alg: raw[0]!, key: raw.slice(1) };
}

/** Checks the key ID a key string carries: its own type's (0x04, or 0x01 for a plain Ed25519 key). */
function checkKeyHash(parts: KeyParts, publicKey: Uint8Array, kind: string): void {
  const expected = keyHash(parts.name, concatBytes(Uint8Array.of(parts.alg), publicKey));
  if (parts.hash !== expected) {
    throw new CosignatureError('key-hash-mismatch', `${kind} key hash does not match ${parts.name}`);
  }
}

/** Parses a cosignature/v1 verifier key (type 0x04, or a plain Ed25519 0x01 key of the same pair). */
export function parseCosignatureVerifierKey(verifierKey: string): CosignatureVerifier {
  const [name, rest] = cut(verifierKey, '+');
  const [hash16, key64] = cut(rest, '+');
  const parts = keyParts(name, hash16, key64, 'verifier');
  checkKeyHash(parts, parts.key, 'verifier');
  const publicKey = parts.key;
  return {
    name,
    keyHash: cosignatureKeyId(name, publicKey),
    publicKey,
    verifierKey: formatCosignatureVerifierKey(name, publicKey),
    verify: (message, signature) => verifyCosignatureBytes(publicKey, message, signature),
  };
}

/** Parses a cosignature/v1 signer key (type 0x04, or a plain Ed25519 0x01 signer key). */
export function parseCosignatureSignerKey(
  signerKey: string,
  clock: () => number = () => Math.floor(Date.now() / 1000),
): CosignatureSigner {
  const [private1, rest1] = cut(signerKey, '+');
  const [private2, rest2] = cut(rest1, '+');
  const [name, rest3] = cut(rest2, '+');
  const [hash16, key64] = cut(rest3, '+');
  if (private1 !== 'PRIVATE' || private2 !== 'KEY') {
    throw new CosignatureError('malformed-key', 'malformed signer key');
  }
  const parts = keyParts(name, hash16, key64, 'signer');
  const seed = parts.key;
  const publicKey = ed25519.getPublicKey(seed);
  checkKeyHash(parts, publicKey, 'signer');
  const keyId = cosignatureKeyId(name, publicKey);
  const signAt = (text: string, timestamp: number): Uint8Array => {
    const signature = ed25519.sign(cosignatureMessage(text, timestamp), seed);
    const out = new Uint8Array(TIMESTAMP_SIZE + SIGNATURE_SIZE);
    new DataView(out.buffer).setBigUint64(0, BigInt(timestamp), false);
    out.set(signature, TIMESTAMP_SIZE);
    return out;
  };
  return {
    name,
    keyHash: keyId,
    publicKey,
    verifierKey: formatCosignatureVerifierKey(name, publicKey),
    signAt,
    // NoteSigner: signNote / addSignatures pass the note text as bytes.
    sign: (message) => signAt(fromUtf8(message), clock()),
  };
}

function verifyCosignatureBytes(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== TIMESTAMP_SIZE + SIGNATURE_SIZE) return false;
  const timestamp = new DataView(signature.buffer, signature.byteOffset, TIMESTAMP_SIZE).getBigUint64(
    0,
    false,
  );
  let signed: Uint8Array;
  try {
    signed = cosignatureMessage(fromUtf8(message), timestamp);
  } catch {
    return false;
  }
  return ed25519.verify(signature.subarray(TIMESTAMP_SIZE), signed, publicKey, { zip215: false });
}

/** One cosignature/v1 note signature line ("— <name> base64(key ID ‖ timestamp ‖ signature)\n"). */
export function cosignatureLine(signer: CosignatureSigner, text: string, timestamp: number): string {
  const keyId = new Uint8Array(4);
  new DataView(keyId.buffer).setUint32(0, signer.keyHash, false);
  return `${SIGNATURE_PREFIX}${signer.name} ${toBase64(concatBytes(keyId, signer.signAt(text, timestamp)))}\n`;
}

/**
 * The timestamp (POSIX seconds) of a cosignature/v1 signature, given as the base64 of a note
 * signature line (key ID ‖ timestamp ‖ signature). Does not verify it: open the note first.
 */
export function cosignatureTimestamp(signatureBase64: string): number {
  const raw = tryFromBase64(signatureBase64);
  if (raw === undefined || raw.length !== 4 + TIMESTAMP_SIZE + SIGNATURE_SIZE) {
    throw new CosignatureError('malformed-cosignature', 'not a cosignature/v1 signature (wrong length)');
  }
  const timestamp = new DataView(raw.buffer, raw.byteOffset + 4, TIMESTAMP_SIZE).getBigUint64(0, false);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new CosignatureError(
      'invalid-timestamp',
      `cosignature timestamp ${timestamp} is far in the future`,
    );
  }
  return Number(timestamp);
}
