import { Injectable, OnModuleInit } from '@nestjs/common';
import { HeirloomConfig } from '#config';
import { PeriodicJobs } from '#database';
import { DomainError } from '#http';
import { openNote, toBase64 } from './core/index.js';
import { CheckpointService, type StoredCheckpoint } from './checkpoint.service.js';
import { ProofService } from './proof.service.js';
import { WitnessRegistry, type AllowedWitness } from './witness-registry.js';

/** 409 answers followed per push: enough to learn the witness's size once and retry from it. */
const MAX_ATTEMPTS = 3;
const PUSH_TIMEOUT_MS = 10_000;

/** How one push to one witness ended. */
export type PushOutcome =
  | { witness: string; status: 'cosigned'; size: number; final: boolean }
  | { witness: string; status: 'already-cosigned'; size: number }
  | { witness: string; status: 'refused'; size: number; httpStatus: number; reason: string }
  | { witness: string; status: 'failed'; size: number; reason: string };

/**
 * Pushes the newest checkpoint to every allow-listed witness that has a URL, over C2SP
 * tlog-witness `add-checkpoint`, with a consistency proof from the size the witness last
 * co-signed; keeps the cosignature/v1 it answers. A periodic job, one process at a time.
 */
@Injectable()
export class WitnessPusher implements OnModuleInit {
  constructor(
    private readonly jobs: PeriodicJobs,
    private readonly config: HeirloomConfig,
    private readonly registry: WitnessRegistry,
    private readonly checkpoints: CheckpointService,
    private readonly proofs: ProofService,
  ) {}

  onModuleInit(): void {
    this.jobs.register('ledger-witness-push', this.config.checkpointIntervalMs, async () => {
      await this.pushAll();
    });
  }

  /** One round: the newest checkpoint to each witness that has not co-signed it yet. */
  async pushAll(): Promise<PushOutcome[]> {
    const checkpoint = await this.checkpoints.latest(false);
    if (!checkpoint) return [];
    const { witnesses } = await this.registry.policy();
    return Promise.all(
      witnesses.filter((w) => w.url !== null).map((witness) => this.push(witness, checkpoint)),
    );
  }

  /** Pushes `checkpoint` to `witness`, following its 409 answers to the size it holds. */
  async push(witness: AllowedWitness, checkpoint: StoredCheckpoint): Promise<PushOutcome> {
    const size = checkpoint.size;
    if (cosignedBy(checkpoint.note, witness)) {
      return { witness: witness.name, status: 'already-cosigned', size };
    }
    let old = witness.knownSize ?? 0;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (old > size) {
        return this.refused(
          witness,
          size,
          409,
          `the witness has co-signed ${old} entries, our newest checkpoint has ${size}: our log lost entries or forked`,
        );
      }
      let response: Response;
      try {
        response = await fetch(`${witness.url}/add-checkpoint`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: await this.requestBody(old, checkpoint),
          signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
        });
      } catch (error) {
        return this.failed(witness, size, `unreachable: ${String(error)}`);
      }
      const body = await response.text().catch(() => '');
      if (response.status === 200) return this.accept(witness, checkpoint, body);
      if (response.status === 409 && response.headers.get('content-type')?.startsWith('text/x.tlog.size')) {
        const held = /^(0|[1-9][0-9]*)\n$/.exec(body);
        if (!held)
          return this.failed(witness, size, `409 with a malformed size ${JSON.stringify(body.slice(0, 40))}`);
        const heldSize = Number(held[1]);
        if (heldSize !== old) {
          await this.registry.recordKnownSize(witness, heldSize);
          old = heldSize;
          continue;
        }
        // It holds exactly the size we sent as old: the same size with another root, a fork.
        return this.refused(
          witness,
          size,
          409,
          `it co-signed another tree of ${heldSize} entries than ours (fork)`,
        );
      }
      if (response.status >= 400 && response.status < 500) {
        return this.refused(
          witness,
          size,
          response.status,
          body.trim().slice(0, 500) || `HTTP ${response.status}`,
        );
      }
      return this.failed(witness, size, `HTTP ${response.status}: ${body.trim().slice(0, 200)}`);
    }
    return this.failed(witness, size, `its size kept changing over ${MAX_ATTEMPTS} attempts`);
  }

  /** "old N\n", the consistency proof from N to the checkpoint, an empty line, the checkpoint. */
  private async requestBody(old: number, checkpoint: StoredCheckpoint): Promise<string> {
    const proof =
      old === 0 || old === checkpoint.size
        ? []
        : (await this.proofs.consistencyProof(old, checkpoint.size)).proof;
    return `old ${old}\n${proof.map((hash) => toBase64(hash) + '\n').join('')}\n${checkpoint.note}`;
  }

  private async accept(
    witness: AllowedWitness,
    checkpoint: StoredCheckpoint,
    lines: string,
  ): Promise<PushOutcome> {
    try {
      const stored = await this.checkpoints.addCosignatures(checkpoint.size, lines, witness);
      await this.registry.recordSuccess(witness, checkpoint.size);
      return { witness: witness.name, status: 'cosigned', size: checkpoint.size, final: stored.final };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return this.failed(
        witness,
        checkpoint.size,
        `its answer holds no valid cosignature/v1 of ours: ${error.message}`,
      );
    }
  }

  private async refused(
    witness: AllowedWitness,
    size: number,
    httpStatus: number,
    reason: string,
  ): Promise<PushOutcome> {
    await this.registry.recordRefusal(witness, { status: httpStatus, reason, size });
    return { witness: witness.name, status: 'refused', size, httpStatus, reason };
  }

  private async failed(witness: AllowedWitness, size: number, reason: string): Promise<PushOutcome> {
    await this.registry.recordError(witness, reason);
    return { witness: witness.name, status: 'failed', size, reason };
  }
}

/** Whether the note already carries a valid cosignature by `witness`. */
function cosignedBy(note: string, witness: AllowedWitness): boolean {
  try {
    return openNote(note, [witness.verifier]).signatures.length > 0;
  } catch {
    return false;
  }
}
