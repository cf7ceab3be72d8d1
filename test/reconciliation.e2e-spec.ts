import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PAYMENT_PROVIDER,
  type PaymentProvider,
  type ProcessorMovement,
} from '../libs/payments/src/index.js';
import { ReconciliationService } from '../libs/reconciliation/src/index.js';
import { RefundService } from '../libs/settlement/src/index.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { cardCheckout, listToken } from './support/checkout.js';
import { createCollection, createUser, mintEditions, type TestUser } from './support/factories.js';
import { client, type Client, expectProblem } from './support/http.js';

const VIEWS = ['payments', 'journal', 'payouts', 'ledger', 'processor'] as const;
const PRICE = 2000;
const USERS = 4;

type Finding = Record<string, string | number | null>;

/** Random acts of the marketplace; indexes pick among the users, tokens and orders so far. */
type Action =
  | { kind: 'mint' }
  | { kind: 'checkout'; user: number; token: number }
  | { kind: 'resale'; token: number; price: number }
  | { kind: 'refund'; order: number; partial: boolean }
  | { kind: 'payout'; user: number; half: boolean }
  | { kind: 'gift'; token: number; to: number };

const index = fc.nat({ max: 1000 });
const user = fc.nat({ max: USERS });
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'mint' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('checkout' as const), user, token: index }), weight: 6 },
  {
    arbitrary: fc.record({
      kind: fc.constant('resale' as const),
      token: index,
      price: fc.integer({ min: 500, max: 9000 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('refund' as const), order: index, partial: fc.boolean() }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('payout' as const), user, half: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('gift' as const), token: index, to: user }), weight: 2 },
);

describe('reconciliation (e2e, sandbox rail on real PostgreSQL)', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let operator: TestUser;
  let auditor: TestUser;
  /** The creator first, then the collectors: anyone may buy, sell on, give and be paid out. */
  let people: TestUser[];
  let collectionId: string;
  const tokens: string[] = [];
  const orders: { orderId: string; price: number }[] = [];
  const statuses = new Map<number, number>();

  const call = async (...args: Parameters<Client>) => {
    const response = await api(...args);
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    expect(response.status, `${args[0]} ${args[1]}: ${JSON.stringify(response.body)}`).toBeLessThan(500);
    return response;
  };
  const pick = <T>(list: readonly T[], i: number): T | undefined =>
    list.length ? list[i % list.length] : undefined;
  const ownerOf = async (tokenId: string) =>
    (await sql(testApp.databaseUrl, `SELECT owner_id FROM tokens WHERE id = $1`, [tokenId]))[0]?.owner_id;
  const personById = (id: string) => people.find((person) => person.id === id);
  const reconciliation = (path = '', as = auditor) =>
    api('GET', `/operator/reconciliation${path}`, { token: as.token });

  /** Lets refunds reach the sandbox and its events come back and be booked, so the books are at rest. */
  async function settleEverything(): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      await testApp.app.get(RefundService).sendPending();
      const [{ busy }] = await sql(
        testApp.databaseUrl,
        `SELECT (SELECT count(*) FROM refund_requests WHERE status = 'pending')
              + (SELECT count(*) FROM sandbox_events WHERE delivered_at IS NULL)
              + (SELECT count(*) FROM payment_events WHERE processed_at IS NULL) AS busy`,
      );
      if (Number(busy) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('refunds or payment events still in flight');
  }

  async function run(action: Action): Promise<void> {
    switch (action.kind) {
      case 'mint': {
        const { tokenIds } = await mintEditions(api, creator, collectionId, 1);
        tokens.push(...tokenIds);
        await listToken(api, creator, tokenIds[0], PRICE);
        return;
      }
      case 'checkout': {
        const tokenId = pick(tokens, action.token)!;
        const bought = await call('POST', '/checkout', {
          token: people[action.user].token,
          body: cardCheckout({ tokenId }),
        });
        if (bought.body.status === 'paid')
          orders.push({ orderId: bought.body.orderId, price: bought.body.amountMinor });
        return;
      }
      case 'resale': {
        const tokenId = pick(tokens, action.token)!;
        const owner = personById(await ownerOf(tokenId));
        if (!owner) return;
        await call('POST', '/listings', {
          token: owner.token,
          body: { tokenId, priceMinor: action.price, currency: 'USD' },
        });
        return;
      }
      case 'refund': {
        const order = pick(orders, action.order);
        if (!order) return;
        await call('POST', `/operator/orders/${order.orderId}/refund`, {
          token: operator.token,
          body: {
            reason: 'property refund',
            ...(action.partial ? { amountMinor: Math.floor(order.price / 3) } : {}),
          },
        });
        await testApp.app.get(RefundService).sendPending();
        return;
      }
      case 'payout': {
        const person = people[action.user];
        const earnings = await call('GET', '/me/earnings', { token: person.token });
        const available = earnings.body.balances.find((b: { currency: string }) => b.currency === 'USD')
          ?.availableMinor as number | undefined;
        if (!available || available <= 0) return;
        const amountMinor = action.half ? Math.max(1, Math.floor(available / 2)) : available;
        await call('POST', '/me/payouts', {
          token: person.token,
          body: { amountMinor, currency: 'USD', idempotencyKey: `po-${randomUUID()}` },
        });
        return;
      }
      case 'gift': {
        const tokenId = pick(tokens, action.token)!;
        const owner = personById(await ownerOf(tokenId));
        if (!owner) return;
        await call('POST', `/tokens/${tokenId}/gift`, {
          token: owner.token,
          body: { toHandle: people[action.to].handle, idempotencyKey: `gift-${randomUUID()}` },
        });
        return;
      }
    }
  }

  /** Every view of the overview is clean, read as the auditor. */
  async function expectClean(): Promise<Record<string, any>> {
    await settleEverything();
    const overview = await reconciliation();
    expect(overview.status).toBe(200);
    const dirty = overview.body.views.filter((view: { clean: boolean }) => !view.clean);
    if (dirty.length) {
      const details = await Promise.all(
        dirty.map((view: { view: string }) => reconciliation(`/${view.view}`)),
      );
      expect(details.map((detail) => detail.body)).toEqual([]);
    }
    expect(overview.body.clean).toBe(true);
    return Object.fromEntries(overview.body.views.map((view: { view: string }) => [view.view, view]));
  }

  /** Reads a view's CSV as the auditor, checks it is a streamed CSV attachment, and parses it back. */
  async function csvOf(view: string, rows?: 'all'): Promise<Record<string, string>[]> {
    const response = await reconciliation(`/${view}.csv${rows ? `?rows=${rows}` : ''}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(
      new RegExp(
        `^attachment; filename="heirloom-reconciliation-${view}(-all)?-\\d{4}-\\d{2}-\\d{2}\\.csv"$`,
      ),
    );
    return parse(response.body as string, { columns: true, skip_empty_lines: true });
  }

  /** A JSON finding as its CSV row reads: every value as text, null as empty. */
  const asCsv = (finding: Finding) =>
    Object.fromEntries(
      Object.entries(finding).map(([key, value]) => [key, value === null ? '' : String(value)]),
    );

  beforeAll(async () => {
    // Its own database: the reconciliation must see only these acts (and the injections at the end).
    scratch = await createScratchDatabase();
    testApp = await startTestApp(
      { EARNINGS_HOLD_DAYS: '0', SANDBOX_DISPUTE_DELAY_MS: '86400000' },
      scratch.url,
    );
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
    auditor = await createUser(testApp, api, ['auditor']);
    people = [creator];
    for (let i = 0; i < USERS; i++) people.push(await createUser(testApp, api));
    collectionId = (await createCollection(api, creator, { royaltyBps: 500 })).id;
  });
  afterAll(async () => {
    await testApp?.close();
    await scratch?.drop();
  });

  it('is clean after a primary sale, a resale, a refund and a payout, and totals them', async () => {
    const [first, second] = (await mintEditions(api, creator, collectionId, 2)).tokenIds;
    tokens.push(first, second);
    const [buyer, collector] = [people[1], people[2]];
    await listToken(api, creator, first, 3000);
    await listToken(api, creator, second, 1000);
    const primary = await call('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ tokenId: first }),
    });
    expect(primary.body.status).toBe('paid');
    await listToken(api, buyer, first, 4000);
    const resale = await call('POST', '/checkout', {
      token: collector.token,
      body: cardCheckout({ tokenId: first }),
    });
    expect(resale.body.status).toBe('paid');
    const refunded = await call('POST', '/checkout', {
      token: buyer.token,
      body: cardCheckout({ tokenId: second }),
    });
    expect(refunded.body.status).toBe('paid');
    expect(
      (
        await call('POST', `/operator/orders/${refunded.body.orderId}/refund`, {
          token: operator.token,
          body: { reason: 'changed mind' },
        })
      ).status,
    ).toBe(202);
    await settleEverything();
    const payout = await call('POST', '/me/payouts', {
      token: creator.token,
      body: { amountMinor: 1000, currency: 'USD', idempotencyKey: 'first-payout' },
    });
    expect(payout.body.status).toBe('paid');
    orders.push(
      { orderId: primary.body.orderId, price: 3000 },
      { orderId: resale.body.orderId, price: 4000 },
    );

    const views = await expectClean();
    expect(views.payments).toMatchObject({
      checked: 3,
      findings: 0,
      byKind: [],
      totals: [{ currency: 'USD', checkedMinor: 3000 + 4000 + 1000, findingsMinor: 0 }],
    });
    expect(views.processor).toMatchObject({
      checked: 3,
      totals: [{ currency: 'USD', checkedMinor: 8000, findingsMinor: 0 }],
    });
    expect(views.payouts.totals).toEqual([{ currency: 'USD', checkedMinor: 1000, findingsMinor: 0 }]);
    expect(views.ledger).toMatchObject({ checked: 2, totals: [] });
    // Three sales, a refund, a payout booked and paid: five entries at least, all balanced.
    expect(views.journal.checked).toBeGreaterThanOrEqual(6);
    // The whole working paper is there for an auditor: every row checked, none with a finding.
    const all = await csvOf('payments', 'all');
    expect(all).toHaveLength(3);
    expect(all.every((row) => row.finding === '')).toBe(true);
    expect(new Set(all.map((row) => row.paymentId))).toEqual(
      new Set([primary.body.paymentId, resale.body.paymentId, refunded.body.paymentId]),
    );

    // The sandbox answers the payment port's question about its books as Stripe would: every
    // capture, then every refund.
    const movements: ProcessorMovement[] = [];
    for await (const movement of testApp.app.get<PaymentProvider>(PAYMENT_PROVIDER).processorMovements())
      movements.push(movement);
    const captures = movements.filter((movement) => movement.kind === 'capture');
    expect(
      captures.map(({ paymentId, amountMinor, currency }) => [paymentId, amountMinor, currency]).sort(),
    ).toEqual(
      [
        [primary.body.paymentId, 3000, 'USD'],
        [resale.body.paymentId, 4000, 'USD'],
        [refunded.body.paymentId, 1000, 'USD'],
      ].sort(),
    );
    expect(movements.filter((movement) => movement.kind === 'refund')).toEqual([
      expect.objectContaining({ paymentId: refunded.body.paymentId, amountMinor: 1000, currency: 'USD' }),
    ]);
  });

  it('stays clean through hundreds of random checkouts, resales, refunds, payouts and gifts (property)', async () => {
    for (let i = 0; i < 3; i++) await run({ kind: 'mint' });
    let acts = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 50, maxLength: 70 }), async (actions) => {
        for (const action of actions) await run(action);
        acts += actions.length;
        await expectClean();
      }),
      { numRuns: 5, endOnFailure: true },
    );
    expect(acts).toBeGreaterThanOrEqual(250);
    expect(orders.length).toBeGreaterThan(10);
    const [{ payouts, refunds }] = await sql(
      testApp.databaseUrl,
      `SELECT (SELECT count(*)::int FROM payouts) AS payouts,
              (SELECT count(*)::int FROM journal_entries WHERE kind LIKE 'refund:%') AS refunds`,
    );
    expect(payouts).toBeGreaterThan(1);
    expect(refunds).toBeGreaterThan(1);
    console.info(
      `reconciliation properties: ${acts} acts, ${orders.length} paid orders, ${payouts} payouts, ` +
        `${refunds} refunds, answers ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
  });

  it('reports each injected discrepancy with the rows that show it', async () => {
    await settleEverything();
    const [tokenA, tokenB] = tokens;
    const [rowA] = await sql(
      testApp.databaseUrl,
      `SELECT owner_id, status, ledger_seq FROM tokens WHERE id = $1`,
      [tokenA],
    );
    const [rowB] = await sql(
      testApp.databaseUrl,
      `SELECT owner_id, status, ledger_seq FROM tokens WHERE id = $1`,
      [tokenB],
    );
    const intruder = await createUser(testApp, api);
    const db = new pg.Client({ connectionString: testApp.databaseUrl });
    await db.connect();
    let entryId: string;
    try {
      // A captured payment the platform accepted but never booked (and the processor's own record of it).
      await db.query(
        `INSERT INTO payment_events (id, type, payment_id, payload, processed_at, outcome)
         VALUES ('evt_injected', 'payment_intent.succeeded', 'pi_injected',
                 '{"amount": 1234, "currency": "usd"}', now(), 'settled')`,
      );
      await db.query(
        `INSERT INTO sandbox_payment_intents (id, order_id, amount, currency, metadata, state, card_brand, card_last4,
           behaviour, created_seconds, idempotency_key, fingerprint, client_secret)
         VALUES ('pi_injected', 'none', 1234, 'usd', '{}', 'succeeded', 'visa', '4242', 'succeed', 0, 'k', 'f', 's')`,
      );
      // An unbalanced entry, past the database's own balance trigger (as only direct access could).
      await db.query(`SET session_replication_role = replica`);
      [{ id: entryId }] = (
        await db.query(
          `WITH e AS (INSERT INTO journal_entries (order_id, kind) VALUES (NULL, 'injected') RETURNING id)
           INSERT INTO journal_lines (entry_id, account, amount_minor, currency)
           SELECT id, 'asset:processor-clearing', 500, 'USD' FROM e RETURNING entry_id AS id`,
        )
      ).rows;
      await db.query(`SET session_replication_role = DEFAULT`);
      // A payout to an account that never earned anything.
      await db.query(
        `INSERT INTO payouts (account_id, idempotency_key, amount_minor, currency, status, rail)
         VALUES ($1, 'injected', 5000, 'USD', 'paid', 'sandbox')`,
        [intruder.id],
      );
      // Token rows changed behind the ledger's back: another owner, and another status.
      await db.query(`UPDATE tokens SET owner_id = $2 WHERE id = $1`, [tokenA, intruder.id]);
      await db.query(`UPDATE tokens SET status = 'frozen' WHERE id = $1`, [tokenB]);
    } finally {
      await db.end();
    }

    const overview = await reconciliation();
    expect(overview.body.clean).toBe(false);
    const byView = Object.fromEntries(overview.body.views.map((view: { view: string }) => [view.view, view]));
    expect(byView.payments).toMatchObject({
      clean: false,
      findings: 1,
      byKind: [{ kind: 'payment-without-sale', count: 1 }],
    });
    expect(byView.payments.totals).toEqual([
      { currency: 'USD', checkedMinor: expect.any(Number), findingsMinor: 1234 },
    ]);
    expect(byView.journal).toMatchObject({
      clean: false,
      findings: 1,
      byKind: [{ kind: 'unbalanced', count: 1 }],
    });
    expect(byView.payouts).toMatchObject({
      clean: false,
      findings: 1,
      byKind: [{ kind: 'payouts-above-earnings', count: 1 }],
    });
    expect(byView.ledger).toMatchObject({
      clean: false,
      findings: 2,
      byKind: [
        { kind: 'owner-mismatch', count: 1 },
        { kind: 'status-mismatch', count: 1 },
      ],
    });
    expect(byView.processor).toMatchObject({
      findings: 1,
      byKind: [{ kind: 'captured-not-booked', count: 1 }],
    });

    expect((await reconciliation('/payments')).body.findings).toEqual([
      {
        finding: 'payment-without-sale',
        paymentId: 'pi_injected',
        orderId: null,
        journalEntries: null,
        currency: 'USD',
        amountMinor: 1234,
      },
    ]);
    expect((await reconciliation('/journal')).body.findings).toEqual([
      {
        finding: 'unbalanced',
        entryId: Number(entryId!),
        kind: 'injected',
        orderId: null,
        currency: 'USD',
        debitsMinor: 500,
        imbalanceMinor: 500,
        lines: 1,
      },
    ]);
    expect((await reconciliation('/payouts')).body.findings).toEqual([
      {
        finding: 'payouts-above-earnings',
        accountId: intruder.id,
        currency: 'USD',
        paidOutMinor: 5000,
        creditedMinor: 0,
        bookedPayoutsMinor: 0,
        payouts: 1,
      },
    ]);
    const ledgerFindings = [
      {
        finding: 'owner-mismatch',
        tokenId: tokenA,
        rowOwner: intruder.id,
        ledgerOwner: rowA.owner_id,
        rowStatus: rowA.status,
        ledgerStatus: rowA.status,
        rowSeq: rowA.ledger_seq,
        ledgerSeq: rowA.ledger_seq,
      },
      {
        finding: 'status-mismatch',
        tokenId: tokenB,
        rowOwner: rowB.owner_id,
        ledgerOwner: rowB.owner_id,
        rowStatus: 'frozen',
        ledgerStatus: rowB.status,
        rowSeq: rowB.ledger_seq,
        ledgerSeq: rowB.ledger_seq,
      },
    ].sort((a, b) => (Buffer.from(a.tokenId) < Buffer.from(b.tokenId) ? -1 : 1));
    expect((await reconciliation('/ledger')).body).toMatchObject({
      findings: ledgerFindings,
      nextCursor: null,
    });
    // Keyset pages: one finding each, the second after the first's cursor.
    const firstPage = await reconciliation('/ledger?limit=1');
    expect(firstPage.body.findings).toEqual([ledgerFindings[0]]);
    const secondPage = await reconciliation(`/ledger?limit=1&cursor=${firstPage.body.nextCursor}`);
    expect(secondPage.body).toMatchObject({ findings: [ledgerFindings[1]], nextCursor: null });
    expect((await reconciliation('/processor')).body.findings).toEqual([
      {
        finding: 'captured-not-booked',
        paymentId: 'pi_injected',
        currency: 'USD',
        capturedMinor: 1234,
        bookedCapturedMinor: 0,
        refundedMinor: 0,
        bookedRefundedMinor: 0,
      },
    ]);
  });

  it('an auditor reads and exports every view (the CSV is the JSON) and changes nothing; others are refused', async () => {
    for (const view of VIEWS) {
      const json = await reconciliation(`/${view}?limit=1000`);
      expect(json.status).toBe(200);
      expect(json.body.findings.length).toBeGreaterThan(0);
      const csv = await csvOf(view);
      expect(csv).toEqual(json.body.findings.map(asCsv));
      const all = await csvOf(view, 'all');
      expect(all).toHaveLength(json.body.summary.checked);
      expect(all.filter((row) => row.finding !== '')).toEqual(csv);
    }
    // An operator reads the same.
    expect((await reconciliation('', operator)).body.clean).toBe(false);

    // The auditor changes nothing: every write is refused before it runs.
    const [order] = orders;
    const writes: [string, string, unknown][] = [
      ['POST', '/operator/payouts/run', { runKey: 'auditor-run' }],
      ['POST', `/operator/orders/${order.orderId}/refund`, { reason: 'auditor' }],
    ];
    const before = await sql(
      testApp.databaseUrl,
      `SELECT (SELECT count(*) FROM journal_entries) AS entries, (SELECT count(*) FROM payouts) AS payouts, (SELECT count(*) FROM refund_requests) AS refunds`,
    );
    for (const [method, path, body] of writes) {
      expectProblem(await api(method, path, { token: auditor.token, body }), 403, 'forbidden');
    }
    expect(
      await sql(
        testApp.databaseUrl,
        `SELECT (SELECT count(*) FROM journal_entries) AS entries, (SELECT count(*) FROM payouts) AS payouts, (SELECT count(*) FROM refund_requests) AS refunds`,
      ),
    ).toEqual(before);

    // A buyer (no operator or auditor role) may not read reconciliation at all; nor may the anonymous.
    const buyer = people[1];
    expectProblem(await reconciliation('', buyer), 403, 'forbidden');
    expectProblem(await reconciliation('/payments', buyer), 403, 'forbidden');
    expectProblem(await reconciliation('/ledger.csv', buyer), 403, 'forbidden');
    expectProblem(await api('GET', '/operator/reconciliation'), 401, 'unauthorized');
  });
  it('ends the database cursor when the reader of a CSV stream leaves half way', async () => {
    const cursorsOpen = async () =>
      Number(
        (
          await sql(
            testApp.databaseUrl,
            `SELECT count(*) AS open FROM pg_stat_activity
             WHERE datname = current_database() AND state LIKE 'idle in transaction%'
               AND (query LIKE 'FETCH%reconciliation_rows' OR query LIKE 'DECLARE reconciliation_rows%')`,
          )
        )[0].open,
      );
    // The rows stream as they are read: after the first few, the cursor waits, open, for the reader.
    const rows = await testApp.app.get(ReconciliationService).rows('journal', true);
    const iterator = rows[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ entryId: expect.any(Number) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await cursorsOpen()).toBe(1);
    // The reader leaves (a client closing its download destroys the stream): the cursor ends with it.
    rows.destroy();
    for (let attempt = 0; attempt < 100 && (await cursorsOpen()) > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await cursorsOpen()).toBe(0);

    // Over HTTP too: a download abandoned after its first bytes leaves the API answering.
    const leaving = new AbortController();
    const response = await fetch(`${testApp.url}/operator/reconciliation/journal.csv?rows=all`, {
      headers: { authorization: `Bearer ${auditor.token}` },
      signal: leaving.signal,
    });
    const first = await response.body!.getReader().read();
    expect(new TextDecoder().decode(first.value).split('\n')[0]).toBe(
      'finding,entryId,kind,orderId,currency,debitsMinor,imbalanceMinor,lines',
    );
    leaving.abort();
    expect((await reconciliation('/payouts')).status).toBe(200);
  });
});
