import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from './unavailable.js';

/** The replica's pool (none: reads use the primary) and how far behind it may be. */
export interface ReadReplica {
  dataSource?: DataSource;
  maxLagMs: number;
}

export const READ_REPLICA = Symbol('read replica');

/** What the replica reported, and when: at most one measurement per process per `MEASURE_EVERY_MS`. */
interface ReplicaPosition {
  measuredAt: number;
  /** False when the replica could not be reached or measured: reads go to the primary meanwhile. */
  reachable: boolean;
  lagMs: number;
  /** WAL replayed so far (null on a server that is not in recovery, which has all of its own WAL). */
  replayLsn: bigint | null;
}

const MEASURE_EVERY_MS = 1000;

/**
 * How far behind the replica is. A replica that has replayed all it received is current (`now() -
 * pg_last_xact_replay_timestamp()` would grow while the primary is idle); otherwise the lag is the
 * age of the last transaction it replayed, which bounds how stale its answers are. A replica whose
 * WAL receiver is not streaming cannot know it is current, so it counts as behind by that age too.
 */
const POSITION = `
  SELECT pg_is_in_recovery() AS in_recovery,
         pg_last_wal_replay_lsn()::text AS replay_lsn,
         CASE
           WHEN NOT pg_is_in_recovery() THEN 0
           WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
                AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0
           ELSE COALESCE(extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000, 'Infinity')
         END::float8 AS lag_ms`;

/**
 * Chooses where a read that may be a little stale runs: on the replica when one is configured, it is
 * at most `maxLagMs` behind, and it has replayed the reader's own last write (`fence`, the primary's
 * WAL position after that write — see identity's read fences); otherwise on the primary. Writes,
 * reservations and settlement never come here: they use the primary DataSource directly.
 *
 * Nothing here decides anything across processes: the only process-local state is a one-second
 * cache of a measurement of the replica, and a stale cache errs towards the primary for fences
 * (replay only moves forward, so a cached position is a lower bound) and lets the lag bound stretch
 * by at most that second. The measurement is of whichever server the read URL reaches, so the read
 * URL should name one replica per process (the cluster has one); behind a balancer over several
 * replicas, one could be measured and another read.
 */
@Injectable()
export class ReadRouter implements OnModuleDestroy {
  private position?: ReplicaPosition;
  private measuring?: Promise<ReplicaPosition>;

  constructor(
    private readonly primary: DataSource,
    @Inject(READ_REPLICA) private readonly replica: ReadReplica,
  ) {}

  /** True when reads may go to a replica (DATABASE_READ_URL is set). */
  get routesReads(): boolean {
    return this.replica.dataSource !== undefined;
  }

  /** Where to run a read that may be stale, for a reader whose own writes reached `fence` (pg_lsn). */
  async source(fence?: string | null): Promise<DataSource> {
    const replica = this.replica.dataSource;
    if (!replica) return this.primary;
    let position = await this.measured(false);
    if (!this.fresh(position)) return this.primary;
    if (fence && !replayedPast(position, fence)) {
      // The cached position may just be old: measure again once before giving up on the replica.
      position = await this.measured(true);
      if (!this.fresh(position) || !replayedPast(position, fence)) return this.primary;
    }
    return replica;
  }

  /**
   * Runs `work` where `source` says. On the replica, an answer of "no such thing" (a 4xx problem) may
   * only be lag — a token minted or a log grown a moment ago, a proof for a tree size the client saw
   * on the primary — and an unreachable or failed-over replica must not fail a read: the primary
   * answers those again and its word stands.
   */
  async read<T>(work: (db: DataSource) => Promise<T>, fence?: string | null): Promise<T> {
    const db = await this.source(fence);
    if (db === this.primary) return work(db);
    try {
      return await work(db);
    } catch (error) {
      if (isClientProblem(error) || isDatabaseUnavailable(error)) return work(this.primary);
      throw error;
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.replica.dataSource?.isInitialized) await this.replica.dataSource.destroy();
  }

  private fresh(position: ReplicaPosition): boolean {
    return position.reachable && position.lagMs <= this.replica.maxLagMs;
  }

  private async measured(force: boolean): Promise<ReplicaPosition> {
    const cached = this.position;
    if (!force && cached && Date.now() - cached.measuredAt < MEASURE_EVERY_MS) return cached;
    // Concurrent readers share one measurement.
    this.measuring ??= this.measure().finally(() => (this.measuring = undefined));
    return (this.position = await this.measuring);
  }

  private async measure(): Promise<ReplicaPosition> {
    const measuredAt = Date.now();
    const replica = this.replica.dataSource!;
    try {
      if (!replica.isInitialized) await replica.initialize();
      const [row]: { in_recovery: boolean; replay_lsn: string | null; lag_ms: number }[] =
        await replica.query(POSITION);
      return {
        measuredAt,
        reachable: true,
        lagMs: Number(row.lag_ms),
        replayLsn: row.in_recovery && row.replay_lsn ? lsnValue(row.replay_lsn) : null,
      };
    } catch {
      // An unreachable replica must not fail reads: the primary answers them until it is back.
      return { measuredAt, reachable: false, lagMs: Infinity, replayLsn: null };
    }
  }
}

function isClientProblem(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function replayedPast(position: ReplicaPosition, fence: string): boolean {
  return position.replayLsn === null || position.replayLsn >= lsnValue(fence);
}

/** A pg_lsn's text form (`16/B374D848`: high and low 32 bits in hex) as a number. */
export function lsnValue(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}
