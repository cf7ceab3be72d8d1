import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HeirloomConfig } from '#config';
import { problems } from '#http';
import { formatCheckpoint, NoteError, openNote, signNote } from './core/index.js';
import { LedgerKeys } from './ledger-keys.js';
import { loadTreeState } from './tree-store.js';

export interface StoredCheckpoint {
  size: number;
  root: Uint8Array;
  note: string;
  witnessCount: number;
  final: boolean;
}

/** Signs checkpoints with the operator key and collects witness co-signatures up to the quorum. */
@Injectable()
export class CheckpointService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
    private readonly keys: LedgerKeys,
  ) {}

  /** Signs a checkpoint of the current tree if it grew since the last one; returns the newest. */
  async checkpointIfGrown(): Promise<StoredCheckpoint | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const state = await loadTreeState(manager, true);
      const latest = await this.latest(false, manager);
      if (state.size === 0 || (latest && latest.size >= state.size)) return latest;
      const body = formatCheckpoint({
        origin: this.config.ledgerOrigin,
        size: state.size,
        rootHash: state.root,
      });
      const note = signNote(body, [this.keys.signer]);
      const final = this.keys.quorum === 0;
      await manager.query(
        `INSERT INTO ledger_checkpoints (size, root, note, final) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [state.size, Buffer.from(state.root), note, final],
      );
      return { size: state.size, root: state.root, note, witnessCount: 0, final };
    });
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
   * Accepts a witness's copy of checkpoint `size` carrying its co-signature. Only signatures of
   * allow-listed witness keys over exactly our checkpoint text are kept.
   */
  async addCosignatures(
    size: number,
    cosignedNote: string,
  ): Promise<{ size: number; witnesses: number; final: boolean }> {
    return this.dataSource.transaction(async (manager) => {
      const [row]: CheckpointRow[] = await manager.query(
        `SELECT size, root, note, witness_count, final FROM ledger_checkpoints WHERE size = $1 FOR UPDATE`,
        [size],
      );
      if (!row) throw problems.notFound(`Checkpoint of size ${size}`);
      let opened;
      try {
        opened = openNote(cosignedNote, this.keys.witnesses);
      } catch (error) {
        const detail = error instanceof NoteError ? error.message : 'the note is malformed';
        throw problems.unprocessable('cosignature-rejected', `No allow-listed witness signature: ${detail}`);
      }
      const ours = openNote(row.note, [this.keys.operatorVerifier]);
      if (opened.text !== ours.text) {
        throw problems.unprocessable(
          'cosignature-rejected',
          'The co-signed text differs from our checkpoint',
        );
      }
      for (const signature of opened.signatures) {
        await manager.query(
          `INSERT INTO ledger_cosignatures (size, key_name, signature_line) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING`,
          [size, signature.name, `— ${signature.name} ${signature.base64}\n`],
        );
      }
      const lines: { signature_line: string }[] = await manager.query(
        `SELECT signature_line FROM ledger_cosignatures WHERE size = $1 ORDER BY key_name`,
        [size],
      );
      const operatorOnly = signNote(ours.text, [this.keys.signer]);
      const note = operatorOnly + lines.map((l) => l.signature_line).join('');
      const final = lines.length >= this.keys.quorum;
      await manager.query(
        `UPDATE ledger_checkpoints SET note = $2, witness_count = $3, final = $4 WHERE size = $1`,
        [size, note, lines.length, final],
      );
      return { size, witnesses: lines.length, final };
    });
  }

  /** Keys a verifier needs: the operator's and the allow-listed witnesses'. */
  verifierKeys(): { operator: string; witnesses: string[]; quorum: number } {
    return {
      operator: this.keys.operatorVerifierKey,
      witnesses: this.keys.witnesses.map((w) => w.verifierKey),
      quorum: this.keys.quorum,
    };
  }
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
