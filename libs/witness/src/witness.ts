import {
  addSignatures,
  bytesEqual,
  fromBase64,
  openNote,
  parseCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  toBase64,
  verifyConsistency,
} from '#ledger-core';
import { readWitnessState, writeWitnessState, type WitnessState } from './witness-state.js';

export interface WitnessOptions {
  /** Base URL of the operator's API (its /ledger endpoints). */
  logUrl: string;
  /** This witness's own C2SP signer key. */
  signerKey: string;
  /** The operator's verifier key: checkpoints must carry its signature. */
  operatorKey: string;
  stateFile: string;
  fetch?: typeof fetch;
}

export type WitnessOutcome =
  | { status: 'cosigned'; size: number; witnesses: number; final: boolean }
  | { status: 'up-to-date'; size: number }
  | { status: 'refused'; size?: number; reason: string };

/** Raised when the log shows a history inconsistent with what this witness saw before. */
export class InconsistentLogError extends Error {}

/**
 * An independent witness: fetches the newest checkpoint, checks the operator's signature, proves it
 * consistent with the last checkpoint it co-signed, and only then co-signs and remembers it.
 */
export class Witness {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: WitnessOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  /** One round; a refusal is returned (and must be reported loudly), never silently skipped. */
  async witnessOnce(): Promise<WitnessOutcome> {
    const signer = parseSignerKey(this.options.signerKey);
    const operator = parseVerifierKey(this.options.operatorKey);
    const note = await this.getText('/ledger/checkpoint');
    let text: string;
    try {
      text = openNote(note, [operator]).text;
    } catch (error) {
      return {
        status: 'refused',
        reason: `checkpoint is not signed by the operator: ${(error as Error).message}`,
      };
    }
    const checkpoint = parseCheckpoint(text);
    if (checkpoint.origin !== operator.name) {
      return {
        status: 'refused',
        size: checkpoint.size,
        reason: `origin ${checkpoint.origin} is not ${operator.name}`,
      };
    }
    const previous = await readWitnessState(this.options.stateFile);
    try {
      await this.checkConsistent(previous, checkpoint.size, checkpoint.rootHash);
    } catch (error) {
      if (error instanceof InconsistentLogError)
        return { status: 'refused', size: checkpoint.size, reason: error.message };
      throw error;
    }
    // Same tree as last time: nothing to do, unless the log lost our signature.
    if (previous?.size === checkpoint.size && note.includes(`\n— ${signer.name} `)) {
      return { status: 'up-to-date', size: checkpoint.size };
    }
    // Remember before publishing: once signed, we must never sign a conflicting checkpoint.
    await writeWitnessState(this.options.stateFile, {
      origin: checkpoint.origin,
      size: checkpoint.size,
      root: toBase64(checkpoint.rootHash),
    });
    const cosigned = addSignatures(note, [signer]);
    const response = await this.fetch(
      `${this.options.logUrl}/ledger/checkpoints/${checkpoint.size}/cosignatures`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ note: cosigned }),
      },
    );
    if (!response.ok)
      throw new Error(`the log refused our co-signature: ${response.status} ${await response.text()}`);
    const result = (await response.json()) as { witnesses: number; final: boolean };
    return { status: 'cosigned', size: checkpoint.size, ...result };
  }

  private async checkConsistent(
    previous: WitnessState | undefined,
    size: number,
    root: Uint8Array,
  ): Promise<void> {
    if (!previous) return; // trust on first use
    const previousRoot = fromBase64(previous.root);
    if (size < previous.size) {
      throw new InconsistentLogError(`the log shrank from ${previous.size} to ${size} entries`);
    }
    if (size === previous.size) {
      if (!bytesEqual(root, previousRoot))
        throw new InconsistentLogError(`a different root for the same size ${size}: fork`);
      return;
    }
    const body = (await this.getJson(`/ledger/proof/consistency?from=${previous.size}&to=${size}`)) as {
      proof: string[];
    };
    try {
      verifyConsistency(previous.size, size, body.proof.map(fromBase64), previousRoot, root);
    } catch (error) {
      throw new InconsistentLogError(
        `checkpoint ${size} is not consistent with checkpoint ${previous.size} we co-signed: ${(error as Error).message}`,
      );
    }
  }

  private async getText(path: string): Promise<string> {
    const response = await this.fetch(this.options.logUrl + path);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
    return response.text();
  }

  private async getJson(path: string): Promise<unknown> {
    return JSON.parse(await this.getText(path));
  }
}
