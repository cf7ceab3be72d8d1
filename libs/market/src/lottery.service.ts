import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { HeirloomConfig } from '#config';
import { inTransaction } from '#database';
import { DomainError, problems } from '#http';
import type { Principal } from '#identity';
import { ListingService } from './listing.service.js';
import { drawWinners, newTicket } from './lottery.js';
import { notify } from '#notifications';
import { emitEvents } from '#webhooks';

/**
 * The caller's own entry in a lottery: their ticket, whether it won (null before the draw) and, said
 * plainly, where they stand: a ticket that was not drawn is `not-drawn`, never the drop's "sold out".
 */
export interface OwnEntry {
  entered: boolean;
  ticket: string | null;
  won: boolean | null;
  status: 'not-entered' | 'pending' | 'won' | 'not-drawn';
  /** A winner's edition is kept for them until this time (null once bought or lapsed, and for anyone else). */
  claimUntil: string | null;
}

/**
 * Lottery drops: entries (each with a random ticket), the draw over tickets with the committed seed,
 * and the public view — counts, tickets and winning tickets, never account ids.
 */
@Injectable()
export class LotteryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
    private readonly listings: ListingService,
  ) {}

  /** Enters the caller into a lottery drop while its entry window is open; entering twice is one entry. */
  async enter(principal: Principal, dropId: string) {
    const [drop]: { mode: string; creator_id: string; starts_at: Date; entries_close_at: Date | null }[] =
      await this.dataSource.query(
        `SELECT mode, creator_id, starts_at, entries_close_at FROM drops WHERE id = $1`,
        [dropId],
      );
    if (!drop) throw problems.notFound('Drop');
    if (drop.mode !== 'lottery') throw problems.conflict('not-a-lottery', 'This drop is first-come');
    if (drop.creator_id === principal.accountId) {
      throw new DomainError(
        'own-drop',
        403,
        'Forbidden',
        'A creator cannot enter the lottery of their own drop',
      );
    }
    const now = new Date();
    if (now < drop.starts_at || now >= drop.entries_close_at!) {
      throw problems.conflict('entries-closed', 'The entry window is not open');
    }
    return { dropId, entered: true, ticket: await this.ticketFor(dropId, principal.accountId) };
  }

  /** The account's ticket in the drop: a new entry's, or the one it entered with before. */
  private async ticketFor(dropId: string, accountId: string): Promise<string> {
    const existing = `SELECT encode(ticket, 'hex') AS ticket FROM drop_entries WHERE drop_id = $1 AND buyer_id = $2`;
    const [entry]: { ticket: string }[] = await this.dataSource.query(
      `WITH entry AS (
         INSERT INTO drop_entries (drop_id, buyer_id, ticket) VALUES ($1, $2, $3)
         ON CONFLICT (drop_id, buyer_id) DO NOTHING RETURNING ticket)
       SELECT encode(ticket, 'hex') AS ticket FROM entry UNION ALL ${existing}`,
      [dropId, accountId, newTicket()],
    );
    // An entry committed by a concurrent request after this statement began is not in its snapshot.
    return (
      entry?.ticket ??
      ((await this.dataSource.query(existing, [dropId, accountId])) as (typeof entry)[])[0].ticket
    );
  }

  /** Draws the winning tickets after the window, reveals the seed and allocates one edition per winner. */
  async draw(principal: Principal, dropId: string) {
    return inTransaction(this.dataSource, async (manager) => {
      const [drop] = await manager.query(`SELECT * FROM drops WHERE id = $1 FOR UPDATE`, [dropId]);
      if (!drop) throw problems.notFound('Drop');
      if (drop.creator_id !== principal.accountId && !principal.roles.includes('operator')) {
        throw problems.forbidden('Only the creator or an operator can draw');
      }
      if (drop.mode !== 'lottery') throw problems.conflict('not-a-lottery', 'This drop is first-come');
      if (drop.drawn_at) return this.view(dropId, undefined, manager);
      if (new Date(drop.entries_close_at) > new Date())
        throw problems.conflict('entries-open', 'Entries are still open');
      const entries: { buyer_id: string; ticket: string }[] = await manager.query(
        `SELECT buyer_id, encode(ticket, 'hex') AS ticket FROM drop_entries WHERE drop_id = $1`,
        [dropId],
      );
      const listings: { id: string }[] = await manager.query(
        `SELECT id FROM listings WHERE drop_id = $1 AND status = 'active' ORDER BY id`,
        [dropId],
      );
      const buyerOf = new Map(entries.map((entry) => [entry.ticket, entry.buyer_id]));
      const winners = drawWinners(
        drop.seed,
        entries.map((entry) => entry.ticket),
        listings.length,
      ).map((ticket) => buyerOf.get(ticket)!);
      // Editions in listing-id order go to the winners in rank order.
      const claimUntil = new Date(Date.now() + this.config.lotteryClaimSeconds * 1000);
      await manager.query(
        `UPDATE listings l SET allocated_to = w.buyer, allocated_until = $2
         FROM unnest($1::uuid[], $3::uuid[]) AS w(listing, buyer) WHERE l.id = w.listing`,
        [listings.slice(0, winners.length).map((l) => l.id), claimUntil, winners],
      );
      await manager.query(`UPDATE drop_entries SET won = (buyer_id = ANY($2::uuid[])) WHERE drop_id = $1`, [
        dropId,
        winners,
      ]);
      await manager.query(`UPDATE drops SET drawn_at = now() WHERE id = $1`, [dropId]);
      await notify(
        manager,
        winners.map((winner) => ({
          accountId: winner,
          kind: 'lottery.won',
          subject: { kind: 'drop', id: dropId },
          data: { dropId, claimUntil: claimUntil.toISOString() },
        })),
      );
      await emitEvents(manager, [
        {
          type: 'drop.drawn',
          accountIds: [drop.creator_id, ...entries.map((entry) => entry.buyer_id)],
          data: {
            dropId,
            entrantCount: entries.length,
            winnerCount: winners.length,
            claimUntil: claimUntil.toISOString(),
          },
        },
      ]);
      return this.view(dropId, undefined, manager);
    });
  }

  /**
   * A drop's public view with what it takes to recompute its draw: every ticket, the winning ones
   * (best first) and, once drawn, the seed. With a caller, a lottery's view adds their own entry.
   */
  async view(dropId: string, caller?: Principal, manager: EntityManager = this.dataSource.manager) {
    const drop = await this.listings.getDrop(dropId, manager);
    const entries: { ticket: string; won: boolean | null; mine: boolean | null }[] = await manager.query(
      `SELECT encode(ticket, 'hex') AS ticket, won, buyer_id = $2::uuid AS mine
       FROM drop_entries WHERE drop_id = $1 ORDER BY ticket`,
      [dropId, caller?.accountId ?? null],
    );
    const won = entries.filter((entry) => entry.won).map((entry) => entry.ticket);
    const winningTickets = drop.seed ? drawWinners(Buffer.from(drop.seed, 'hex'), won, won.length) : [];
    const view = {
      ...drop,
      entrantCount: entries.length,
      winnerCount: winningTickets.length,
      tickets: entries.map((entry) => entry.ticket),
      winningTickets,
    };
    if (!caller || drop.mode !== 'lottery') return view;
    const mine = entries.find((entry) => entry.mine);
    if (!mine) {
      const yourEntry: OwnEntry = {
        entered: false,
        ticket: null,
        won: null,
        status: 'not-entered',
        claimUntil: null,
      };
      return { ...view, yourEntry };
    }
    const drawn = drop.drawnAt ? mine.won === true : null;
    const yourEntry: OwnEntry = {
      entered: true,
      ticket: mine.ticket,
      won: drawn,
      status: drawn === null ? 'pending' : drawn ? 'won' : 'not-drawn',
      claimUntil: drawn ? await this.claimUntil(manager, dropId, caller.accountId) : null,
    };
    return { ...view, yourEntry };
  }

  /** Until when the winner's allocated edition is kept for them: null once bought or lapsed. */
  private async claimUntil(
    manager: EntityManager,
    dropId: string,
    accountId: string,
  ): Promise<string | null> {
    const [allocation]: { allocated_until: Date }[] = await manager.query(
      `SELECT allocated_until FROM listings
       WHERE drop_id = $1 AND allocated_to = $2 AND status = 'active' AND allocated_until > now()
       ORDER BY allocated_until DESC LIMIT 1`,
      [dropId, accountId],
    );
    return allocation ? new Date(allocation.allocated_until).toISOString() : null;
  }
}
