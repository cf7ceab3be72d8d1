import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { HeirloomConfig } from '#config';
import { updateReturning } from '#database';
import { problems } from '#http';
import {
  formatCheckpoint,
  formatTokenMapLine,
  NoteError,
  openNote,
  signNote,
  type NoteVerifier,
} from './core/index.js';
import { IntegrityAlerts } from './integrity-alerts.js';
import { LedgerKeys } from './ledger-keys.js';
import { TokenMapStore } from './token-map.store.js';
import { LedgerIntegrityError, loadTreeState, readStateForSigning } from './tree-store.js';
import { WitnessRegistry, type AllowedWitness, type WitnessPolicy } from './witness-registry.js';

export interface StoredCheckpoint {
  size: number;
  root: Uint8Array;
  note: string;
  witnessCount: number;
  final: boolean;
}

/**
 * Signs checkpoints with the operator key and collects witness cosignatures (cosignature/v1, from
 * the run-time allow-list) until the quorum makes a checkpoint final.
 */
@Injectable()
export class CheckpointService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
    private readonly keys: LedgerKeys,
    private readonly witnesses: WitnessRegistry,
    private readonly maps: TokenMapStore,
    private readonly alerts: IntegrityAlerts,
  ) {}

  /**
   * Signs a checkpoint of the current tree if it grew since the last one; returns the newest. What
   * it signs is recomputed, never read and trusted: the tree root from the stored leaf hashes and
   * nodes (readStateForSigning), the token-map root from the map's leaves. On any disagreement it
   * signs nothing, logs, raises an integrity alert and throws LedgerIntegrityError.
   */
  async checkpointIfGrown(): Promise<StoredCheckpoint | undefined> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const latest = await this.latest(false, manager);
        const grown = await loadTreeState(manager);
        if (grown.size === 0 || (latest && latest.size >= grown.size)) return latest;
        // The map first, before the tree state is locked: rebuilding it after a restart reads the log.
        await this.maps.mapAt(grown.size, manager);
        const state = await readStateForSigning(manager);
        const map = await this.maps.mapAt(state.size, manager);
        const body = formatCheckpoint({
          origin: this.config.ledgerOrigin,
          size: state.size,
          rootHash: state.root,
          extensions: [formatTokenMapLine(map.root)],
        });
        const note = signNote(body, [this.keys.signer]);
        const final = (await this.witnesses.policy(manager)).quorum === 0;
        await manager.query(
          `INSERT INTO ledger_checkpoints (size, root, note, final) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
          [state.size, Buffer.from(state.root), note, final],
        );
        return { size: state.size, root: state.root, note, witnessCount: 0, final };
      });
    } catch (error) {
      // Refusing to sign a checkpoint over an inconsistent stored tree.
      if (error instanceof LedgerIntegrityError) {
        await this.alerts.raise({
          kind: 'checkpoint-refused',
          subject: 'ledger_state',
          detail: error.problems.join('; '),
        });
      }
      throw error;
    }
  }

  /** The newest checkpoint, or the newest that reached the witness quorum. */
  async latest(finalOnly: boolean, manager = this.dataSource.manager): Promise<StoredCheckpoint | undefined> {
    const rows: CheckpointRow[] = await manager.query(
      `SELECT size, root, note, witness_count, final FROM ledger_checkpoints
       ${finalOnly ? 'WHERE final' : ''} ORDER BY size DESC LIMIT 1`,
    );
    return rows[0] && toStored(rows[0]);
  }

  /** Every stored checkpoint in size order (for audit replay). */
  async all(): Promise<StoredCheckpoint[]> {
    const rows: CheckpointRow[] = await this.dataSource.query(
      `SELECT size, root, note, witness_count, final FROM ledger_checkpoints ORDER BY size`,
    );
    return rows.map(toStored);
  }

  /**
   * Accepts cosignatures of checkpoint `size`: a note (the checkpoint, possibly with other
   * signatures) or bare signature lines as a witness answers add-checkpoint. Only cosignature/v1
   * signatures of allow-listed witnesses (or of `only`) over exactly our checkpoint text are kept;
   * the checkpoint is final once those of active witnesses reach the quorum.
   */
  async addCosignatures(
    size: number,
    cosigned: string,
    only?: AllowedWitness,
  ): Promise<{ size: number; witnesses: number; final: boolean }> {
    return this.dataSource.transaction(async (manager) => {
      const [row]: CheckpointRow[] = await manager.query(
        `SELECT size, root, note, witness_count, final FROM ledger_checkpoints WHERE size = $1 FOR UPDATE`,
        [size],
      );
      if (!row) throw problems.notFound(`Checkpoint of size ${size}`);
      const policy = await this.witnesses.policy(manager);
      const ours = openNote(row.note, [this.keys.operatorVerifier]);
      const note = cosigned.startsWith('\u2014 ') ? `${ours.text}\n${cosigned}` : cosigned;
      let opened;
      try {
        opened = openNote(note, only ? [only.verifier] : witnessVerifiers(policy));
      } catch (error) {
        const detail = error instanceof NoteError ? error.message : 'the note is malformed';
        throw problems.unprocessable(
          'cosignature-rejected',
          `No cosignature/v1 signature of an allow-listed witness: ${detail}`,
        );
      }
      if (opened.text !== ours.text) {
        throw problems.unprocessable(
          'cosignature-rejected',
          'The co-signed text differs from our checkpoint',
        );
      }
      for (const signature of opened.signatures) {
        await manager.query(
          `INSERT INTO ledger_cosignatures (size, key_name, signature_line) VALUES ($1, $2, $3)
           ON CONFLICT (size, key_name) DO UPDATE SET signature_line = EXCLUDED.signature_line, created_at = now()`,
          [size, signature.name, `\u2014 ${signature.name} ${signature.base64}\n`],
        );
      }
      return this.rebuildNote(manager, size, ours.text, policy);
    });
  }

  /** Rebuilds a checkpoint's note from its stored cosignatures; final when the active ones reach the quorum. */
  private async rebuildNote(
    manager: EntityManager,
    size: number,
    text: string,
    policy: WitnessPolicy,
  ): Promise<{ size: number; witnesses: number; final: boolean }> {
    const lines: { signature_line: string }[] = await manager.query(
      `SELECT signature_line FROM ledger_cosignatures WHERE size = $1 ORDER BY key_name`,
      [size],
    );
    const verifiers = witnessVerifiers(policy);
    // Counted one by one: a line of a retired key (or tampered with) must not spoil the others.
    const counted = lines.filter(({ signature_line: line }) => {
      try {
        return openNote(`${text}\n${line}`, verifiers).signatures.length === 1;
      } catch {
        return false;
      }
    });
    const note = signNote(text, [this.keys.signer]) + lines.map((l) => l.signature_line).join('');
    const [{ final }] = await updateReturning<{ final: boolean }>(
      manager,
      `UPDATE ledger_checkpoints SET note = $2, witness_count = $3, final = final OR $4 WHERE size = $1
       RETURNING final`,
      [size, note, counted.length, counted.length >= policy.quorum],
    );
    return { size, witnesses: counted.length, final };
  }

  /**
   * Keys a verifier needs: the operator's and the allow-listed witnesses' (cosignature/v1 keys),
   * and the quorum. A snapshot at most about a second old; `loadVerifierKeys` reads it now.
   */
  verifierKeys(): { operator: string; witnesses: string[]; quorum: number } {
    return this.keysOf(this.witnesses.cached());
  }

  /** The same as `verifierKeys`, read from the allow-list now. */
  async loadVerifierKeys(): Promise<{ operator: string; witnesses: string[]; quorum: number }> {
    return this.keysOf(await this.witnesses.policy());
  }

  private keysOf(policy: WitnessPolicy): { operator: string; witnesses: string[]; quorum: number } {
    return {
      operator: this.keys.operatorVerifierKey,
      witnesses: policy.witnesses.map((w) => w.verifierKey),
      quorum: policy.quorum,
    };
  }
}

function witnessVerifiers(policy: WitnessPolicy): NoteVerifier[] {
  return policy.witnesses.map((w) => w.verifier);
}

interface CheckpointRow {
  size: string;
  root: Buffer;
  note: string;
  witness_count: number;
  final: boolean;
}

function toStored(row: CheckpointRow): StoredCheckpoint {
  return {
    size: Number(row.size),
    root: new Uint8Array(row.root),
    note: row.note,
    witnessCount: row.witness_count,
    final: row.final,
  };
}
