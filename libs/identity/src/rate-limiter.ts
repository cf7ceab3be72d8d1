import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { problems } from '#http';

/**
 * Fixed-window counters in PostgreSQL, so limits hold across several API processes
 * (an in-memory throttler would give each process its own budget).
 */
@Injectable()
export class RateLimiter {
  constructor(private readonly dataSource: DataSource) {}

  /** Counts one hit for `key`; throws 429 when the window's budget is spent. */
  async consume(key: string, limit: number, windowSeconds = 60): Promise<void> {
    const rows: { hits: number; retry_after: number }[] = await this.dataSource.query(
      `INSERT INTO rate_limit_hits (key, window_start, hits)
       VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), 1)
       ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit_hits.hits + 1
       RETURNING hits, ceil($2 - extract(epoch FROM now() - window_start))::int AS retry_after`,
      [key, windowSeconds],
    );
    if (rows[0].hits > limit) throw problems.tooManyRequests(Math.max(1, rows[0].retry_after));
  }

  /** Drops finished windows. */
  async prune(): Promise<void> {
    await this.dataSource.query(`DELETE FROM rate_limit_hits WHERE window_start < now() - interval '1 hour'`);
  }
}
