import {
  NoteError,
  ProofError,
  bytesEqual,
  cosignatureLine,
  emptyRoot,
  fromBase64,
  fromUtf8,
  openNote,
  parseCheckpoint,
  parseCosignatureSignerKey,
  parseVerifierKey,
  toBase64,
  tryFromBase64,
  verifyConsistency,
  type Checkpoint,
  type CosignatureSigner,
  type NoteVerifier,
} from '#ledger-core';
import { WitnessStateStore } from './witness-state.js';

/** C2SP tlog-witness: at most 63 consistency proof lines. */
const MAX_PROOF_LINES = 63;
const OLD_SIZE_LINE = /^old (0|[1-9][0-9]*)$/;

export interface WitnessOptions {
  /** This witness's cosignature/v1 signer key (type 0x04, or a plain Ed25519 key). */
  signerKey: string;
  /** Verifier keys of the logs it witnesses; each log's origin is its key's name. */
  logKeys: readonly string[];
  store: WitnessStateStore;
  /** POSIX seconds; the cosignature's timestamp. */
  clock?: () => number;
  /** Told of every request refused for what may be log misbehaviour (fork, bad proof). */
  onRefusal?: (refusal: WitnessRefusal) => void;
}

/** What the HTTP layer sends back: status, content type and body, exactly as the spec says. */
export interface WitnessResponse {
  status: 200 | 400 | 403 | 404 | 409 | 422;
  contentType: string;
  body: string;
}

/** A refused add-checkpoint request, for the witness's own log. */
export interface WitnessRefusal {
  status: WitnessResponse['status'];
  origin?: string;
  oldSize?: number;
  size?: number;
  reason: string;
}

const TEXT = 'text/plain; charset=utf-8';
const SIZE = 'text/x.tlog.size';

/**
 * The witness side of C2SP tlog-witness `add-checkpoint`: checks the log's signature and a
 * consistency proof from the latest checkpoint it co-signed, persists the new one, then answers
 * with a cosignature/v1. It never co-signs a checkpoint that does not extend the last one it signed.
 */
export class Witness {
  private readonly signer: CosignatureSigner;
  private readonly logs: Map<string, NoteVerifier[]>;
  private readonly clock: () => number;

  constructor(private readonly options: WitnessOptions) {
    this.clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
    this.signer = parseCosignatureSignerKey(options.signerKey, this.clock);
    this.logs = new Map();
    for (const key of options.logKeys) {
      const verifier = parseVerifierKey(key);
      this.logs.set(verifier.name, [...(this.logs.get(verifier.name) ?? []), verifier]);
    }
  }

  /** This witness's name and cosignature/v1 verifier key, to give log operators. */
  get identity(): { name: string; verifierKey: string } {
    return { name: this.signer.name, verifierKey: this.signer.verifierKey };
  }

  /** Handles one `POST <prefix>/add-checkpoint` body. */
  async addCheckpoint(body: Uint8Array | string): Promise<WitnessResponse> {
    const request = parseRequest(body);
    if ('status' in request) return this.refuse(request);
    const origin = request.note.slice(0, request.note.indexOf('\n'));
    const verifiers = this.logs.get(origin);
    if (!verifiers)
      return this.refuse({ status: 404, origin, reason: `unknown log origin ${JSON.stringify(origin)}` });

    let text: string;
    let checkpoint: Checkpoint;
    try {
      text = openNote(request.note, verifiers).text;
      checkpoint = parseCheckpoint(text);
    } catch (error) {
      if (error instanceof NoteError && error.code !== 'malformed-note') {
        return this.refuse({
          status: 403,
          origin,
          reason: `no trusted log signature verifies: ${error.message}`,
        });
      }
      return this.refuse({
        status: 400,
        origin,
        reason: `malformed checkpoint: ${(error as Error).message}`,
      });
    }
    const { oldSize, proof } = request;
    if (oldSize > checkpoint.size) {
      return this.refuse({
        status: 400,
        origin,
        oldSize,
        size: checkpoint.size,
        reason: `old size ${oldSize} is above the checkpoint size ${checkpoint.size}`,
      });
    }

    return this.options.store.exclusive(async () => {
      const latest = this.options.store.get(origin);
      const latestSize = latest?.size ?? 0;
      const refusal = { origin, oldSize, size: checkpoint.size };
      if (oldSize !== latestSize) {
        return this.refuse(
          {
            ...refusal,
            status: 409,
            reason: `old size ${oldSize} is not the latest co-signed size ${latestSize}`,
          },
          `${latestSize}\n`,
        );
      }
      const latestRoot = latest ? fromBase64(latest.root) : emptyRoot();
      if (oldSize === checkpoint.size && latest && !bytesEqual(latestRoot, checkpoint.rootHash)) {
        return this.refuse(
          {
            ...refusal,
            status: 409,
            reason: `a different root for size ${checkpoint.size} than the one co-signed: the log forked`,
          },
          `${latestSize}\n`,
        );
      }
      try {
        // With nothing co-signed yet, the proof must be empty and anything is consistent (trust on first use).
        if (latest || proof.length > 0) {
          verifyConsistency(oldSize, checkpoint.size, proof, latestRoot, checkpoint.rootHash);
        }
      } catch (error) {
        if (!(error instanceof ProofError)) throw error;
        return this.refuse({
          ...refusal,
          status: 422,
          reason: `checkpoint ${checkpoint.size} does not extend the co-signed ${oldSize}: ${error.message}`,
        });
      }
      // Persist before answering: once signed, a conflicting checkpoint must never be signed.
      await this.options.store.put({ origin, size: checkpoint.size, root: toBase64(checkpoint.rootHash) });
      return { status: 200, contentType: TEXT, body: cosignatureLine(this.signer, text, this.clock()) };
    });
  }

  private refuse(refusal: WitnessRefusal, sizeBody?: string): WitnessResponse {
    this.options.onRefusal?.(refusal);
    return sizeBody === undefined
      ? { status: refusal.status, contentType: TEXT, body: refusal.reason + '\n' }
      : { status: refusal.status, contentType: SIZE, body: sizeBody };
  }
}

interface AddCheckpointRequest {
  oldSize: number;
  proof: Uint8Array[];
  note: string;
}

/** Parses "old N\n" + proof lines + "\n" + signed checkpoint; a malformed body is a 400. */
function parseRequest(body: Uint8Array | string): AddCheckpointRequest | WitnessRefusal {
  let text: string;
  try {
    text = typeof body === 'string' ? body : fromUtf8(body);
  } catch {
    return { status: 400, reason: 'the request body is not UTF-8' };
  }
  const blank = text.indexOf('\n\n');
  if (blank < 0) return { status: 400, reason: 'no empty line before the checkpoint' };
  const [oldLine, ...proofLines] = text.slice(0, blank).split('\n');
  const old = OLD_SIZE_LINE.exec(oldLine!);
  if (!old || !Number.isSafeInteger(Number(old[1]))) {
    return { status: 400, reason: 'the first line must be "old <size>" in decimal without leading zeroes' };
  }
  if (proofLines.length > MAX_PROOF_LINES) {
    return { status: 400, reason: `more than ${MAX_PROOF_LINES} consistency proof lines` };
  }
  const proof: Uint8Array[] = [];
  for (const line of proofLines) {
    const hash = tryFromBase64(line);
    if (hash === undefined || hash.length !== 32) {
      return { status: 400, reason: 'each consistency proof line must be one base64 SHA-256 hash' };
    }
    proof.push(hash);
  }
  const note = text.slice(blank + 2);
  if (!note.includes('\n')) return { status: 400, reason: 'no checkpoint after the empty line' };
  return { oldSize: Number(old[1]), proof, note };
}
