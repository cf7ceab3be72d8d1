import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sequencer } from '../libs/ledger/src/index.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { seedBuyers, startApiProcess, type ApiProcess } from './support/api-process.js';
import { CARDS, cardCheckout, journalImbalance, listToken, openDrop } from './support/checkout.js';
import { createCollection, createUser, mintEditions, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';

// Reservations held by a killed process run out quickly, so the restarted one releases them.
const TTL_SECONDS = 6;
const API_ENV = { RESERVATION_TTL_SECONDS: String(TTL_SECONDS), SANDBOX_DISPUTE_DELAY_MS: '86400000' };

describe('crash recovery (e2e): the API killed mid-checkout, then restarted', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let operator: TestUser;
  let apiProcess: ApiProcess | undefined;
  const processes: ApiProcess[] = [];

  const start = async (env: Record<string, string> = {}) => {
    const started = await startApiProcess(scratch.url, { ...API_ENV, ...env });
    processes.push(started);
    return started;
  };
  const query = <T = any>(text: string, params: unknown[] = []) => sql<T>(scratch.url, text, params);
  /** Polls `probe` until it returns true, at most `ms`; returns how long it took. */
  const within = async (ms: number, what: string, probe: () => Promise<boolean>) => {
    const started = Date.now();
    while (!(await probe())) {
      if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return Date.now() - started;
  };

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    // The in-process app only sets data up and drains the ledger: with its jobs off, any recovery
    // seen below is the restarted child process's own doing.
    testApp = await startTestApp({}, scratch.url, { jobs: false });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await testApp?.close();
    await scratch?.drop();
  });

  it('completes a sale exactly once after a crash between storing the payment event and applying it', async () => {
    const collection = await createCollection(api, creator);
    const [tokenId] = (await mintEditions(api, creator, collection.id, 1)).tokenIds;
    const { listingId } = await listToken(api, creator, tokenId, 4200);
    const buyer = await createUser(testApp, api);
    const body = cardCheckout({ listingId });

    const doomed = await start({ HEIRLOOM_CRASH_AT: 'after-event-stored' });
    const attempt = await client(doomed.url)('POST', '/checkout', { token: buyer.token, body }).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    expect(attempt).toBe('fetch failed'); // the connection died with the process
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });

    // The processor's word is stored; nothing has been applied.
    const [order] = await query(`SELECT * FROM orders WHERE buyer_id = $1`, [buyer.id]);
    expect(order.status).toBe('reserved');
    const events = await query(`SELECT type, processed_at FROM payment_events WHERE order_id = $1`, [
      order.id,
    ]);
    expect(events).toEqual([{ type: 'payment_intent.succeeded', processed_at: null }]);
    expect((await query(`SELECT owner_id FROM tokens WHERE id = $1`, [tokenId]))[0].owner_id).toBe(
      creator.id,
    );
    expect(await query(`SELECT 1 FROM journal_entries WHERE order_id = $1`, [order.id])).toEqual([]);

    // Restarted without the crash point: the settlement-recovery job finishes the sale.
    apiProcess = await start();
    const recoveredIn = await within(15_000, 'sale recovered', async () => {
      const [row] = await query(`SELECT status FROM orders WHERE id = $1`, [order.id]);
      return row.status === 'paid';
    });
    expect((await query(`SELECT owner_id FROM tokens WHERE id = $1`, [tokenId]))[0].owner_id).toBe(buyer.id);
    expect(await query(`SELECT kind FROM journal_entries WHERE order_id = $1`, [order.id])).toEqual([
      { kind: 'sale' },
    ]);
    expect(await query(`SELECT outcome FROM payment_events WHERE order_id = $1`, [order.id])).toEqual([
      { outcome: 'settled' },
    ]);
    await testApp.app.get(Sequencer).drain();
    const ledger = await query(
      `SELECT convert_from(entry, 'UTF8')::jsonb AS entry FROM ledger_log WHERE token_id = $1 ORDER BY idx`,
      [tokenId],
    );
    expect(ledger.map((row) => row.entry.type)).toEqual(['mint', 'sale']);
    expect(ledger[1].entry).toMatchObject({ from: creator.id, to: buyer.id, ref: order.id });
    expect(await journalImbalance(scratch.url)).toEqual([]);

    // The buyer's retry (same idempotency key) answers with the same, now paid, order.
    const retry = await client(apiProcess.url)('POST', '/checkout', { token: buyer.token, body });
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({ orderId: order.id, status: 'paid', tokenId });
    expect(await query(`SELECT count(*)::int AS n FROM orders WHERE buyer_id = $1`, [buyer.id])).toEqual([
      { n: 1 },
    ]);
    console.info(`crash after event stored: sale recovered ${recoveredIn} ms after the restart was ready`);
  });

  it('leaves every order consistent after kill -9 at a random moment of a checkout burst', async () => {
    const editions = 24;
    const { dropId, tokenIds } = await openDrop(api, creator, editions, { currency: 'EUR' });
    const buyers = await seedBuyers(scratch.url, 40);
    const cards = [CARDS.visa, CARDS.visa, CARDS.visa, CARDS.declined, CARDS.visa, CARDS.threeDSecure];
    const victim = apiProcess ?? (await start());
    const shop = client(victim.url);

    // Killed once a random number of checkouts have been answered, while the rest are in flight.
    const killAfter = 2 + Math.floor(Math.random() * 12);
    let answered = 0;
    const results = await Promise.allSettled(
      buyers.map(async (buyer, i) => {
        const response = await shop('POST', '/checkout', {
          token: buyer.token,
          body: cardCheckout({ dropId: dropId }, cards[i % cards.length]),
        });
        if (++answered === killAfter) victim.child.kill('SIGKILL');
        return response;
      }),
    );
    expect(await victim.exited).toMatchObject({ signal: 'SIGKILL' });
    const cut = results.filter((r) => r.status === 'rejected').length;
    expect(cut).toBeGreaterThan(0); // the kill did land mid-burst
    for (const result of results) {
      if (result.status === 'fulfilled') expect(result.value.status).toBeLessThan(500);
    }

    const [atCrash] = await query(
      `SELECT (SELECT count(*) FROM payment_events WHERE processed_at IS NULL)::int AS unapplied,
              (SELECT count(*) FROM orders WHERE status IN ('reserved', 'requires_action'))::int AS holding`,
    );
    const restarted = await start();
    // Stored events are applied, and reservations the dead process held run out and are released.
    const recoveredIn = await within((TTL_SECONDS + 15) * 1000, 'burst recovered', async () => {
      const [row] = await query(
        `SELECT (SELECT count(*) FROM payment_events WHERE processed_at IS NULL)::int AS unapplied,
                (SELECT count(*) FROM orders WHERE status IN ('reserved', 'requires_action'))::int AS holding,
                (SELECT count(*) FROM listings WHERE status = 'active' AND reserved_order IS NOT NULL
                   AND reserved_until > now())::int AS reserved`,
      );
      return row.unapplied === 0 && row.holding === 0 && row.reserved === 0;
    });

    // Every order is settled one way or the other, across both tests' data.
    const orders = await query(
      `SELECT o.id, o.status, o.buyer_id, o.seller_id, o.token_id, o.listing_id, t.owner_id,
              l.status AS listing_status, l.reserved_order,
              (SELECT array_agg(kind ORDER BY kind) FROM journal_entries e WHERE e.order_id = o.id) AS journal,
              EXISTS (SELECT 1 FROM refund_requests r WHERE r.order_id = o.id) AS refund_requested
       FROM orders o JOIN tokens t ON t.id = o.token_id JOIN listings l ON l.id = o.listing_id`,
    );
    for (const order of orders) {
      switch (order.status) {
        case 'paid':
          expect(order).toMatchObject({
            owner_id: order.buyer_id,
            listing_status: 'sold',
            journal: ['sale'],
          });
          break;
        case 'failed':
        case 'expired':
          expect(order.journal).toBeNull();
          expect(order.owner_id).not.toBe(order.buyer_id);
          expect(order.listing_status === 'active' && order.reserved_order === order.id).toBe(false);
          break;
        case 'refund_pending':
        case 'refunded':
          expect(order.refund_requested).toBe(true);
          expect(order.owner_id).not.toBe(order.buyer_id);
          break;
        default:
          throw new Error(`order ${order.id} left ${order.status}`);
      }
    }
    // No edition with two paid orders; each owned by its seller or by the buyer of its paid order.
    const doubleSold = await query(
      `SELECT token_id FROM orders WHERE status IN ('paid', 'disputed') GROUP BY token_id HAVING count(*) > 1`,
    );
    expect(doubleSold).toEqual([]);
    const dropTokens = await query(
      `SELECT t.id, t.owner_id, (SELECT o.buyer_id FROM orders o WHERE o.token_id = t.id AND o.status = 'paid') AS buyer
       FROM tokens t WHERE t.id = ANY($1)`,
      [tokenIds],
    );
    for (const token of dropTokens) expect(token.owner_id).toBe(token.buyer ?? creator.id);
    // No captured payment without ownership or a refund.
    const captured = await query(
      `SELECT e.payment_id, o.status, t.owner_id = o.buyer_id AS owns
       FROM payment_events e JOIN orders o ON o.id = e.order_id JOIN tokens t ON t.id = o.token_id
       WHERE e.type = 'payment_intent.succeeded'`,
    );
    for (const payment of captured) {
      expect(
        payment.status === 'paid' ? payment.owns : ['refund_pending', 'refunded'].includes(payment.status),
      ).toBe(true);
    }
    expect(await journalImbalance(scratch.url)).toEqual([]);

    // A released edition can be bought again.
    const available = (await api('GET', `/drops/${dropId}`)).body.available as number;
    if (available > 0) {
      const [late] = await seedBuyers(scratch.url, 1);
      const after = await client(restarted.url)('POST', '/checkout', {
        token: late.token,
        body: cardCheckout({ dropId: dropId }),
      });
      expect(after.body.status).toBe('paid');
    }

    // The ledger agrees with the ownership tables, and the journal still balances.
    await testApp.app.get(Sequencer).drain();
    const sales = await query(
      `SELECT token_id, count(*)::int AS n FROM ledger_entries
       WHERE token_id = ANY($1) AND convert_from(entry, 'UTF8')::jsonb->>'type' = 'sale' GROUP BY token_id`,
      [tokenIds],
    );
    const sold = await query(`SELECT token_id FROM orders WHERE token_id = ANY($1) AND status = 'paid'`, [
      tokenIds,
    ]);
    expect(sales.map((s) => s.token_id).sort()).toEqual(sold.map((s) => s.token_id).sort());
    expect(sales.every((s) => s.n === 1)).toBe(true);
    const audit = await client(restarted.url)('POST', '/operator/audit/replay', { token: operator.token });
    expect(audit.body).toMatchObject({ ok: true, mismatches: [] });
    expect(await journalImbalance(scratch.url)).toEqual([]);

    const statuses: Record<string, number> = {};
    for (const order of await query(`SELECT status FROM orders WHERE drop_id = $1`, [dropId])) {
      statuses[order.status] = (statuses[order.status] ?? 0) + 1;
    }
    console.info(
      `kill -9 after ${killAfter} answers: ${cut} requests cut off, ${atCrash.unapplied} events unapplied, ` +
        `${atCrash.holding} orders holding; recovered in ${recoveredIn} ms; ` +
        `drop orders ${JSON.stringify(statuses)}, ${sold.length}/${editions} sold`,
    );
  });
});
