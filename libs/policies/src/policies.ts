import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { HeirloomConfig } from '#config';
import { inTransaction } from '#database';
import { recordOperatorAction } from '#operator-trail';

/** The platform-wide rules operators set at run time. */
export interface PlatformPolicy {
  /** The platform's share of each sale, in basis points of the price. */
  platformFeeBps: number;
  /** Days a token is held before it can be given or resold, for collections that set none. */
  defaultHoldDays: number;
  /** Every buyer and both sides of every gift must be real-name verified, whatever the collection says. */
  realNameRequired: boolean;
}

interface PolicyRow {
  version: number;
  platform_fee_bps: number;
  default_hold_days: number;
  real_name_required: boolean;
  set_at: Date;
}

const NEWEST = `SELECT version, platform_fee_bps, default_hold_days, real_name_required, set_at
  FROM platform_policies ORDER BY version DESC LIMIT 1`;

/**
 * SQL (a scalar subquery) that is true when the platform requires real-name verification of every
 * buyer and gift, for statements that check a collection's own rule in the same snapshot.
 */
export const PLATFORM_REAL_NAME_SQL = `coalesce((SELECT real_name_required FROM platform_policies
  ORDER BY version DESC LIMIT 1), false)`;

/**
 * The platform's policies: the newest version operators set, read from the database on every use
 * (so every process applies a change at once), or the start-up settings before any was set.
 */
@Injectable()
export class PolicyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
  ) {}

  async current(manager: EntityManager = this.dataSource.manager) {
    const [row]: PolicyRow[] = await manager.query(NEWEST);
    return row ? policyView(row) : { ...this.startUpPolicy(), version: 0, setAt: null };
  }

  /** Sets the policies (fields left out keep their value) as a new version, with the reason in the trail. */
  async set(actorId: string, change: Partial<PlatformPolicy>, reason: string) {
    return inTransaction(this.dataSource, async (manager) => {
      // Versions are numbered in commit order: concurrent changes each build on the one before.
      await manager.query(`LOCK TABLE platform_policies IN SHARE ROW EXCLUSIVE MODE`);
      const before = await this.current(manager);
      const next: PlatformPolicy = {
        platformFeeBps: change.platformFeeBps ?? before.platformFeeBps,
        defaultHoldDays: change.defaultHoldDays ?? before.defaultHoldDays,
        realNameRequired: change.realNameRequired ?? before.realNameRequired,
      };
      const [row]: PolicyRow[] = await manager.query(
        `INSERT INTO platform_policies (platform_fee_bps, default_hold_days, real_name_required, set_by)
         VALUES ($1, $2, $3, $4)
         RETURNING version, platform_fee_bps, default_hold_days, real_name_required, set_at`,
        [next.platformFeeBps, next.defaultHoldDays, next.realNameRequired, actorId],
      );
      await recordOperatorAction(manager, {
        actorId,
        action: 'policy.set',
        subject: { kind: 'platform', id: `policy-v${row.version}` },
        reason,
      });
      return policyView(row);
    });
  }

  private startUpPolicy(): PlatformPolicy {
    return { platformFeeBps: this.config.platformFeeBps, defaultHoldDays: 0, realNameRequired: false };
  }
}

function policyView(row: PolicyRow) {
  return {
    platformFeeBps: row.platform_fee_bps,
    defaultHoldDays: row.default_hold_days,
    realNameRequired: row.real_name_required,
    version: row.version,
    setAt: row.set_at.toISOString() as string | null,
  };
}
