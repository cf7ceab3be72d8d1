import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { CONTENT_STORE, type ContentStore } from '#content';
import { ReadRouter } from '#database';
import { problems } from '#http';
import { type LedgerEntry, ProofService } from '#ledger';
import { tokenOffer } from '#market';
import type { ProvenanceView, TokenPageView } from './catalogue.dto.js';
import { toTokenSummary, type TokenRow } from './token-mapping.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface TokenPageRow extends TokenRow {
  description: string;
  metadata_cid: string;
  royalty_bps: number;
  ledger_seq: number;
}

/** A token's public page: what it is, who holds it (by handle), its price and its provenance. */
@Injectable()
export class TokenPageService {
  private readonly logger = new Logger(TokenPageService.name);

  constructor(
    private readonly reads: ReadRouter,
    private readonly proofs: ProofService,
    @Inject(CONTENT_STORE) private readonly content: ContentStore,
  ) {}

  /** Read where the ReadRouter says: a replica within the lag bound that has the reader's own writes. */
  tokenPage(tokenId: string, readFence?: string | null): Promise<TokenPageView> {
    return this.reads.read((db) => this.tokenPageOn(db, tokenId), readFence);
  }

  private async tokenPageOn(db: DataSource, tokenId: string): Promise<TokenPageView> {
    const [row]: TokenPageRow[] = await db.query(
      `SELECT t.id, t.seq, t.name, t.description, t.edition_number, t.edition_total, t.collection_id,
         c.name AS collection_name, c.royalty_bps, cr.handle AS creator_handle, o.handle AS owner_handle,
         t.metadata_cid, t.image_cid, t.status, t.price_minor, t.currency, t.minted_at, t.ledger_seq
       FROM tokens t
       JOIN collections c ON c.id = t.collection_id
       JOIN accounts cr ON cr.id = t.creator_id
       LEFT JOIN accounts o ON o.id = t.owner_id
       WHERE t.id = $1`,
      [tokenId],
    );
    if (!row) throw problems.notFound('Token');
    const [metadata, entries, offer] = await Promise.all([
      this.readMetadata(row.metadata_cid),
      this.proofs.reading(db).tokenEntries(tokenId),
      tokenOffer(db.manager, tokenId),
    ]);
    const history = await this.provenance(
      db,
      entries.map((e) => ({ index: e.index, entry: e.entry })),
    );
    return {
      ...toTokenSummary(row, offer),
      description: row.description,
      collection: { id: row.collection_id, name: row.collection_name, royaltyBps: row.royalty_bps },
      metadataCid: row.metadata_cid,
      metadata,
      history,
      // ledger_seq is the per-token seq of the latest entry (0 = the mint), so it counts them all.
      historyPending: Math.max(0, row.ledger_seq + 1 - history.length),
    };
  }

  /** Verified metadata from the content store; null (and logged) when missing or corrupt. */
  private async readMetadata(cid: string): Promise<Record<string, unknown> | null> {
    try {
      const bytes = await this.content.get(cid);
      if (bytes) return JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
      this.logger.warn({ cid }, 'token metadata missing from the content store');
    } catch (error) {
      this.logger.error({ cid, error: String(error) }, 'token metadata unreadable');
    }
    return null;
  }

  /** Ledger entries with the holder after each event shown by public handle, where it still exists. */
  private async provenance(
    db: DataSource,
    entries: { index: number; entry: LedgerEntry }[],
  ): Promise<ProvenanceView[]> {
    const holders = entries.map(({ entry }) => holderAfter(entry));
    const ids = [...new Set(holders.filter((id): id is string => id !== null && UUID.test(id)))];
    const handles = new Map<string, string>();
    if (ids.length > 0) {
      const rows: { id: string; handle: string }[] = await db.query(
        `SELECT id, handle FROM accounts WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      for (const r of rows) handles.set(r.id, r.handle);
    }
    return entries.map(({ index, entry }, i) => ({
      index,
      seq: entry.seq,
      type: entry.type,
      at: entry.at,
      ownerHandle: holders[i] === null ? null : (handles.get(holders[i]) ?? null),
    }));
  }
}

/** Who holds the token after the event: the receiver, the unchanged holder, or nobody after a burn. */
function holderAfter(entry: LedgerEntry): string | null {
  if (entry.type === 'burn') return null;
  return entry.to ?? entry.from;
}
