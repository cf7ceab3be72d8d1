import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerCore, Sequencer, type LedgerEntry } from '../libs/ledger/src/index.js';
import { RefundService } from '../libs/settlement/src/index.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import {
  cardCheckout,
  disputeFor,
  journalImbalance,
  listToken,
  postEvent,
  signedEvent,
} from './support/checkout.js';
import { createCollection, createUser, mintEditions, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';
import { integrateAll } from './support/ledger.js';

const PRICE = 2000;
const USERS = 4;

/** One random act of a user or an operator; indexes pick among the users and tokens so far. */
type Action =
  | { kind: 'mint' }
  | { kind: 'list' | 'buy' | 'withdraw'; user: number; token: number }
  | { kind: 'gift'; user: number; token: number; to: number }
  | { kind: 'freeze' | 'unfreeze' | 'burn'; token: number }
  | { kind: 'refund'; order: number; partial: boolean }
  | { kind: 'dispute'; order: number; outcome: 'open' | 'won' | 'lost' };

const index = fc.nat({ max: 1000 });
const user = fc.nat({ max: USERS - 1 });
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'mint' as const }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom('list' as const, 'buy' as const, 'withdraw' as const),
      user,
      token: index,
    }),
    weight: 6,
  },
  { arbitrary: fc.record({ kind: fc.constant('gift' as const), user, token: index, to: user }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom('freeze' as const, 'unfreeze' as const, 'burn' as const),
      token: index,
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('refund' as const), order: index, partial: fc.boolean() }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('dispute' as const),
      order: index,
      outcome: fc.constantFrom('open' as const, 'won' as const, 'lost' as const),
    }),
    weight: 1,
  },
);

/**
 * Random mixed custody acts by several users and an operator, through the HTTP API; after each run
 * every token has at most one owner (none once burned), replaying the ledger gives exactly the
 * database's owners and statuses, the audit replay is clean and the journal balances. Refusals
 * (4xx) are expected along the way; a 5xx never is.
 */
describe('custody properties (e2e, fast-check): random mixed actions keep ownership, ledger and money in step', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let operator: TestUser;
  let users: TestUser[];
  let collectionId: string;
  const tokens: string[] = [];
  const orders: { orderId: string; paymentId: string }[] = [];
  const statuses = new Map<number, number>();

  const pick = <T>(list: readonly T[], i: number): T | undefined =>
    list.length ? list[i % list.length] : undefined;
  const call = async (...args: Parameters<Client>) => {
    const response = await api(...args);
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    expect(response.status, `${args[0]} ${args[1]}: ${JSON.stringify(response.body)}`).toBeLessThan(500);
    return response;
  };
  const asOperator = (path: string, reason: string) =>
    call('POST', path, { token: operator.token, body: { reason } });

  async function run(action: Action): Promise<void> {
    const secret = testApp.config.stripeWebhookSecret;
    switch (action.kind) {
      case 'mint': {
        const { tokenIds } = await mintEditions(api, creator, collectionId, 1);
        tokens.push(...tokenIds);
        await listToken(api, creator, tokenIds[0], PRICE);
        return;
      }
      case 'list': {
        const token = pick(tokens, action.token)!;
        await call('POST', '/listings', {
          token: users[action.user].token,
          body: { tokenId: token, priceMinor: PRICE, currency: 'USD' },
        });
        return;
      }
      case 'buy': {
        const token = pick(tokens, action.token)!;
        const bought = await call('POST', '/checkout', {
          token: users[action.user].token,
          body: cardCheckout({ tokenId: token }),
        });
        if (bought.body.status === 'paid')
          orders.push({ orderId: bought.body.orderId, paymentId: bought.body.paymentId });
        return;
      }
      case 'withdraw': {
        const page = await call('GET', `/catalogue/tokens/${pick(tokens, action.token)}`);
        if (page.body.offer)
          await call('POST', `/listings/${page.body.offer.listingId}/withdraw`, {
            token: users[action.user].token,
          });
        return;
      }
      case 'gift': {
        const token = pick(tokens, action.token)!;
        await call('POST', `/tokens/${token}/gift`, {
          token: users[action.user].token,
          body: { toHandle: users[action.to].handle, idempotencyKey: `gift-${token}-${Math.random()}` },
        });
        return;
      }
      case 'freeze':
      case 'unfreeze':
      case 'burn':
        await asOperator(
          `/operator/tokens/${pick(tokens, action.token)}/${action.kind}`,
          `property ${action.kind}`,
        );
        return;
      case 'refund': {
        const order = pick(orders, action.order);
        if (!order) return;
        await call('POST', `/operator/orders/${order.orderId}/refund`, {
          token: operator.token,
          body: { reason: 'property refund', ...(action.partial ? { amountMinor: PRICE / 4 } : {}) },
        });
        await testApp.app.get(RefundService).sendPending();
        return;
      }
      case 'dispute': {
        const order = pick(orders, action.order);
        if (!order) return;
        const dispute = disputeFor(
          order,
          PRICE,
          action.outcome === 'open' ? 'needs_response' : action.outcome,
        );
        const type = action.outcome === 'open' ? 'charge.dispute.created' : 'charge.dispute.closed';
        const answer = await postEvent(api, signedEvent(secret, type, dispute));
        expect(answer.status).toBeLessThan(500);
        return;
      }
    }
  }

  /** The invariants that must hold after any sequence of acts. */
  async function checkInvariants(): Promise<void> {
    // Refunds the operator asked for reach the processor and are booked before we compare.
    for (let attempt = 0; attempt < 50; attempt++) {
      const [{ pending }] = await sql(
        testApp.databaseUrl,
        `SELECT count(*)::int AS pending FROM refund_requests WHERE status = 'pending'`,
      );
      if (pending === 0) break;
      await testApp.app.get(RefundService).sendPending();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await integrateAll(testApp.app.get(Sequencer), testApp.app.get(DataSource));
    const rows = await sql<{ id: string; owner_id: string | null; status: string }>(
      testApp.databaseUrl,
      `SELECT id, owner_id, status FROM tokens`,
    );
    for (const row of rows) expect(row.owner_id === null, `token ${row.id}`).toBe(row.status === 'burned');
    const entries = await sql<{ e: LedgerEntry }>(
      testApp.databaseUrl,
      `SELECT convert_from(entry, 'UTF8')::jsonb AS e FROM ledger_entries ORDER BY tx, id`,
    );
    const replayed = ledgerCore.replayEntries(entries.map((row, i) => ({ index: i, entry: row.e })));
    expect(replayed.violations).toEqual([]);
    for (const row of rows) {
      const state = replayed.tokens.get(row.id);
      expect({ id: row.id, owner: state?.owner ?? null, status: state?.status }).toEqual({
        id: row.id,
        owner: row.owner_id,
        status: row.status,
      });
    }
    const audit = await api('POST', '/operator/audit/replay', { token: operator.token });
    expect(audit.status).toBe(200);
    expect(audit.body).toMatchObject({ ok: true, mismatches: [] });
    expect(await journalImbalance(testApp.databaseUrl)).toEqual([]);
  }

  beforeAll(async () => {
    // Its own database: the audit must see only these acts.
    scratch = await createScratchDatabase();
    testApp = await startTestApp({ SANDBOX_DISPUTE_DELAY_MS: '86400000' }, scratch.url);
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
    users = [];
    for (let i = 0; i < USERS; i++) users.push(await createUser(testApp, api));
    collectionId = (await createCollection(api, creator)).id;
    for (let i = 0; i < 3; i++) await run({ kind: 'mint' });
  });
  afterAll(async () => {
    await testApp?.close();
    await scratch?.drop();
  });

  it('keeps one owner per token, ledger = database and a clean audit through hundreds of random acts', async () => {
    let acts = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 40, maxLength: 60 }), async (actions) => {
        for (const action of actions) await run(action);
        acts += actions.length;
        await checkInvariants();
      }),
      { numRuns: 6, endOnFailure: true },
    );
    expect(acts).toBeGreaterThanOrEqual(240);
    // The acts did things: sales, refusals and operator acts all happened.
    expect(orders.length).toBeGreaterThan(5);
    expect(statuses.get(409) ?? 0).toBeGreaterThan(0);
    console.info(
      `custody properties: ${acts} acts, ${orders.length} paid orders, answers ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
  });
});
