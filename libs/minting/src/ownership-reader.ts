import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { OwnershipReader, OwnershipRow } from '#ledger';

const BATCH = 50_000;

/** The ownership tables as audit replay sees them: every token's owner and status, in id order. */
@Injectable()
export class TokenOwnershipReader implements OwnershipReader {
  async *readOwnership(manager: EntityManager): AsyncIterable<OwnershipRow[]> {
    let after = '';
    for (;;) {
      const rows: { id: string; owner_id: string | null; status: OwnershipRow['status'] }[] =
        await manager.query(`SELECT id, owner_id, status FROM tokens WHERE id > $1 ORDER BY id LIMIT $2`, [
          after,
          BATCH,
        ]);
      if (rows.length === 0) return;
      yield rows.map((row) => ({ tokenId: row.id, owner: row.owner_id, status: row.status }));
      after = rows[rows.length - 1].id;
    }
  }
}
