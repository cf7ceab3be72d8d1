import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { moveOrder, moveOrders } from '../libs/orders/src/order-moves.js';
import { IllegalOrderMoveError } from '../libs/orders/src/order-state.js';
import { sql, startTestApp, type TestApp } from './support/app.js';
import { listedEdition } from './support/checkout.js';
import { createUser, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';

/** Every order status change goes through `moveOrders`: a conditional UPDATE whose lost race is visible. */
describe('order moves (e2e, real PostgreSQL)', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let dataSource: DataSource;

  /** A reserved (unpaid) order: a sandbox checkout without payment details only reserves. */
  const reservedOrder = async (): Promise<string> => {
    const { listingId } = await listedEdition(api, creator, 1200);
    const buyer = await createUser(testApp, api);
    const response = await api('POST', '/checkout', {
      token: buyer.token,
      body: { listingId, idempotencyKey: `om-${listingId}` },
    });
    expect(response.body.status).toBe('reserved');
    return response.body.orderId;
  };
  const statusOf = async (orderId: string) =>
    (await sql(testApp.databaseUrl, `SELECT status, decline_code FROM orders WHERE id = $1`, [orderId]))[0];

  beforeAll(async () => {
    testApp = await startTestApp({}, undefined, { jobs: false });
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    dataSource = testApp.app.get(DataSource);
  });
  afterAll(() => testApp.close());

  it('loses cleanly when another transaction changed the row underneath while it waited', async () => {
    const orderId = await reservedOrder();
    const other = new pg.Client({ connectionString: testApp.databaseUrl });
    await other.connect();
    try {
      // Another request holds the row and fails the order; our move waits for its lock meanwhile.
      await other.query('BEGIN');
      await other.query(`UPDATE orders SET status = 'failed', decline_code = 'card_declined' WHERE id = $1`, [
        orderId,
      ]);
      const move = moveOrder(dataSource.manager, {
        orderId,
        from: ['reserved'],
        to: 'requires_action',
        set: { payment_id: 'pi_lost_race' },
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await other.query('COMMIT');
      expect(await move).toBe(false);
    } finally {
      await other.end();
    }
    // Nothing of the losing move was written: neither its status nor its columns.
    expect(await statusOf(orderId)).toEqual({ status: 'failed', decline_code: 'card_declined' });
    const [row] = await sql(testApp.databaseUrl, `SELECT payment_id FROM orders WHERE id = $1`, [orderId]);
    expect(row.payment_id).toBeNull();
  });

  it('moves a batch in one statement and says which orders moved', async () => {
    const [stale, fresh] = [await reservedOrder(), await reservedOrder()];
    await sql(testApp.databaseUrl, `UPDATE orders SET status = 'expired' WHERE id = $1`, [stale]);
    const moved = await moveOrders(dataSource.manager, [
      { orderId: stale, from: ['reserved', 'requires_action'], to: 'failed', set: { decline_code: 'x' } },
      { orderId: fresh, from: ['reserved', 'requires_action'], to: 'failed', set: { decline_code: 'y' } },
    ]);
    expect(moved).toEqual([false, true]);
    expect(await statusOf(stale)).toEqual({ status: 'expired', decline_code: null });
    expect(await statusOf(fresh)).toEqual({ status: 'failed', decline_code: 'y' });
  });

  it('refuses a move the transition table does not list, writing nothing', async () => {
    const orderId = await reservedOrder();
    await expect(
      moveOrders(dataSource.manager, [
        { orderId, from: ['reserved'], to: 'failed' },
        { orderId, from: ['reserved'], to: 'refunded' },
      ]),
    ).rejects.toThrow(IllegalOrderMoveError);
    expect((await statusOf(orderId)).status).toBe('reserved');
  });
});
