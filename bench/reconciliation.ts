/**
 * Reconciliation benchmark (issue 13), on a fresh database:
 *
 * BENCH_ORDERS (1,000,000) paid orders are seeded straight into the tables, set-based: their
 * listings, the sale journal entries (four lines each), the processor's `payment_intent.succeeded`
 * events, the sandbox rail's payment intents, 1 % of them half refunded (journal and processor),
 * one paid payout per seller (journal too), over BENCH_ORDERS / 10 tokens with their ledger mints.
 * Then, over HTTP as an auditor, the full reconciliation is timed: GET /operator/reconciliation
 * (all five views' summaries) plus streaming GET /operator/reconciliation/payments.csv?rows=all
 * (one CSV row per captured payment). It must be clean, and take < 60 s.
 *
 * Baseline in the same run: one plain `SELECT count(*)` (a sequential scan) of every table the
 * views read — the floor of any check that looks at every row once.
 *
 * `npm run bench:reconciliation`; BENCH_ORDERS to change the size.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { VIEW_NAMES, VIEWS } from '#reconciliation';
import { benchApp, report, runBench, signUpUser } from './support.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 1_000_000);
const TOKENS = Math.max(1, Math.floor(ORDERS / 10));
const PEOPLE = 10_000;
const COLLECTIONS = 1_000;
const TABLES = [
  'orders',
  'journal_entries',
  'journal_lines',
  'payment_events',
  'sandbox_payment_intents',
  'payouts',
  'tokens',
  'ledger_entries',
];

const seconds = (ms: number) => (ms / 1000).toFixed(1);

async function run(databaseUrl: string): Promise<void> {
  await seed(databaseUrl);
  // No background jobs: the sequencer would otherwise integrate the seeded ledger entries meanwhile.
  process.env.HEIRLOOM_DISABLE_JOBS = '1';
  const { app, url } = await benchApp(databaseUrl);
  try {
    const auditor = await signUpUser(app, url, ['auditor']);
    const baseline = await scanEveryTable(databaseUrl);
    const started = performance.now();
    const overview = await fetchJson(`${url}/operator/reconciliation`, auditor.token);
    const summariesMs = performance.now() - started;
    const csvStarted = performance.now();
    const csv = await streamCsv(`${url}/operator/reconciliation/payments.csv?rows=all`, auditor.token);
    const csvMs = performance.now() - csvStarted;
    const totalMs = performance.now() - started;

    for (const view of overview.views) {
      console.log(`  ${view.view}: ${view.checked} rows checked, ${view.findings} findings`);
    }
    if (!overview.clean) throw new Error(`the seeded books do not reconcile: ${JSON.stringify(overview)}`);
    if (csv.rows !== ORDERS) throw new Error(`the CSV has ${csv.rows} rows, not ${ORDERS}`);
    console.log(
      `all five summaries ${seconds(summariesMs)} s; payments CSV of every row: ${csv.rows} rows, ` +
        `${(csv.bytes / 1e6).toFixed(0)} MB in ${seconds(csvMs)} s`,
    );
    report(
      `full reconciliation of ${ORDERS} orders (five views + one streamed CSV)`,
      totalMs / 1000,
      's',
      baseline / 1000,
      '< 60 s',
    );
    if (process.env.BENCH_EXPLAIN) await explainViews(databaseUrl);
  } finally {
    await app.close();
  }
}

/** With BENCH_EXPLAIN=1: each view's plan and time, to see where the time goes. */
async function explainViews(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`SET work_mem = '${process.env.BENCH_EXPLAIN_WORK_MEM ?? '4MB'}'`);
    for (const name of VIEW_NAMES) {
      const { rows } = await client.query(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) SELECT count(*) FROM (${VIEWS[name].rowsSql}) r`,
      );
      console.log(`--- ${name}\n${rows.map((row) => row['QUERY PLAN']).join('\n')}`);
    }
  } finally {
    await client.end();
  }
}

/** Every table the views read, scanned once each by `count(*)`; answers the time in ms. */
async function scanEveryTable(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const scan = async () => {
      const started = performance.now();
      for (const table of TABLES) await client.query(`SELECT count(*) FROM ${table}`);
      return performance.now() - started;
    };
    await scan(); // warms the cache the reconciliation will find warm too
    return await scan();
  } finally {
    await client.end();
  }
}

async function fetchJson(url: string, token: string): Promise<any> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Reads a CSV download as it streams, counting its data rows (lines after the header) and bytes. */
async function streamCsv(url: string, token: string): Promise<{ rows: number; bytes: number }> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200 || !response.body) throw new Error(`${url}: ${response.status}`);
  let lines = 0;
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (const byte of chunk) if (byte === 10) lines++;
  }
  return { rows: lines - 1, bytes };
}

/**
 * The books of ORDERS paid orders, written set-based by generate_series. Triggers are off for the
 * seeding session (session_replication_role = replica): the rows are built consistent (every entry
 * balances by construction) and the reconciliation checks them anyway; per-row balance and
 * foreign-key triggers would only make seeding slow.
 */
async function seed(databaseUrl: string): Promise<void> {
  const started = performance.now();
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const step = async (what: string, text: string, params: unknown[] = []) => {
    const stepStarted = performance.now();
    await db.query(text, params);
    console.log(`  seeded ${what} in ${seconds(performance.now() - stepStarted)} s`);
  };
  try {
    await db.query(`SET session_replication_role = replica`);
    await db.query(`SET work_mem = '256MB'`);
    await step(
      'people',
      `CREATE TABLE bench_people AS SELECT i AS idx, gen_random_uuid() AS id FROM generate_series(0, $1::int - 1) i`,
      [PEOPLE],
    );
    await step(
      'accounts',
      `INSERT INTO accounts (id, email, handle, password_hash)
       SELECT id, 'seller' || idx || '@bench.example', 'seller_' || idx, '$argon2id$bench' FROM bench_people`,
    );
    await step(
      'collections',
      `INSERT INTO collections (creator_id, name, royalty_bps, minted)
       SELECT p.id, 'Bench collection ' || c, 500, 0 FROM generate_series(0, $1::int - 1) c
       JOIN bench_people p ON p.idx = c`,
      [COLLECTIONS],
    );
    await step(
      `${TOKENS} tokens`,
      `INSERT INTO tokens (id, collection_id, creator_id, edition_number, edition_total, name, metadata_cid,
         image_cid, owner_id, status)
       SELECT 'tok_bench' || lpad(i::text, 8, '0'), c.id, c.creator_id, 1, 1, 'Bench piece ' || i,
              'bafybenchmetadata' || i, 'bafybenchimage' || i, p.id, 'active'
       FROM generate_series(0, $1::int - 1) i
       JOIN (SELECT id, creator_id, row_number() OVER (ORDER BY seq) - 1 AS idx FROM collections) c
         ON c.idx = i % ${COLLECTIONS}
       JOIN bench_people p ON p.idx = (i::bigint * 7919) % ${PEOPLE}`,
      [TOKENS],
    );
    await step(
      'ledger mints',
      `INSERT INTO ledger_entries (token_id, entry)
       SELECT id, convert_to(json_build_object('at', '2026-01-01T00:00:00.000Z', 'from', NULL, 'seq', 0,
                'to', owner_id, 'token', id, 'type', 'mint', 'v', 1)::text, 'UTF8')
       FROM tokens`,
    );
    await step(
      `${ORDERS} orders (staging)`,
      `CREATE TABLE bench_orders AS
       SELECT i, gen_random_uuid() AS order_id, gen_random_uuid() AS listing_id,
              'tok_bench' || lpad((i % $2)::text, 8, '0') AS token_id,
              s.id AS seller_id, b.id AS buyer_id, 1000 + (i % 9000) AS amount,
              'pi_bench_' || i AS payment_id
       FROM generate_series(0, $1::int - 1) i
       JOIN bench_people s ON s.idx = i % ${PEOPLE}
       JOIN bench_people b ON b.idx = (i + 1) % ${PEOPLE}`,
      [ORDERS, TOKENS],
    );
    await step(
      'listings',
      `INSERT INTO listings (id, token_id, seller_id, kind, price_minor, currency, status)
       SELECT listing_id, token_id, seller_id, 'resale', amount, 'USD', 'sold' FROM bench_orders`,
    );
    await step(
      'orders',
      `INSERT INTO orders (id, buyer_id, listing_id, token_id, seller_id, amount_minor, currency, status,
         idempotency_key, reserved_until, payment_id, card_brand, card_last4, paid_at)
       SELECT order_id, buyer_id, listing_id, token_id, seller_id, amount, 'USD', 'paid', 'bench-' || i, now(),
              payment_id, 'visa', '4242', now()
       FROM bench_orders`,
    );
    await step(
      'sale entries',
      `INSERT INTO journal_entries (order_id, kind) SELECT order_id, 'sale' FROM bench_orders ORDER BY i`,
    );
    // gross = processor fee (2.9 % + 30) + platform fee (5 %) + the seller's proceeds, exactly.
    await step(
      'sale lines',
      `INSERT INTO journal_lines (entry_id, account, amount_minor, currency)
       SELECT e.id, l.account, l.amount, 'USD'
       FROM bench_orders b JOIN journal_entries e ON e.order_id = b.order_id AND e.kind = 'sale'
       CROSS JOIN LATERAL (SELECT b.amount * 290 / 10000 + 30 AS processor, b.amount * 500 / 10000 AS platform) f
       CROSS JOIN LATERAL (VALUES
         ('asset:processor-clearing', b.amount),
         ('liability:processor-fees', -f.processor),
         ('revenue:platform-fees', -f.platform),
         ('liability:payable:' || b.seller_id, -(b.amount - f.processor - f.platform))) AS l(account, amount)`,
    );
    await step(
      'refund entries (1 %)',
      `INSERT INTO journal_entries (order_id, kind)
       SELECT order_id, 'refund:' || (amount / 2) FROM bench_orders WHERE i % 100 = 0`,
    );
    await step(
      'refund lines',
      `INSERT INTO journal_lines (entry_id, account, amount_minor, currency)
       SELECT e.id, l.account, l.amount, 'USD'
       FROM bench_orders b JOIN journal_entries e ON e.order_id = b.order_id AND e.kind = 'refund:' || (b.amount / 2)
       CROSS JOIN LATERAL (VALUES ('asset:processor-clearing', -(b.amount / 2)),
                                  ('liability:payable:' || b.seller_id, b.amount / 2)) AS l(account, amount)
       WHERE b.i % 100 = 0`,
    );
    await step(
      'payment events',
      `INSERT INTO payment_events (id, type, payment_id, order_id, payload, processed_at, outcome)
       SELECT 'evt_bench_' || i, 'payment_intent.succeeded', payment_id, order_id,
              jsonb_build_object('id', 'evt_bench_' || i, 'type', 'payment_intent.succeeded',
                'paymentId', payment_id, 'orderId', order_id, 'amount', amount, 'currency', 'usd'),
              now(), 'settled'
       FROM bench_orders`,
    );
    await step(
      'sandbox payment intents',
      `INSERT INTO sandbox_payment_intents (id, order_id, amount, currency, metadata, state, card_brand, card_last4,
         behaviour, created_seconds, idempotency_key, fingerprint, client_secret, amount_refunded)
       SELECT payment_id, order_id::text, amount, 'usd', jsonb_build_object('order_id', order_id),
              CASE WHEN i % 100 = 0 THEN 'partially_refunded' ELSE 'succeeded' END, 'visa', '4242', 'succeed', 0,
              'bench-' || i, 'fp', 'secret', CASE WHEN i % 100 = 0 THEN amount / 2 ELSE 0 END
       FROM bench_orders`,
    );
    await step(
      'payouts (one per seller)',
      `INSERT INTO payouts (account_id, idempotency_key, amount_minor, currency, status, rail, rail_ref, settled_at)
       SELECT id, 'bench', 100, 'USD', 'paid', 'sandbox', 'sbx_po_bench_' || idx, now() FROM bench_people`,
    );
    await step(
      'payout entries',
      `INSERT INTO journal_entries (order_id, kind)
       SELECT NULL, k || id FROM payouts CROSS JOIN (VALUES ('payout:'), ('payout-paid:')) AS kinds(k)`,
    );
    await step(
      'payout lines',
      `INSERT INTO journal_lines (entry_id, account, amount_minor, currency)
       SELECT e.id, l.account, l.amount, 'USD'
       FROM payouts p
       CROSS JOIN LATERAL (VALUES ('payout:' || p.id), ('payout-paid:' || p.id)) AS k(kind)
       JOIN journal_entries e ON e.kind = k.kind AND e.order_id IS NULL
       CROSS JOIN LATERAL (VALUES
         (starts_with(e.kind, 'payout:'), 'liability:payable:' || p.account_id, p.amount_minor),
         (starts_with(e.kind, 'payout:'), 'liability:payouts-in-transit:' || p.account_id, -p.amount_minor),
         (starts_with(e.kind, 'payout-paid:'), 'liability:payouts-in-transit:' || p.account_id, p.amount_minor),
         (starts_with(e.kind, 'payout-paid:'), 'asset:processor-clearing', -p.amount_minor)) AS l(booked, account, amount)
       WHERE l.booked`,
    );
    await db.query(`DROP TABLE bench_orders, bench_people`);
    await step('statistics', `ANALYZE`);
  } finally {
    await db.end();
  }
  console.log(`seeded ${ORDERS} orders in ${seconds(performance.now() - started)} s`);
}

runBench(run);
