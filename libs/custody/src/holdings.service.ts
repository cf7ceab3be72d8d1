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

/** What an account holds (not burned), newest mint first, in keyset pages. */
@Injectable()
export class HoldingsService {
  constructor(private readonly dataSource: DataSource) {}

  async list(
    ownerId: string,
    query: { collection?: string; status?: 'active' | 'frozen'; limit?: number; cursor?: string },
  ) {
    const limit = query.limit ?? 50;
    // Walks tokens_owner_idx (owner_id, seq) backwards from the cursor.
    const rows: HoldingRow[] = await this.dataSource.query(
      `SELECT t.seq, t.id, t.name, t.collection_id, c.name AS collection_name, t.edition_number, t.edition_total,
              t.image_cid, t.status, t.acquired_at, l.id AS listing_id, l.price_minor, l.currency
       FROM tokens t JOIN collections c ON c.id = t.collection_id
         LEFT JOIN listings l ON l.token_id = t.id AND l.status = 'active'
       WHERE t.owner_id = $1 AND t.status <> 'burned'
         AND ($2::uuid IS NULL OR t.collection_id = $2) AND ($3::text IS NULL OR t.status = $3)
         AND ($4::bigint IS NULL OR t.seq < $4)
       ORDER BY t.seq DESC LIMIT $5`,
      [ownerId, query.collection ?? null, query.status ?? null, query.cursor ?? null, limit + 1],
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
