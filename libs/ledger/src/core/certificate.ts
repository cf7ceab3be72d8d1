/**
 * Ownership certificate: a self-contained JSON file proving who owns a token as of a co-signed
 * checkpoint — the token's full history (entries + inclusion proofs), the signed checkpoint, the
 * public keys, and the quorum the checkpoint claims. Verified offline, in the browser or the CLI.
 */
import { fromBase64, toBase64, tryFromBase64 } from './bytes.js';
import { type Checkpoint, parseCheckpoint } from './checkpoint.js';
import { ID_PATTERN, type LedgerEntry, decodeEntry } from './entry.js';
import { LedgerCoreError } from './errors.js';
import { leafHash } from './hasher.js';
import {
  type Ed25519NoteVerifier,
  type NoteSignature,
  type NoteVerifier,
  type OpenedNote,
  isValidKeyName,
  openNote,
  parseVerifierKey,
} from './note.js';
import { verifyInclusion } from './proof.js';
import { type TokenStatus, replayEntries } from './replay.js';

export const CERTIFICATE_FORMAT = 'heirloom-certificate/v1';

/** One log entry of the token's history with its inclusion proof in the checkpoint's tree. */
export interface CertificateEntry {
  readonly index: number;
  /** base64 of the entry's canonical bytes (the leaf data). */
  readonly entry: string;
  /** base64 hashes, bottom-up, as RFC 9162 orders them. */
  readonly proof: readonly string[];
}

/** Which signatures the checkpoint needs: the operator's (named like the origin) and `required` witnesses. */
export interface CertificateQuorum {
  readonly operatorKey: string;
  readonly witnesses: readonly string[];
  readonly required: number;
}

export interface OwnershipCertificate {
  readonly format: typeof CERTIFICATE_FORMAT;
  readonly origin: string;
  readonly token: string;
  /** The token's whole history, mint first, in log order. */
  readonly entries: readonly CertificateEntry[];
  /** The co-signed checkpoint note, verbatim. */
  readonly checkpoint: string;
  /** Verifier keys of the operator and witnesses, for display and cross-checking. */
  readonly verifierKeys: readonly string[];
  readonly quorum: CertificateQuorum;
}

export interface VerifyCertificateOptions {
  /** Origin the caller expects (from its own configuration). */
  readonly expectedOrigin?: string;
  /** Witness co-signatures the caller requires, whatever the certificate's quorum says. */
  readonly minWitnesses?: number;
}

export type CertificateVerdict =
  | {
      readonly ok: true;
      readonly token: string;
      readonly owner: string | null;
      readonly status: TokenStatus;
      readonly since: string;
      readonly treeSize: number;
      readonly origin: string;
      readonly witnesses: string[];
    }
  | { readonly ok: false; readonly errors: string[] };

/** A certificate could not be assembled from the given parts. */
export class CertificateError extends LedgerCoreError<'invalid-certificate'> {}

/** Assembles a certificate from raw entry bytes and proofs (entries are sorted by log index). */
export function buildCertificate(input: {
  origin: string;
  token: string;
  entries: readonly { index: number; bytes: Uint8Array; proof: readonly Uint8Array[] }[];
  checkpoint: string;
  verifierKeys: readonly string[];
  quorum: CertificateQuorum;
}): OwnershipCertificate {
  if (input.entries.length === 0)
    throw new CertificateError('invalid-certificate', 'a certificate needs entries');
  return {
    format: CERTIFICATE_FORMAT,
    origin: input.origin,
    token: input.token,
    entries: [...input.entries]
      .sort((a, b) => a.index - b.index)
      .map(({ index, bytes, proof }) => ({ index, entry: toBase64(bytes), proof: proof.map(toBase64) })),
    checkpoint: input.checkpoint,
    verifierKeys: [...input.verifierKeys],
    quorum: {
      operatorKey: input.quorum.operatorKey,
      witnesses: [...input.quorum.witnesses],
      required: input.quorum.required,
    },
  };
}

const TOP_LEVEL_FIELDS = ['format', 'origin', 'token', 'entries', 'checkpoint', 'verifierKeys', 'quorum'];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');
const isIndex = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function extraFields(record: Record<string, unknown>, allowed: readonly string[], where: string): string[] {
  return Object.keys(record)
    .filter((key) => !allowed.includes(key))
    .map((key) => `${where} has unknown field "${key}"`);
}

/** Structural checks; returns every problem found, in field order. */
function shapeErrors(cert: unknown): string[] {
  if (!isRecord(cert)) return ['certificate is not a JSON object'];
  const errors = extraFields(cert, TOP_LEVEL_FIELDS, 'certificate');
  if (cert.format !== CERTIFICATE_FORMAT) errors.push(`format must be "${CERTIFICATE_FORMAT}"`);
  if (typeof cert.origin !== 'string' || cert.origin === '') errors.push('origin must be a non-empty string');
  if (typeof cert.token !== 'string' || !ID_PATTERN.test(cert.token)) errors.push('token must be a token id');
  if (!Array.isArray(cert.entries) || cert.entries.length === 0) {
    errors.push('entries must be a non-empty array');
  } else {
    cert.entries.forEach((item: unknown, i) => {
      if (!isRecord(item)) return errors.push(`entries[${i}] is not an object`);
      errors.push(...extraFields(item, ['index', 'entry', 'proof'], `entries[${i}]`));
      if (!isIndex(item.index)) errors.push(`entries[${i}].index must be a non-negative integer`);
      if (typeof item.entry !== 'string' || tryFromBase64(item.entry) === undefined) {
        errors.push(`entries[${i}].entry must be base64`);
      }
      if (!isStringArray(item.proof) || item.proof.some((hash) => tryFromBase64(hash)?.length !== 32)) {
        errors.push(`entries[${i}].proof must be an array of base64 32-byte hashes`);
      }
    });
  }
  if (typeof cert.checkpoint !== 'string') errors.push('checkpoint must be a string');
  if (!isStringArray(cert.verifierKeys)) errors.push('verifierKeys must be an array of strings');
  const quorum = cert.quorum;
  if (!isRecord(quorum)) {
    errors.push('quorum must be an object');
  } else {
    errors.push(...extraFields(quorum, ['operatorKey', 'witnesses', 'required'], 'quorum'));
    if (typeof quorum.operatorKey !== 'string' || !isValidKeyName(quorum.operatorKey)) {
      errors.push('quorum.operatorKey must be a key name');
    }
    const witnesses = quorum.witnesses;
    if (
      !isStringArray(witnesses) ||
      !witnesses.every(isValidKeyName) ||
      new Set(witnesses).size !== witnesses.length
    ) {
      errors.push('quorum.witnesses must be distinct key names');
    } else if (witnesses.includes(quorum.operatorKey as string)) {
      errors.push('quorum.witnesses must not include the operator key');
    }
    if (!isIndex(quorum.required) || (isStringArray(witnesses) && quorum.required > witnesses.length)) {
      errors.push('quorum.required must be an integer between 0 and the number of witnesses');
    }
  }
  return errors;
}

/** Parses verifier keys, deduplicating identical strings; each bad key becomes an error. */
function parseKeys(
  keys: readonly string[],
  what: string,
  errors: string[],
): Map<string, Ed25519NoteVerifier> {
  const parsed = new Map<string, Ed25519NoteVerifier>();
  keys.forEach((key, i) => {
    try {
      parsed.set(key, parseVerifierKey(key));
    } catch (error) {
      errors.push(`${what}[${i}] is not a valid verifier key: ${(error as Error).message}`);
    }
  });
  return parsed;
}

function openCheckpoint(
  note: string,
  verifiers: readonly NoteVerifier[],
  errors: string[],
): OpenedNote | undefined {
  try {
    return openNote(note, verifiers);
  } catch (error) {
    const reason =
      error instanceof LedgerCoreError && error.code === 'unverified-note'
        ? 'no signature by a trusted key'
        : (error as Error).message;
    errors.push(`checkpoint signature check failed: ${reason}`);
    return undefined;
  }
}

function checkQuorum(
  cert: OwnershipCertificate,
  signatures: readonly NoteSignature[],
  keyOf: (signature: NoteSignature) => string,
  minWitnesses: number,
  errors: string[],
): string[] {
  const { operatorKey, witnesses, required } = cert.quorum;
  if (operatorKey !== cert.origin) {
    errors.push(`quorum.operatorKey "${operatorKey}" must equal the origin "${cert.origin}"`);
  }
  for (const signature of signatures) {
    if (!cert.verifierKeys.includes(keyOf(signature))) {
      errors.push(
        `checkpoint is signed by trusted key ${signature.name} which the certificate's verifierKeys do not list`,
      );
    }
  }
  if (!signatures.some((signature) => signature.name === operatorKey)) {
    errors.push(`checkpoint is not signed by the operator key "${operatorKey}"`);
  }
  const signedWitnesses = witnesses.filter((name) => signatures.some((signature) => signature.name === name));
  const needed = Math.max(required, minWitnesses);
  if (signedWitnesses.length < needed) {
    const who = signedWitnesses.length > 0 ? signedWitnesses.join(', ') : 'none';
    errors.push(
      `witness quorum not met: ${signedWitnesses.length} of ${needed} required trusted witness signatures (signed: ${who})`,
    );
  }
  return signedWitnesses;
}

/** Checks order, inclusion proof and token of every entry; returns the decoded history if all decode. */
function checkEntries(
  certificate: OwnershipCertificate,
  checkpoint: Checkpoint,
  errors: string[],
): { index: number; entry: LedgerEntry }[] | undefined {
  const history: { index: number; entry: LedgerEntry }[] = [];
  certificate.entries.forEach((item, i) => {
    const where = `entries[${i}] (log index ${item.index})`;
    const previous = certificate.entries[i - 1];
    if (previous !== undefined && item.index <= previous.index) {
      errors.push(`${where}: indices must strictly increase`);
    }
    const bytes = fromBase64(item.entry);
    const proof = item.proof.map(fromBase64);
    try {
      verifyInclusion(leafHash(bytes), item.index, checkpoint.size, proof, checkpoint.rootHash);
    } catch (error) {
      const reason = (error as Error).message;
      errors.push(
        `${where}: inclusion proof failed against checkpoint of size ${checkpoint.size}: ${reason}`,
      );
    }
    try {
      const entry = decodeEntry(bytes);
      if (entry.token !== certificate.token) {
        errors.push(`${where}: entry concerns token ${entry.token}, not ${certificate.token}`);
      }
      history.push({ index: item.index, entry });
    } catch (error) {
      errors.push(`${where}: entry is invalid: ${(error as Error).message}`);
    }
  });
  return history.length === certificate.entries.length ? history : undefined;
}

/**
 * Verifies a certificate against the caller's trusted verifier keys (never the certificate's own):
 * operator signature, witness quorum, checkpoint body, every inclusion proof, that all entries
 * concern the token, and that its history replays legally. Never throws; lists every failure found.
 */
export function verifyCertificate(
  cert: unknown,
  trustedVerifierKeys: readonly string[],
  opts: VerifyCertificateOptions = {},
): CertificateVerdict {
  const shape = shapeErrors(cert);
  if (shape.length > 0) return { ok: false, errors: shape };
  const certificate = cert as OwnershipCertificate;
  const errors: string[] = [];
  parseKeys(certificate.verifierKeys, 'verifierKeys', errors);
  const trusted = parseKeys(trustedVerifierKeys, 'trusted key', errors);
  if (trusted.size === 0) errors.push('no trusted verifier keys were given');
  if (opts.expectedOrigin !== undefined && certificate.origin !== opts.expectedOrigin) {
    errors.push(`origin "${certificate.origin}" is not the expected "${opts.expectedOrigin}"`);
  }

  const note = openCheckpoint(certificate.checkpoint, [...trusted.values()], errors);
  if (note === undefined) return { ok: false, errors };
  const keyOf = (signature: NoteSignature): string =>
    [...trusted.values()].find((v) => v.name === signature.name && v.keyHash === signature.keyHash)!
      .verifierKey;
  const witnesses = checkQuorum(certificate, note.signatures, keyOf, opts.minWitnesses ?? 0, errors);

  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(note.text);
  } catch (error) {
    errors.push(`checkpoint body is invalid: ${(error as Error).message}`);
    return { ok: false, errors };
  }
  if (checkpoint.origin !== certificate.origin) {
    errors.push(
      `checkpoint origin "${checkpoint.origin}" does not match certificate origin "${certificate.origin}"`,
    );
  }

  const history = checkEntries(certificate, checkpoint, errors);
  if (history === undefined) return { ok: false, errors };

  const { tokens, violations } = replayEntries(history);
  for (const found of violations) errors.push(`log index ${found.index}: illegal history: ${found.message}`);
  const state = tokens.get(certificate.token);
  if (state === undefined) errors.push(`history of ${certificate.token} has no mint`);
  if (errors.length > 0 || state === undefined) return { ok: false, errors };
  return {
    ok: true,
    token: certificate.token,
    owner: state.owner,
    status: state.status,
    since: state.since,
    treeSize: checkpoint.size,
    origin: checkpoint.origin,
    witnesses,
  };
}
