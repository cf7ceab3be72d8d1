/**
 * Ownership certificate: a self-contained JSON file proving who owns a token as of a co-signed
 * checkpoint — the token's full history (entries + inclusion proofs), the signed checkpoint, and
 * for information the operator's keys and quorum. Verified offline, in the browser or the CLI,
 * against the keys and quorum its user trusts (a C2SP tlog-policy).
 */
import { fromBase64, toBase64, tryFromBase64 } from './bytes.js';
import { type Checkpoint, parseCheckpoint } from './checkpoint.js';
import { ID_PATTERN, type LedgerEntry, decodeEntry } from './entry.js';
import { LedgerCoreError } from './errors.js';
import { leafHash } from './hasher.js';
import { type NoteVerifier, type OpenedNote, isValidKeyName, openNote, parseVerifierKey } from './note.js';
import { cosignatureTimestamp } from './cosignature.js';
import { verifyInclusion } from './proof.js';
import { formatTlogProof } from './tlog-proof.js';
import { TOKEN_MAP_LINE_KEYWORD, parseTokenMapLine, verifyTokenMapProof } from './token-map.js';
import { type TokenStatus, replayEntries } from './replay.js';
import {
  type TlogPolicy,
  describeQuorum,
  policyFromTrustedKeys,
  quorumMet,
  decodeVerifierKey,
  witnessVerifiers,
} from './tlog-policy.js';

/** v2: adds the token-map proof (the newest entry is the token's latest) and tlog-proof@v1 texts. */
export const CERTIFICATE_FORMAT = 'heirloom-certificate/v2';

/** One log entry of the token's history with its inclusion proof in the checkpoint's tree. */
export interface CertificateEntry {
  readonly index: number;
  /** base64 of the entry's canonical bytes (the leaf data). */
  readonly entry: string;
  /** base64 hashes, bottom-up, as RFC 9162 orders them. */
  readonly proof: readonly string[];
  /** The same proof as a C2SP tlog-proof@v1 text (extra: the entry's bytes), for tools that read it. */
  readonly tlogProof: string;
}

/**
 * Proof, against the token-map root committed in the checkpoint, that the token's latest entry as
 * of the checkpoint is the certificate's newest: its log index and the map's siblings, top-down.
 */
export interface CertificateMapProof {
  readonly index: number;
  readonly siblings: readonly string[];
}

/**
 * What the operator says a checkpoint needs: its own signature and `required` witnesses. For
 * information only — a verifier applies the policy of its user, never this.
 */
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
  readonly map: CertificateMapProof;
  /** The co-signed checkpoint note, verbatim. */
  readonly checkpoint: string;
  /** Verifier keys of the operator and witnesses, for information only (a verifier trusts its own). */
  readonly verifierKeys: readonly string[];
  readonly quorum: CertificateQuorum;
}

export interface VerifyCertificateOptions {
  /** Origin the caller expects (from its own configuration). */
  readonly expectedOrigin?: string;
  /** Refuse a checkpoint whose newest trusted cosignature is older than this many seconds. */
  readonly maxAgeSeconds?: number;
  /** POSIX seconds "now" for maxAgeSeconds (default: the clock). */
  readonly now?: number;
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
      /** Key names of the policy's witnesses whose cosignatures verified. */
      readonly witnesses: string[];
      /** The policy's quorum, described for people. */
      readonly quorum: string;
      /** POSIX seconds of the newest cosignature/v1 by a policy witness: when the checkpoint was last seen current. */
      readonly cosignedAt?: number;
    }
  | { readonly ok: false; readonly errors: string[] };

/** A certificate could not be assembled from the given parts. */
export class CertificateError extends LedgerCoreError<'invalid-certificate'> {}

/** Assembles a certificate from raw entry bytes and proofs (entries are sorted by log index). */
export function buildCertificate(input: {
  origin: string;
  token: string;
  entries: readonly { index: number; bytes: Uint8Array; proof: readonly Uint8Array[] }[];
  map: { index: number; siblings: readonly Uint8Array[] };
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
      .map(({ index, bytes, proof }) => ({
        index,
        entry: toBase64(bytes),
        proof: proof.map(toBase64),
        tlogProof: formatTlogProof({ extra: bytes, index, proof, checkpoint: input.checkpoint }),
      })),
    map: { index: input.map.index, siblings: input.map.siblings.map(toBase64) },
    checkpoint: input.checkpoint,
    verifierKeys: [...input.verifierKeys],
    quorum: {
      operatorKey: input.quorum.operatorKey,
      witnesses: [...input.quorum.witnesses],
      required: input.quorum.required,
    },
  };
}

const TOP_LEVEL_FIELDS = [
  'format',
  'origin',
  'token',
  'entries',
  'map',
  'checkpoint',
  'verifierKeys',
  'quorum',
];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');
const isIndex = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isHashList = (value: unknown): value is string[] =>
  isStringArray(value) && value.every((hash) => tryFromBase64(hash)?.length === 32);

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
      errors.push(...extraFields(item, ['index', 'entry', 'proof', 'tlogProof'], `entries[${i}]`));
      if (!isIndex(item.index)) errors.push(`entries[${i}].index must be a non-negative integer`);
      if (typeof item.entry !== 'string' || tryFromBase64(item.entry) === undefined) {
        errors.push(`entries[${i}].entry must be base64`);
      }
      if (!isHashList(item.proof))
        errors.push(`entries[${i}].proof must be an array of base64 32-byte hashes`);
      if (typeof item.tlogProof !== 'string') errors.push(`entries[${i}].tlogProof must be a string`);
    });
  }
  const map = cert.map;
  if (!isRecord(map)) {
    errors.push('map must be an object');
  } else {
    errors.push(...extraFields(map, ['index', 'siblings'], 'map'));
    if (!isIndex(map.index)) errors.push('map.index must be a non-negative integer');
    if (!isHashList(map.siblings)) errors.push('map.siblings must be an array of base64 32-byte hashes');
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

/**
 * The certificate's informational keys must parse and agree with its informational quorum (the
 * operator and the listed witnesses, by key name), so that no byte of the file goes unchecked.
 */
function checkListedKeys(certificate: OwnershipCertificate, errors: string[]): void {
  const names: string[] = [];
  certificate.verifierKeys.forEach((key, i) => {
    try {
      names.push(decodeVerifierKey(key).name);
    } catch (error) {
      errors.push(`verifierKeys[${i}] is not a valid verifier key: ${(error as Error).message}`);
    }
  });
  if (names.length !== certificate.verifierKeys.length) return;
  const { operatorKey, witnesses } = certificate.quorum;
  const listed = [operatorKey, ...witnesses];
  if (names.length !== listed.length || !listed.every((name) => names.includes(name))) {
    errors.push('verifierKeys must be the keys of quorum.operatorKey and quorum.witnesses');
  }
  if (operatorKey !== certificate.origin) {
    errors.push(`quorum.operatorKey "${operatorKey}" must equal the origin "${certificate.origin}"`);
  }
}

/** The caller's policy; a plain key list is read as "keys named like the origin are the log's, the rest witnesses". */
function policyOf(
  trust: TlogPolicy | readonly string[],
  origin: string,
  errors: string[],
): TlogPolicy | undefined {
  if (!isKeyList(trust)) return trust;
  if (trust.length === 0) {
    errors.push('no trusted verifier keys were given');
    return undefined;
  }
  try {
    return policyFromTrustedKeys(trust, origin);
  } catch (error) {
    errors.push(`trusted keys: ${(error as Error).message}`);
    return undefined;
  }
}

const isKeyList = (trust: TlogPolicy | readonly string[]): trust is readonly string[] => Array.isArray(trust);

/**
 * Opens the checkpoint note with the policy's keys only: a trusted log key named like the
 * certificate's origin must have signed it, and the policy's quorum of witnesses cosigned it.
 * Returns the note text and the key names of the witnesses whose cosignatures verified.
 */
function checkSignatures(
  certificate: OwnershipCertificate,
  policy: TlogPolicy,
  errors: string[],
): { text: string; witnesses: string[]; cosignedAt?: number } | undefined {
  const logs = policy.logs.filter((log) => log.origin === certificate.origin);
  if (logs.length === 0) {
    const trusted = policy.logs.map((log) => `"${log.origin}"`).join(', ');
    errors.push(
      policy.logs.length === 0
        ? 'your policy names no log key'
        : `the certificate's log "${certificate.origin}" is not a log your policy trusts (${trusted})`,
    );
    return undefined;
  }
  let logVerifiers: NoteVerifier[];
  let byWitness: NoteVerifier[][];
  try {
    logVerifiers = logs.map((log) => parseVerifierKey(log.verifierKey));
    byWitness = policy.witnesses.map((witness) => witnessVerifiers(witness.verifierKey));
  } catch (error) {
    errors.push(`your policy: ${(error as Error).message}`);
    return undefined;
  }
  let note: OpenedNote;
  try {
    note = openNote(certificate.checkpoint, [...logVerifiers, ...byWitness.flat()]);
  } catch (error) {
    const reason =
      error instanceof LedgerCoreError && error.code === 'unverified-note'
        ? 'no signature by a key your policy trusts'
        : (error as Error).message;
    errors.push(`checkpoint signature check failed: ${reason}`);
    return undefined;
  }
  const signedBy = (verifier: NoteVerifier) =>
    note.signatures.some((sig) => sig.name === verifier.name && sig.keyHash === verifier.keyHash);
  if (!logVerifiers.some(signedBy)) {
    errors.push(`checkpoint is not signed by the log key "${certificate.origin}" your policy trusts`);
  }
  const cosigned = policy.witnesses.filter((_, i) => byWitness[i]!.some(signedBy));
  if (!quorumMet(policy.quorum, new Set(cosigned.map((witness) => witness.name)))) {
    const who = cosigned.map((witness) => witness.keyName).join(', ') || 'none';
    errors.push(
      `witness quorum not met: your policy requires ${describeQuorum(policy.quorum)}; cosigned by: ${who}`,
    );
  }
  // When the checkpoint was last seen current: the newest timestamp of a trusted cosignature/v1.
  // (witnessVerifiers gives a witness's cosignature/v1 verifier first.)
  const cosignatureKeys = byWitness.map((verifiers) => verifiers[0]!);
  const times = note.signatures
    .filter((sig) => cosignatureKeys.some((v) => v.name === sig.name && v.keyHash === sig.keyHash))
    .map((sig) => cosignatureTimestamp(sig.base64));
  return {
    text: note.text,
    witnesses: cosigned.map((witness) => witness.keyName),
    ...(times.length > 0 ? { cosignedAt: Math.max(...times) } : {}),
  };
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
    const tlogProof = formatTlogProof({
      extra: bytes,
      index: item.index,
      proof,
      checkpoint: certificate.checkpoint,
    });
    if (item.tlogProof !== tlogProof) {
      errors.push(`${where}: tlogProof is not the tlog-proof@v1 text of this entry, proof and checkpoint`);
    }
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
 * Verifies a certificate against the caller's policy (never anything the certificate says about
 * keys or quorum): log signature, witness quorum, checkpoint body, every inclusion proof, that all
 * entries concern the token, and that its history replays legally. Never throws; lists every
 * failure found. A plain key list is accepted for older callers (see policyFromTrustedKeys).
 */
export function verifyCertificate(
  cert: unknown,
  trust: TlogPolicy | readonly string[],
  opts: VerifyCertificateOptions = {},
): CertificateVerdict {
  const shape = shapeErrors(cert);
  if (shape.length > 0) return { ok: false, errors: shape };
  const certificate = cert as OwnershipCertificate;
  const errors: string[] = [];
  checkListedKeys(certificate, errors);
  if (opts.expectedOrigin !== undefined && certificate.origin !== opts.expectedOrigin) {
    errors.push(`origin "${certificate.origin}" is not the expected "${opts.expectedOrigin}"`);
  }
  const policy = policyOf(trust, opts.expectedOrigin ?? certificate.origin, errors);
  const signed = policy && checkSignatures(certificate, policy, errors);
  if (policy === undefined || signed === undefined) return { ok: false, errors };

  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(signed.text);
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
  checkLatest(certificate, checkpoint, errors);
  checkAge(signed.cosignedAt, opts, errors);

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
    witnesses: signed.witnesses,
    quorum: describeQuorum(policy.quorum),
    ...(signed.cosignedAt === undefined ? {} : { cosignedAt: signed.cosignedAt }),
  };
}

/**
 * The certificate's newest entry must be the token's latest as of the checkpoint: the map proof
 * must show (its index, its leaf hash) under the token's key in the token-map root the checkpoint
 * commits to. A certificate that leaves out later entries cannot give such a proof.
 */
function checkLatest(certificate: OwnershipCertificate, checkpoint: Checkpoint, errors: string[]): void {
  const lines = (checkpoint.extensions ?? []).filter((line) => line.startsWith(`${TOKEN_MAP_LINE_KEYWORD} `));
  const root = lines.length === 1 ? parseTokenMapLine(lines[0]!) : undefined;
  if (root === undefined) {
    errors.push(
      `checkpoint #${checkpoint.size} commits to no token map (one "${TOKEN_MAP_LINE_KEYWORD}" line): it cannot show the history is complete`,
    );
    return;
  }
  const newest = certificate.entries[certificate.entries.length - 1]!;
  const { index, siblings } = certificate.map;
  if (index !== newest.index) {
    errors.push(
      `map proof is for log index ${index}, but the certificate's newest entry is ${newest.index}: the history is not complete`,
    );
    return;
  }
  const leaf = leafHash(fromBase64(newest.entry));
  if (!verifyTokenMapProof(root, certificate.token, index, leaf, siblings.map(fromBase64))) {
    errors.push(
      `map proof failed: entry ${newest.index} is not the token's latest as of checkpoint #${checkpoint.size} (a later entry exists, or the proof is wrong)`,
    );
  }
}

/** With a maximum age, the checkpoint must have been co-signed (seen current by a witness) recently enough. */
function checkAge(cosignedAt: number | undefined, opts: VerifyCertificateOptions, errors: string[]): void {
  if (opts.maxAgeSeconds === undefined) return;
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (cosignedAt === undefined) {
    errors.push('no timestamped witness cosignature (cosignature/v1) by your policy: its age is unknown');
  } else if (now - cosignedAt > opts.maxAgeSeconds) {
    errors.push(
      `checkpoint was last co-signed at ${new Date(cosignedAt * 1000).toISOString()}, older than your maximum age of ${opts.maxAgeSeconds} s`,
    );
  }
}
