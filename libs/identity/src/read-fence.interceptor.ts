import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { catchError, concatMap, from, mergeMap, Observable, throwError } from 'rxjs';
import { DataSource } from 'typeorm';
import { ReadRouter } from '#database';
import type { Principal } from './principal.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * After a signed-in account's write request, records the primary's WAL position as that account's
 * read fence, before the response leaves: every later read for the account (any process, any
 * device) then goes to the primary until the replica has replayed past it. `pg_current_wal_lsn()`
 * here is past the commit of everything the request wrote, since those transactions ended first.
 * Recorded after failed requests too: a request may commit some work and still answer a problem.
 *
 * Only when reads are routed to a replica (DATABASE_READ_URL): otherwise there is nothing to fence.
 * Its commit need not wait for the disk or the synchronous standby (`synchronous_commit = off`,
 * which still makes it visible at once): a fence lost in a crash only lets a read be stale once.
 */
@Injectable()
export class ReadFenceInterceptor implements NestInterceptor {
  constructor(
    private readonly dataSource: DataSource,
    private readonly reads: ReadRouter,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    if (!this.reads.routesReads || READS.has(request.method)) return next.handle();
    return next.handle().pipe(
      concatMap(async (value: unknown) => {
        await this.fence(request.principal);
        return value;
      }),
      catchError((error: unknown) =>
        from(this.fence(request.principal)).pipe(mergeMap(() => throwError(() => error))),
      ),
    );
  }

  private async fence(principal: Principal | undefined): Promise<void> {
    // The principal is resolved before the handler runs; a request that signed in has none yet.
    if (!principal) return;
    try {
      await this.dataSource.transaction(async (manager) => {
        await manager.query('SET LOCAL synchronous_commit = off');
        await manager.query(
          `INSERT INTO read_fences (account_id, lsn) VALUES ($1, pg_current_wal_lsn())
           ON CONFLICT (account_id)
           DO UPDATE SET lsn = GREATEST(read_fences.lsn, EXCLUDED.lsn), written_at = now()`,
          [principal.accountId],
        );
      });
    } catch {
      // The request's own outcome stands: failing it now would only make the client repeat a write
      // that happened. At worst the account's next read is stale once.
    }
  }
}
