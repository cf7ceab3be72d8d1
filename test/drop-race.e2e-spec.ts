import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sequencer } from '../libs/ledger/src/index.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { seedBuyers, startApiProcess, type ApiProcess } from './support/api-process.js';
import { CARDS, cardCheckout, journalImbalance, listToken, openDrop } from './support/checkout.js';
import { createCollection, createUser, mintEditions } from './support/factories.js';
import { client, type ApiResponse } from './support/http.js';

const PROBLEM = 'https://heirloom.dev/problems/';
const EDITIONS = 50;
const BUYERS = 200;
const PROCESSES = 3;
const PRICE = 2500;

describe('drop race (e2e): 200 buyers, 50 editions, 3 API processes on one database', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let testApp: TestApp;
  const apis: ApiProcess[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    // In-process app: factories (roles) and the ledger sequencer; the buyers use the child processes.
    testApp = await startTestApp({}, scratch.url);
    const started = await Promise.allSettled(
      Array.from({ length: PROCESSES }, () =>
        startApiProcess(scratch.url, { DATABASE_POOL_SIZE: '12', SANDBOX_DISPUTE_DELAY_MS: '86400000' }),
      ),
    );
    for (const result of started) if (result.status === 'fulfilled') apis.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  });
  afterAll(async () => {
    await Promise.all(apis.map((api) => api.stop()));
    await testApp?.close();
    await scratch?.drop();
  });

  it('sells each edition exactly once; every other attempt is refused or fails cleanly', async () => {
    const api = client(testApp.url);
    const creator = await createUser(testApp, api, ['creator']);
    const operator = await createUser(testApp, api, ['operator']);
    const { dropId, tokenIds, drop } = await openDrop(api, creator, EDITIONS, { priceMinor: PRICE });
    expect(drop).toMatchObject({ editions: EDITIONS, available: EDITIONS, mode: 'first-come' });
    const buyers = await seedBuyers(scratch.url, BUYERS);

    // One in five cards is refused by the bank; the first 20 buyers also retry their request at
    // once on another process with the same idempotency key (a client timing out and retrying).
    const attempts = buyers.map((buyer, i) => ({
      buyer,
      process: i % PROCESSES,
      body: cardCheckout(
        { dropId },
        i % 10 === 3 ? CARDS.declined : i % 10 === 7 ? CARDS.insufficientFunds : CARDS.visa,
      ),
    }));
    const retries = attempts.slice(0, 20).map((a) => ({ ...a, process: (a.process + 1) % PROCESSES }));
    const all = [...attempts, ...retries];
    const clients = apis.map((p) => client(p.url));
    const fire = (wave: typeof all) =>
      Promise.all(
        wave.map((a) => clients[a.process]('POST', '/checkout', { token: a.buyer.token, body: a.body })),
      );
    const started = Date.now();
    const responses: ApiResponse[] = await fire(all);
    const rushMs = Date.now() - started;
    const soldInRush = new Set(responses.filter((r) => r.body.status === 'paid').map((r) => r.body.orderId))
      .size;

    // "Sold out right now": an edition a declined card held during the rush is released after it,
    // and goes to the buyers who try again (good cards refused so far, fresh keys, all at once).
    const waves: number[] = [];
    for (let wave = 1; wave <= 5; wave++) {
      if ((await api('GET', `/drops/${dropId}`)).body.available === 0) break;
      const paidBuyers = new Set(
        (
          await sql(scratch.url, `SELECT buyer_id FROM orders WHERE drop_id = $1 AND status = 'paid'`, [
            dropId,
          ])
        ).map((o) => o.buyer_id),
      );
      const again = attempts
        .filter((a) => a.body.card.number === CARDS.visa && !paidBuyers.has(a.buyer.id))
        .map((a) => ({ ...a, body: cardCheckout({ dropId }) }));
      const answers = await fire(again);
      waves.push(answers.filter((r) => r.body.status === 'paid').length);
      responses.push(...answers);
    }

    // No 5xx anywhere (a unique index firing would surface as one): 201 or a 4xx problem+json.
    const statuses = count(responses.map((r) => String(r.status)));
    for (const response of responses) {
      expect([201, 409], JSON.stringify(response.body)).toContain(response.status);
      if (response.status === 409) {
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        expect(response.body.type).toBe(PROBLEM + 'sold-out');
      }
    }
    // Each rush attempt either paid or was cleanly refused; a refused card never paid.
    const outcomes = responses.map((r) =>
      r.status === 201 ? r.body.status : r.body.type.slice(PROBLEM.length),
    );
    attempts.forEach((attempt, i) => {
      const outcome = outcomes[i];
      if (attempt.body.card.number === CARDS.visa) expect(['paid', 'sold-out']).toContain(outcome);
      else expect(['failed', 'sold-out']).toContain(outcome);
    });
    for (const outcome of outcomes.slice(all.length)) expect(['paid', 'sold-out']).toContain(outcome);
    // A retry with the same key is the same order, never a second one. (One of the two may still
    // be refused: a request that found the drop sold out created nothing the other must return.)
    retries.forEach((_retry, i) => {
      const [first, again] = [responses[i], responses[attempts.length + i]];
      if (first.status === 201 && again.status === 201) expect(again.body.orderId).toBe(first.body.orderId);
    });

    const orders = await sql(
      scratch.url,
      `SELECT o.id, o.status, o.buyer_id, o.listing_id, o.token_id, o.idempotency_key, o.decline_code
       FROM orders o WHERE o.drop_id = $1`,
      [dropId],
    );
    const paid = orders.filter((o) => o.status === 'paid');
    expect(paid).toHaveLength(EDITIONS);
    expect(new Set(paid.map((o) => o.listing_id)).size).toBe(EDITIONS);
    expect(new Set(paid.map((o) => o.token_id)).size).toBe(EDITIONS);
    // Nothing is left holding an edition; every unpaid order failed at the bank.
    expect(count(orders.map((o) => o.status))).toEqual({ paid: EDITIONS, failed: orders.length - EDITIONS });
    for (const order of orders.filter((o) => o.status === 'failed')) {
      expect(['card_declined', 'insufficient_funds', 'generic_decline']).toContain(order.decline_code);
    }
    // At most one order per buyer and idempotency key, and every paid order was answered as paid.
    expect(new Set(orders.map((o) => `${o.buyer_id}/${o.idempotency_key}`)).size).toBe(orders.length);
    const paidAnswers = new Set(
      responses.filter((r) => r.status === 201 && r.body.status === 'paid').map((r) => r.body.orderId),
    );
    expect([...paidAnswers].sort()).toEqual(paid.map((o) => o.id).sort());

    // Ownership: every drop token is owned by the buyer of its one paid order; no edition has two.
    const tokens = await sql(
      scratch.url,
      `SELECT t.id, t.owner_id, l.status AS listing_status, l.reserved_order,
              (SELECT count(*) FROM orders o WHERE o.listing_id = l.id AND o.status IN ('paid', 'disputed'))::int AS paid_orders,
              (SELECT o.buyer_id FROM orders o WHERE o.listing_id = l.id AND o.status = 'paid') AS buyer_id
       FROM listings l JOIN tokens t ON t.id = l.token_id WHERE l.drop_id = $1`,
      [dropId],
    );
    expect(tokens.map((t) => t.id).sort()).toEqual([...tokenIds].sort());
    for (const token of tokens) {
      expect(token).toMatchObject({ paid_orders: 1, listing_status: 'sold', owner_id: token.buyer_id });
    }
    const owners = new Set(tokens.map((t) => t.owner_id));
    expect(owners.size).toBeLessThanOrEqual(EDITIONS);
    expect(owners.has(creator.id)).toBe(false);
    const doubleSold = await sql(
      scratch.url,
      `SELECT token_id FROM orders WHERE status IN ('paid', 'disputed') GROUP BY token_id HAVING count(*) > 1`,
    );
    expect(doubleSold).toEqual([]);

    // Money: every entry balances, so the journal sums to zero per currency; 50 sales of 25.00.
    expect(await journalImbalance(scratch.url)).toEqual([]);
    const [money] = await sql(
      scratch.url,
      `SELECT count(DISTINCT e.id)::int AS sales, sum(l.amount_minor) FILTER (WHERE l.account = 'asset:processor-clearing')::int AS captured
       FROM journal_entries e JOIN orders o ON o.id = e.order_id JOIN journal_lines l ON l.entry_id = e.id
       WHERE o.drop_id = $1 AND e.kind = 'sale'`,
      [dropId],
    );
    expect(money).toEqual({ sales: EDITIONS, captured: EDITIONS * PRICE });
    const [{ other }] = await sql(
      scratch.url,
      `SELECT count(*)::int AS other FROM journal_entries e JOIN orders o ON o.id = e.order_id
       WHERE o.drop_id = $1 AND e.kind <> 'sale'`,
      [dropId],
    );
    expect(other).toBe(0);

    // Ledger: once sequenced, exactly one sale entry per drop token, to the buyer who paid.
    await testApp.app.get(Sequencer).drain();
    const sales = await sql(
      scratch.url,
      `SELECT token_id, convert_from(entry, 'UTF8')::jsonb AS entry FROM ledger_entries
       WHERE token_id = ANY($1) AND convert_from(entry, 'UTF8')::jsonb->>'type' = 'sale'`,
      [tokenIds],
    );
    expect(sales).toHaveLength(EDITIONS);
    expect(new Set(sales.map((s) => s.token_id)).size).toBe(EDITIONS);
    const buyerOf = new Map(tokens.map((t) => [t.id, t.buyer_id]));
    for (const sale of sales) {
      expect(sale.entry).toMatchObject({ from: creator.id, to: buyerOf.get(sale.token_id) });
    }

    const audit = await api('POST', '/operator/audit/replay', { token: operator.token });
    expect(audit.status).toBe(200);
    expect(audit.body).toMatchObject({ ok: true, mismatches: [] });

    console.info(
      `drop race: ${all.length} requests over ${PROCESSES} processes in ${rushMs} ms sold ${soldInRush}, ` +
        `follow-up waves sold ${JSON.stringify(waves)}; ` +
        `responses ${JSON.stringify(statuses)}, outcomes ${JSON.stringify(count(outcomes))}`,
    );
  });

  it('answers concurrent retries with one idempotency key, on any process, with one order', async () => {
    const api = client(testApp.url);
    const creator = await createUser(testApp, api, ['creator']);
    const collection = await createCollection(api, creator);
    const { tokenIds } = await mintEditions(api, creator, collection.id, 1);
    const { listingId } = await listToken(api, creator, tokenIds[0]);
    const [buyer] = await seedBuyers(scratch.url, 1);
    const body = cardCheckout({ listingId });
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        client(apis[i % PROCESSES].url)('POST', '/checkout', { token: buyer.token, body }),
      ),
    );
    // Not "not-available" for the copies that lost the race to their own original.
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(201));
    expect(new Set(answers.map((a) => a.body.orderId)).size).toBe(1);
    const orders = await sql(scratch.url, `SELECT status FROM orders WHERE buyer_id = $1`, [buyer.id]);
    expect(orders).toEqual([{ status: 'paid' }]);
  });
});

function count(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
