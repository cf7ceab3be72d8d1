/**
 * C2SP tlog-proof@v1: an offline-verifiable proof that an entry is in a log — the entry's index, its
 * RFC 6962 inclusion proof and the (co-signed) checkpoint, verbatim; optional unauthenticated extra
 * data (we carry the entry's bytes, so the proof alone rebuilds the leaf hash).
 */
import { toBase64, tryFromBase64 } from './bytes.js';
import { LedgerCoreError } from './errors.js';

export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

export class TlogProofError extends LedgerCoreError<'malformed-tlog-proof'> {}

export interface TlogProof {
  /** Unauthenticated: a verifier must check it against what the proof proves. */
  readonly extra?: Uint8Array;
  readonly index: number;
  /** Hashes from the leaf's sibling up to the root's child. */
  readonly proof: readonly Uint8Array[];
  /** The signed checkpoint note, verbatim. */
  readonly checkpoint: string;
}

export function formatTlogProof({ extra, index, proof, checkpoint }: TlogProof): string {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new TlogProofError('malformed-tlog-proof', `index must be a non-negative integer, got ${index}`);
  }
  return (
    `${TLOG_PROOF_HEADER}\n` +
    (extra === undefined ? '' : `extra ${toBase64(extra)}\n`) +
    `index ${index}\n` +
    proof.map((hash) => `${toBase64(hash)}\n`).join('') +
    `\n${checkpoint}`
  );
}

const INDEX_LINE = /^index (0|[1-9][0-9]*)$/;

/** Parses a tlog-proof@v1 text strictly (it does not verify the proof or the checkpoint). */
export function parseTlogProof(text: string): TlogProof {
  const fail = (why: string): never => {
    throw new TlogProofError('malformed-tlog-proof', `malformed tlog-proof: ${why}`);
  };
  const blank = text.indexOf('\n\n');
  if (blank < 0) fail('no empty line before the checkpoint');
  const lines = text.slice(0, blank).split('\n');
  const checkpoint = text.slice(blank + 2);
  if (lines.shift() !== TLOG_PROOF_HEADER) fail(`the first line must be ${TLOG_PROOF_HEADER}`);
  let extra: Uint8Array | undefined;
  if (lines[0]?.startsWith('extra ')) {
    extra = tryFromBase64(lines.shift()!.slice('extra '.length)) ?? fail('extra is not base64');
  }
  const indexLine = INDEX_LINE.exec(lines.shift() ?? '') ?? fail('no "index N" line');
  const index = Number(indexLine[1]);
  if (!Number.isSafeInteger(index)) fail('index is too large');
  const proof = lines.map((line) => {
    const hash = tryFromBase64(line);
    return hash?.length === 32 ? hash : fail(`proof line ${JSON.stringify(line)} is not a base64 hash`);
  });
  if (checkpoint === '') fail('no checkpoint');
  return { ...(extra === undefined ? {} : { extra }), index, proof, checkpoint };
}
