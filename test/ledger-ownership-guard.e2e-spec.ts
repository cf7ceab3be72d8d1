import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { inTransaction } from '../libs/database/src/index.js';
import { IntegrityAlerts } from '../libs/ledger/src/index.js';
import { OwnershipService, type LockedTokenState } from '../libs/minting/src/index.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { cardCheckout, listedEdition, listToken } from './support/checkout.js';
import { createCollection, createUser, mintEditions, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';
import { storedEntriesOf } from './support/ledger.js';

const PROBLEM = 'https://heirloom.dev/problems/';

describe('ledger ownership guard (e2e): the ledger decides ownership', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let testApp: TestApp;
  let api: Client;
  let operator: TestUser;
  let creator: TestUser;
  let ownership: OwnershipService;
  let dataSource: DataSource;

  const entriesOf = async (tokenId: string) =>
    (await storedEntriesOf(testApp.databaseUrl, tokenId)).map((e) => `${e.type}#${e.seq}`);
  const tokenRow = async (tokenId: string) =>
    (
      await sql(testApp.databaseUrl, `SELECT owner_id, status, ledger_seq FROM tokens WHERE id = $1`, [
        tokenId,
      ])
    )[0];
  /** Changes a token's ownership through OwnershipService, in a transaction of its own. */
  const change = (tokenId: string, what: Parameters<OwnershipService['change']>[2]) =>
    inTransaction(dataSource, (manager) => ownership.change(manager, tokenId, what));
  /**
   * The alert about `tokenId`, once listed and `ready` (alerts are recorded after the refused
   * transaction, so the newest may not be in yet).
   */
  const alertAbout = async (tokenId: string, ready: (alert: any) => boolean = () => true) => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const listed = await api('GET', '/operator/ledger/alerts?kind=ledger-mismatch', {
        token: operator.token,
      });
      expect(listed.status).toBe(200);
      const alert = listed.body.find((row: { subject: string }) => row.subject === tokenId);
      if (alert && ready(alert)) return alert;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no ledger-mismatch alert about ${tokenId}`);
  };

  beforeAll(async () => {
    // Its own database: the audit at the end must see only this file's tampering.
    scratch = await createScratchDatabase();
    testApp = await startTestApp({}, scratch.url, { jobs: false });
    api = client(testApp.url);
    operator = await createUser(testApp, api, ['operator']);
    creator = await createUser(testApp, api, ['creator']);
    ownership = testApp.app.get(OwnershipService);
    dataSource = testApp.app.get(DataSource);
  });
  afterAll(async () => {
    await testApp?.close();
    await scratch?.drop();
  });

  it('counts repeated alerts of one kind and subject on one row, for operators and auditors only', async () => {
    const alerts = testApp.app.get(IntegrityAlerts);
    const subject = `subject-${Date.now()}`;
    await alerts.record({ kind: 'test-alert', subject, detail: 'first' });
    await alerts.record({ kind: 'test-alert', subject, detail: 'second' });
    const listed = await api('GET', '/operator/ledger/alerts?kind=test-alert', { token: operator.token });
    expect(listed.status).toBe(200);
    const row = listed.body.find((alert: { subject: string }) => alert.subject === subject);
    expect(row).toMatchObject({ kind: 'test-alert', subject, detail: 'second', count: 2 });
    expect(Date.parse(row.lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(row.firstSeenAt));
    const auditor = await createUser(testApp, api, ['auditor']);
    expect((await api('GET', '/operator/ledger/alerts', { token: auditor.token })).status).toBe(200);
    const collector = await createUser(testApp, api);
    expect((await api('GET', '/operator/ledger/alerts', { token: collector.token })).status).toBe(403);
    expect((await api('GET', '/operator/ledger/alerts')).status).toBe(401);
  });

  it('after a direct owner change, the new "owner" cannot list or sell it, nothing is written, and operators see why', async () => {
    const { listingId, tokenId } = await listedEdition(api, creator, 1999);
    const buyer = await createUser(testApp, api);
    const bought = await api('POST', '/checkout', { token: buyer.token, body: cardCheckout({ listingId }) });
    expect(bought.body.status).toBe('paid');
    expect(await entriesOf(tokenId)).toEqual(['mint#0', 'sale#1']);

    // Someone with database access hands the token to mallory.
    const mallory = await createUser(testApp, api);
    await sql(testApp.databaseUrl, `UPDATE tokens SET owner_id = $1 WHERE id = $2`, [mallory.id, tokenId]);

    const listing = await api('POST', '/listings', {
      token: mallory.token,
      body: { tokenId, priceMinor: 5000, currency: 'USD' },
    });
    expect(listing.status).toBe(409);
    expect(listing.headers.get('content-type')).toContain('application/problem+json');
    expect(listing.body).toMatchObject({ type: PROBLEM + 'ledger-mismatch', tokenId });
    expect(
      await sql(testApp.databaseUrl, `SELECT 1 FROM listings WHERE token_id = $1 AND status = 'active'`, [
        tokenId,
      ]),
    ).toEqual([]);

    // Even with a listing written behind the platform's back too, the sale is refused at settlement.
    const [forged] = await sql(
      testApp.databaseUrl,
      `INSERT INTO listings (token_id, seller_id, kind, price_minor, currency) VALUES ($1, $2, 'resale', 5000, 'USD')
       RETURNING id`,
      [tokenId, mallory.id],
    );
    const victim = await createUser(testApp, api);
    const sale = await api('POST', '/checkout', {
      token: victim.token,
      body: cardCheckout({ listingId: forged.id }),
    });
    expect(sale.status).toBe(409);
    expect(sale.body).toMatchObject({ type: PROBLEM + 'ledger-mismatch', tokenId });
    // The captured payment's order is held, not sold: its event stays unprocessed (retried, and
    // alerted again, until an operator restores the row from the ledger; then it sells or refunds).
    const [order] = await sql(
      testApp.databaseUrl,
      `SELECT o.id, o.status, e.processed_at FROM orders o JOIN payment_events e ON e.payment_id = o.payment_id
       WHERE o.listing_id = $1`,
      [forged.id],
    );
    expect(order).toMatchObject({ status: 'reserved', processed_at: null });

    // A transfer is refused the same way.
    const transfer = await change(tokenId, { type: 'transfer', to: victim.id }).catch((error) => error);
    expect(transfer).toMatchObject({ code: 'ledger-mismatch', status: 409 });

    // Nothing was written: no entry, the row as tampered.
    expect(await entriesOf(tokenId)).toEqual(['mint#0', 'sale#1']);
    expect(await tokenRow(tokenId)).toEqual({ owner_id: mallory.id, status: 'active', ledger_seq: 1 });

    // Listing, sale and transfer: three refusals on one row, the latest one's detail.
    const alert = await alertAbout(tokenId, (found) => found.count >= 3);
    expect(alert.detail).toContain(`Refused a transfer to ${victim.id}`);
    expect(alert.detail).toContain(`the token row says owner ${mallory.id}`);
    expect(alert.detail).toContain(`its ledger history says owner ${buyer.id}, active, seq 1`);

    // The log itself is sound: audit reports the tampered row, and nothing illegal in the history.
    const report = (await api('POST', '/operator/audit/replay', { token: operator.token })).body;
    expect(report.mismatches).toEqual([expect.objectContaining({ kind: 'ownership-mismatch', tokenId })]);

    // Restored from the ledger, the token can change hands again.
    await sql(testApp.databaseUrl, `UPDATE tokens SET owner_id = $1 WHERE id = $2`, [buyer.id, tokenId]);
    await change(tokenId, { type: 'transfer', to: victim.id });
    expect(await entriesOf(tokenId)).toEqual(['mint#0', 'sale#1', 'transfer#2']);
  });

  it("the ledger columns the check reads follow the entry's bytes; bypassing that is caught by audit", async () => {
    const { listingId, tokenId } = await listedEdition(api, creator, 1999);
    const buyer = await createUser(testApp, api);
    const bought = await api('POST', '/checkout', { token: buyer.token, body: cardCheckout({ listingId }) });
    expect(bought.body.status).toBe('paid');
    const mallory = await createUser(testApp, api);
    const saleEntry = `token_id = $1 AND entry_seq = 1`;

    // Changing the sale entry's derived "to" with the token row: the database derives it again.
    await sql(testApp.databaseUrl, `UPDATE ledger_entries SET entry_to = $2 WHERE ${saleEntry}`, [
      tokenId,
      mallory.id,
    ]);
    await sql(testApp.databaseUrl, `UPDATE tokens SET owner_id = $1 WHERE id = $2`, [mallory.id, tokenId]);
    const [column] = await sql(
      testApp.databaseUrl,
      `SELECT entry_to FROM ledger_entries WHERE ${saleEntry}`,
      [tokenId],
    );
    expect(column.entry_to).toBe(buyer.id);
    const listing = await api('POST', '/listings', {
      token: mallory.token,
      body: { tokenId, priceMinor: 5000, currency: 'USD' },
    });
    expect(listing.status).toBe(409);
    expect(listing.body).toMatchObject({ type: PROBLEM + 'ledger-mismatch', tokenId });

    // With the deriving trigger switched off the columns can be forged, but audit names the row.
    await sql(
      testApp.databaseUrl,
      `ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_derive_columns`,
    );
    try {
      await sql(testApp.databaseUrl, `UPDATE ledger_entries SET entry_to = $2 WHERE ${saleEntry}`, [
        tokenId,
        mallory.id,
      ]);
    } finally {
      await sql(
        testApp.databaseUrl,
        `ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_derive_columns`,
      );
    }
    const report = (await api('POST', '/operator/audit/replay', { token: operator.token })).body;
    expect(report.mismatches).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'ledger-row-tampered',
          tokenId,
          detail: `columns entry_to=${mallory.id} disagree with the entry's bytes`,
        }),
      ]),
    );

    // Restored: the columns from the bytes again, the row from the ledger.
    await sql(testApp.databaseUrl, `UPDATE ledger_entries SET entry = entry WHERE token_id = $1`, [tokenId]);
    await sql(testApp.databaseUrl, `UPDATE tokens SET owner_id = $1 WHERE id = $2`, [buyer.id, tokenId]);
    const after = (await api('POST', '/operator/audit/replay', { token: operator.token })).body;
    expect(after.mismatches.filter((m: { tokenId?: string }) => m.tokenId === tokenId)).toEqual([]);
  });

  it('refuses a whole batch when one token row disagrees, writing nothing for any of them', async () => {
    const collection = await createCollection(api, creator);
    const { tokenIds } = await mintEditions(api, creator, collection.id, 3);
    const receiver = await createUser(testApp, api);
    await sql(testApp.databaseUrl, `UPDATE tokens SET ledger_seq = 4 WHERE id = $1`, [tokenIds[1]]);

    const refused = await inTransaction(dataSource, async (manager) => {
      const locked: (LockedTokenState & { id: string })[] = await manager.query(
        `SELECT id, owner_id, status, ledger_seq, last_event_at FROM tokens WHERE id = ANY($1) ORDER BY id FOR UPDATE`,
        [tokenIds],
      );
      return ownership.changeLocked(
        manager,
        locked.map(({ id, ...state }) => ({
          tokenId: id,
          change: { type: 'transfer', to: receiver.id },
          locked: state,
        })),
      );
    }).catch((error) => error);
    expect(refused).toMatchObject({ code: 'ledger-mismatch', extensions: { tokenId: tokenIds[1] } });
    for (const tokenId of tokenIds) expect(await entriesOf(tokenId)).toEqual(['mint#0']);
    expect(await tokenRow(tokenIds[0])).toEqual({ owner_id: creator.id, status: 'active', ledger_seq: 0 });
    expect((await alertAbout(tokenIds[1])).detail).toContain('ledger seq 4');
  });

  it('settles the sound sales of a settlement batch and never sells the tampered edition', async () => {
    const collection = await createCollection(api, creator);
    const { tokenIds } = await mintEditions(api, creator, collection.id, 3);
    const listings = [];
    for (const tokenId of tokenIds) listings.push((await listToken(api, creator, tokenId, 1500)).listingId);
    // The middle edition's row now names another creator-side account: listing and row agree, the ledger does not.
    const other = await createUser(testApp, api);
    await sql(testApp.databaseUrl, `UPDATE tokens SET owner_id = $1 WHERE id = $2`, [other.id, tokenIds[1]]);
    await sql(testApp.databaseUrl, `UPDATE listings SET seller_id = $1 WHERE id = $2`, [
      other.id,
      listings[1],
    ]);

    const buyers = await Promise.all(tokenIds.map(() => createUser(testApp, api)));
    const answers = await Promise.all(
      listings.map((listingId, i) =>
        api('POST', '/checkout', { token: buyers[i].token, body: cardCheckout({ listingId }) }),
      ),
    );
    expect(answers[0].body.status).toBe('paid');
    expect(answers[2].body.status).toBe('paid');
    expect(answers[1].body.status).not.toBe('paid');
    expect(await entriesOf(tokenIds[0])).toEqual(['mint#0', 'sale#1']);
    expect(await entriesOf(tokenIds[1])).toEqual(['mint#0']);
    expect(await entriesOf(tokenIds[2])).toEqual(['mint#0', 'sale#1']);
    const [stuck] = await sql(testApp.databaseUrl, `SELECT status FROM orders WHERE listing_id = $1`, [
      listings[1],
    ]);
    expect(stuck.status).not.toBe('paid');
    const [stuckOrder] = await sql(testApp.databaseUrl, `SELECT id FROM orders WHERE listing_id = $1`, [
      listings[1],
    ]);
    expect((await alertAbout(tokenIds[1])).detail).toContain(
      `Refused a sale to ${buyers[1].id} (ref ${stuckOrder.id})`,
    );
  });

  it('follows the ledger through freeze, a revert while frozen, unfreeze and burn', async () => {
    const collection = await createCollection(api, creator);
    const { tokenIds } = await mintEditions(api, creator, collection.id, 1);
    const [tokenId] = tokenIds;
    const buyer = await createUser(testApp, api);
    await change(tokenId, { type: 'sale', to: buyer.id, ref: 'order_1' });
    await change(tokenId, { type: 'freeze', ref: 'dispute_1' });
    // A revert keeps the token frozen: the ledger head's status comes from the freeze before it.
    await change(tokenId, { type: 'revert', to: creator.id, ref: 'order_1' });
    expect(await tokenRow(tokenId)).toEqual({ owner_id: creator.id, status: 'frozen', ledger_seq: 3 });
    await change(tokenId, { type: 'unfreeze', ref: 'dispute_1' });
    await change(tokenId, { type: 'burn' });
    expect(await entriesOf(tokenId)).toEqual([
      'mint#0',
      'sale#1',
      'freeze#2',
      'revert#3',
      'unfreeze#4',
      'burn#5',
    ]);
    expect(await tokenRow(tokenId)).toEqual({ owner_id: null, status: 'burned', ledger_seq: 5 });
  });
});
