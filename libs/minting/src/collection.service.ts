import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { problems } from '#http';
import type { Principal } from '#identity';
import type { CreateCollectionDto } from './minting.dto.js';
import { PolicyService } from '#policies';

export interface CollectionView {
  id: string;
  creatorId: string;
  creatorHandle: string;
  name: string;
  description: string;
  royaltyBps: number;
  supplyCap: number | null;
  minted: number;
  policy: {
    giftsAllowed: boolean;
    resaleAllowed: boolean;
    holdDays: number;
    realNameRequired: boolean;
    perBuyerLimit: number | null;
  };
  createdAt: string;
}

export const COLLECTION_COLUMNS = `c.id, c.creator_id, a.handle AS creator_handle, c.name, c.description, c.royalty_bps,
  c.supply_cap, c.minted, c.gifts_allowed, c.resale_allowed, c.hold_days, c.real_name_required, c.per_buyer_limit, c.created_at`;

/** Maps a row selected with COLLECTION_COLUMNS. */
interface CollectionRow {
  id: string;
  creator_id: string;
  creator_handle: string;
  name: string;
  description: string;
  royalty_bps: number;
  supply_cap: number | null;
  minted: number;
  gifts_allowed: boolean;
  resale_allowed: boolean;
  hold_days: number;
  real_name_required: boolean;
  per_buyer_limit: number | null;
  created_at: Date;
}

export function toCollectionView(row: CollectionRow): CollectionView {
  return {
    id: row.id,
    creatorId: row.creator_id,
    creatorHandle: row.creator_handle,
    name: row.name,
    description: row.description,
    royaltyBps: row.royalty_bps,
    supplyCap: row.supply_cap,
    minted: row.minted,
    policy: {
      giftsAllowed: row.gifts_allowed,
      resaleAllowed: row.resale_allowed,
      holdDays: row.hold_days,
      realNameRequired: row.real_name_required,
      perBuyerLimit: row.per_buyer_limit,
    },
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** Creator-owned collections with their royalty, supply cap and resale policy. */
@Injectable()
export class CollectionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly policies: PolicyService,
  ) {}

  /** Creates a collection owned by the (approved creator) caller; its hold period defaults to the platform's. */
  async create(principal: Principal, input: CreateCollectionDto): Promise<CollectionView> {
    const policy = input.policy ?? {};
    const [row] = await this.dataSource.query(
      `INSERT INTO collections (creator_id, name, description, royalty_bps, supply_cap, resale_allowed, hold_days,
         real_name_required, per_buyer_limit, gifts_allowed)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [
        principal.accountId,
        input.name,
        input.description ?? '',
        input.royaltyBps,
        input.supplyCap ?? null,
        policy.resaleAllowed ?? true,
        policy.holdDays ?? (await this.policies.current()).defaultHoldDays,
        policy.realNameRequired ?? false,
        policy.perBuyerLimit ?? null,
        policy.giftsAllowed ?? true,
      ],
    );
    return this.get(row.id);
  }

  async get(collectionId: string): Promise<CollectionView> {
    const [row] = await this.dataSource.query(
      `SELECT ${COLLECTION_COLUMNS} FROM collections c JOIN accounts a ON a.id = c.creator_id WHERE c.id = $1`,
      [collectionId],
    );
    if (!row) throw problems.notFound('Collection');
    return toCollectionView(row);
  }
}
