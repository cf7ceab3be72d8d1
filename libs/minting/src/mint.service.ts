import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import {
  CONTENT_STORE,
  type ContentStore,
  encodeMetadata,
  type NftMetadata,
  validateMetadata,
} from '#content';
import { inTransaction } from '#database';
import { problems } from '#http';
import type { Principal } from '#identity';
import { LedgerWriter, type LedgerEntry } from '#ledger';
import { assertMintableMedia, mediaReferences } from './mint-media.js';
import { MAX_EDITIONS_PER_REQUEST, type MintDto } from './minting.dto.js';

export interface MintResult {
  collectionId: string;
  tokenIds: string[];
  /** False when the idempotency key had already minted these tokens. */
  created: boolean;
}

interface PreparedItem {
  metadata: NftMetadata;
  metadataCid: string;
  imageCid: string;
  editions: number;
}

/** Stable public token id: opaque, URL-safe, valid as a ledger id. */
export function newTokenId(): string {
  return `tok_${randomBytes(12).toString('base64url')}`;
}

/**
 * Mints 1-of-1s and numbered editions, all-or-nothing per request: every token row and its ledger
 * mint entry are written in one transaction, under the creator's idempotency key.
 */
@Injectable()
export class MintService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: LedgerWriter,
    @Inject(CONTENT_STORE) private readonly content: ContentStore,
  ) {}

  async mint(principal: Principal, collectionId: string, request: MintDto): Promise<MintResult> {
    const total = request.items.reduce((sum, item) => sum + (item.editions ?? 1), 0);
    if (total > MAX_EDITIONS_PER_REQUEST) {
      throw problems.unprocessable(
        'too-many-editions',
        `at most ${MAX_EDITIONS_PER_REQUEST} tokens per request`,
      );
    }
    const requestHash = createHash('sha256')
      .update(JSON.stringify([collectionId, request.items]))
      .digest();
    const replay = await this.previousResult(
      this.dataSource.manager,
      principal.accountId,
      request.idempotencyKey,
      requestHash,
    );
    if (replay) return replay;

    await this.assertCollectionOwner(principal, collectionId);
    const items = await this.prepare(principal.accountId, request);
    return inTransaction(this.dataSource, async (manager) => {
      const inserted: { token_ids: string[] }[] = await manager.query(
        `INSERT INTO mint_requests (creator_id, idempotency_key, request_hash, token_ids) VALUES ($1, $2, $3, '{}')
         ON CONFLICT DO NOTHING RETURNING token_ids`,
        [principal.accountId, request.idempotencyKey, requestHash],
      );
      if (inserted.length === 0) {
        // A concurrent request with this key committed first.
        return (await this.previousResult(
          manager,
          principal.accountId,
          request.idempotencyKey,
          requestHash,
        ))!;
      }
      await this.reserveSupply(manager, principal, collectionId, total);
      const tokenIds = await this.insertTokens(manager, principal.accountId, collectionId, items);
      await manager.query(
        `UPDATE mint_requests SET token_ids = $3 WHERE creator_id = $1 AND idempotency_key = $2`,
        [principal.accountId, request.idempotencyKey, tokenIds],
      );
      return { collectionId, tokenIds, created: true };
    });
  }

  /** Validates every item's metadata and the creator's right to its media before anything is written. */
  private async prepare(creatorId: string, request: MintDto): Promise<PreparedItem[]> {
    const issues = request.items.flatMap((item, i) =>
      validateMetadata(item.metadata).map((issue) => ({ item: i, ...issue })),
    );
    if (issues.length > 0) {
      throw problems.unprocessable(
        'invalid-metadata',
        'Some items have invalid metadata; nothing was minted',
        {
          errors: issues,
        },
      );
    }
    const metadata = request.items.map((item) => item.metadata as unknown as NftMetadata);
    await assertMintableMedia(this.dataSource, creatorId, mediaReferences(metadata));
    // Content-addressed and idempotent: storing before the transaction loses nothing if it rolls back.
    const stored = await Promise.all(metadata.map((m) => this.content.put(encodeMetadata(m))));
    return metadata.map((m, i) => ({
      metadata: m,
      metadataCid: stored[i].cid,
      imageCid: m.image.replace(/^ipfs:\/\//, ''),
      editions: request.items[i].editions ?? 1,
    }));
  }

  private async previousResult(
    manager: EntityManager,
    creatorId: string,
    idempotencyKey: string,
    requestHash: Buffer,
  ): Promise<MintResult | undefined> {
    const rows: { request_hash: Buffer; token_ids: string[]; collection_id: string | null }[] =
      await manager.query(
        `SELECT r.request_hash, r.token_ids, t.collection_id FROM mint_requests r
       LEFT JOIN tokens t ON t.id = r.token_ids[1]
       WHERE r.creator_id = $1 AND r.idempotency_key = $2`,
        [creatorId, idempotencyKey],
      );
    if (rows.length === 0) return undefined;
    if (!rows[0].request_hash.equals(requestHash)) {
      throw problems.conflict(
        'idempotency-key-reused',
        'This idempotency key was used for a different mint request',
      );
    }
    return { collectionId: rows[0].collection_id ?? '', tokenIds: rows[0].token_ids, created: false };
  }

  /** Fails fast (before any validation work) when the caller does not own the collection. */
  private async assertCollectionOwner(principal: Principal, collectionId: string): Promise<void> {
    const [row]: { creator_id: string }[] = await this.dataSource.query(
      `SELECT creator_id FROM collections WHERE id = $1`,
      [collectionId],
    );
    if (!row) throw problems.notFound('Collection');
    if (row.creator_id !== principal.accountId)
      throw problems.forbidden('Only the collection’s creator can mint into it');
  }

  /** Locks the collection, checks the caller owns it, and counts the new tokens against its cap. */
  private async reserveSupply(
    manager: EntityManager,
    principal: Principal,
    collectionId: string,
    total: number,
  ) {
    const [collection]: { creator_id: string; supply_cap: number | null; minted: number }[] =
      await manager.query(`SELECT creator_id, supply_cap, minted FROM collections WHERE id = $1 FOR UPDATE`, [
        collectionId,
      ]);
    if (collection.creator_id !== principal.accountId)
      throw problems.forbidden('Only the collection’s creator can mint into it');
    if (collection.supply_cap !== null && collection.minted + total > collection.supply_cap) {
      throw problems.conflict(
        'supply-cap-exceeded',
        `The collection may hold ${collection.supply_cap} tokens; ${collection.minted} exist, ${total} requested`,
      );
    }
    await manager.query(`UPDATE collections SET minted = minted + $2 WHERE id = $1`, [collectionId, total]);
  }

  private async insertTokens(
    manager: EntityManager,
    creatorId: string,
    collectionId: string,
    items: PreparedItem[],
  ): Promise<string[]> {
    const columns = {
      id: [] as string[],
      edition: [] as number[],
      total: [] as number[],
      item: [] as number[],
    };
    items.forEach((item, i) => {
      for (let n = 1; n <= item.editions; n++) {
        columns.id.push(newTokenId());
        columns.edition.push(n);
        columns.total.push(item.editions);
        columns.item.push(i);
      }
    });
    const at = new Date();
    const entries: LedgerEntry[] = columns.id.map((token) => ({
      v: 1,
      type: 'mint',
      token,
      seq: 0,
      from: null,
      to: creatorId,
      at: at.toISOString(),
      ref: collectionId,
    }));
    // Token seq numbers are handed out in commit order (the lock is held until commit), so a
    // catalogue reader that saw seq N has seen every token below N: keyset pages never gain
    // late-committing rows. Taken last, so only the inserts and the commit are serialized.
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('heirloom:token-seq'))`);
    const inserting = manager.query(
      `INSERT INTO tokens (id, collection_id, creator_id, edition_number, edition_total, name, description,
         metadata_cid, image_cid, attributes, owner_id, acquired_at, last_event_at, minted_at)
       SELECT t.id, $1, $2, t.edition, t.total, i.name, i.description, i.metadata_cid, i.image_cid, i.attributes, $2, $3, $3, $3
       FROM unnest($4::text[], $5::int[], $6::int[], $7::int[]) AS t(id, edition, total, item)
       JOIN unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::jsonb[]) WITH ORDINALITY
         AS i(name, description, metadata_cid, image_cid, attributes, ord) ON i.ord = t.item + 1`,
      [
        collectionId,
        creatorId,
        at,
        columns.id,
        columns.edition,
        columns.total,
        columns.item,
        items.map((i) => i.metadata.name),
        items.map((i) => i.metadata.description ?? ''),
        items.map((i) => i.metadataCid),
        items.map((i) => i.imageCid),
        items.map((i) => JSON.stringify(i.metadata.attributes ?? [])),
      ],
    );
    inserting.catch(() => undefined); // awaited below; this only keeps an early failure "handled"
    // Canonically encoding thousands of ledger entries keeps this process busy for a while: let
    // PostgreSQL insert the token rows meanwhile (the append's INSERT queues behind it).
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([inserting, this.ledger.append(manager, entries)]);
    return columns.id;
  }
}
