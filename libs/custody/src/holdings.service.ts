import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { keysetPage } from '#http';

interface HoldingRow {
  seq: string;
  id: string;
  name: string;
  collection_id: string;
  collection_name: string;
  edition_number: number;
  edition_total: number;
  image_cid: string;
  status: 'active' | 'frozen';
  acquired_at: Date;
  listing_id: string | null;
  price_minor: string | null;
  currency: string | null;
}

const STATUSES = { active: 'active', frozen: 'frozen' } as const;

/** What an account holds (not burned), newest mint first, in keyset pages. */
@Injectable()
export class HoldingsService {
  constructor(private readonly dataSource: DataSource) {}

  async list(
    ownerId: string,
    query: { collection?: string; status?: 'active' | 'frozen'; limit?: number; cursor?: string },
  ) {
    const limit = query.limit ?? 50;
    // Each filter is written into the statement (from a fixed set) rather than as `$n IS NULL OR …`,
    // so the planner walks the index that holds exactly the rows asked for, backwards from the
    // cursor: tokens_owner_idx, tokens_owner_collection_idx or tokens_owner_frozen_idx.
    const status =
      query.status === undefined ? `t.status <> 'burned'` : `t.status = '${STATUSES[query.status]}'`;
    const collection = query.collection === undefined ? '' : 'AND t.collection_id = $4';
    const rows: HoldingRow[] = await this.dataSource.query(
      `SELECT t.seq, t.id, t.name, t.collection_id, c.name AS collection_name, t.edition_number, t.edition_total,
              t.image_cid, t.status, t.acquired_at, l.id AS listing_id, l.price_minor, l.currency
       FROM tokens t JOIN collections c ON c.id = t.collection_id
         LEFT JOIN listings l ON l.token_id = t.id AND l.status = 'active'
       WHERE t.owner_id = $1 AND ${status} ${collection} AND ($2::bigint IS NULL OR t.seq < $2)
       ORDER BY t.seq DESC LIMIT $3`,
      [
        ownerId,
        query.cursor ?? null,
        limit + 1,
        ...(query.collection === undefined ? [] : [query.collection]),
      ],
    );
    return keysetPage(
      rows,
      limit,
      (row) => ({
        tokenId: row.id,
        name: row.name,
        collectionId: row.collection_id,
        collectionName: row.collection_name,
        editionNumber: row.edition_number,
        editionTotal: row.edition_total,
        imageCid: row.image_cid,
        status: row.status,
        acquiredAt: new Date(row.acquired_at).toISOString(),
        listing:
          row.listing_id === null
            ? null
            : { listingId: row.listing_id, priceMinor: Number(row.price_minor), currency: row.currency! },
        certificate: `/ledger/tokens/${encodeURIComponent(row.id)}/certificate`,
      }),
      (last) => String(last.seq),
    );
  }

  /** How many tokens the account holds (not burned). */
  async count(ownerId: string): Promise<number> {
    const [row]: { count: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS count FROM tokens WHERE owner_id = $1 AND status <> 'burned'`,
      [ownerId],
    );
    return row.count;
  }
}
