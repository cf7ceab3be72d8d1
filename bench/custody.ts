/**
 * Custody benchmark (issue 12), on a fresh database:
 *
 * 1. Holdings: p50/p99 of GET /me/holdings over HTTP for an owner of HOLDER_TOKENS (10,000) tokens
 *    among BENCH_TOKENS (1,000,000), in four shapes: first page, a page deep in the cursor chain, one
 *    collection, frozen only. Baseline in the same run: the plain index read of the same first page's
 *    token ids through pg (no join, no HTTP).
 * 2. Gifts: gifts/s through HTTP (POST /tokens/:id/gift) by GIFT_WORKERS concurrent clients, of
 *    tokens minted through the API (each gift is a ledger `transfer`). Baseline in the same run:
 *    GET /me at the same concurrency — the floor of an authenticated request.
 *
 * `npm run bench:custody`; BENCH_TOKENS, BENCH_GIFTS, BENCH_GIFT_WORKERS to change the sizes.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { DataSource } from 'typeorm';
import {
  benchApp,
  call,
  createBenchCollection,
  percentile,
  report,
  runBench,
  signUpCreator,
  signUpUser,
  uploadPng,
} from './support.js';

const TOKENS = Number(process.env.BENCH_TOKENS ?? 1_000_000);
const HOLDER_TOKENS = 10_000;
const COLLECTIONS = 1_000;
const COLLECTORS = 10_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 300); // per holdings shape
const GIFTS = Number(process.env.BENCH_GIFTS ?? 6_000);
const GIFT_WORKERS = Number(process.env.BENCH_GIFT_WORKERS ?? 64);
const RECIPIENTS = 8;

const seconds = (ms: number) => (ms / 1000).toFixed(1);

async function run(databaseUrl: string): Promise<void> {
  const { app, url } = await benchApp(databaseUrl);
  try {
    const holder = await signUpUser(app, url);
    await seedTokens(app.get(DataSource), holder.id);
    await measureHoldings(databaseUrl, url, holder);
    await measureGifts(app, url);
  } finally {
    await app.close();
  }
}

/**
 * TOKENS tokens straight into the tables: every 100th belongs to the holder (so theirs are spread
 * through the table, as a collector's purchases are), the rest to COLLECTORS others; 1 % of the
 * holder's are frozen and a third of them listed.
 */
async function seedTokens(dataSource: DataSource, holderId: string): Promise<void> {
  const started = performance.now();
  const step = TOKENS / HOLDER_TOKENS;
  await dataSource.query(
    `CREATE TABLE bench_people AS SELECT i AS idx, gen_random_uuid() AS id FROM generate_series(0, $1::int - 1) i`,
    [COLLECTORS],
  );
  await dataSource.query(
    `INSERT INTO accounts (id, email, handle, password_hash)
     SELECT id, 'holder' || idx || '@bench.example', 'holder_' || idx, '$argon2id$bench' FROM bench_people`,
  );
  await dataSource.query(
    `INSERT INTO collections (creator_id, name, royalty_bps, minted)
     SELECT p.id, 'Bench collection ' || c, 500, $2::int FROM generate_series(0, $1::int - 1) c
     JOIN bench_people p ON p.idx = c`,
    [COLLECTIONS, TOKENS / COLLECTIONS],
  );
  const chunk = 100_000;
  for (let from = 0; from < TOKENS; from += chunk) {
    await dataSource.query(
      `INSERT INTO tokens (id, collection_id, creator_id, edition_number, edition_total, name, metadata_cid,
         image_cid, owner_id, status)
       SELECT 'tok_bench' || lpad(i::text, 8, '0'), c.id, c.creator_id, 1, 1, 'Bench piece ' || i,
              'bafybenchmetadata' || i, 'bafybenchimage' || i,
              CASE WHEN i % $3 = 0 THEN $4::uuid ELSE p.id END,
              CASE WHEN i % ($3 * 100) = 0 THEN 'frozen' ELSE 'active' END
       FROM generate_series($1::int, $2::int - 1) i
       JOIN (SELECT id, creator_id, row_number() OVER (ORDER BY seq) - 1 AS idx FROM collections
             WHERE name LIKE 'Bench collection %') c ON c.idx = i % ${COLLECTIONS}
       JOIN bench_people p ON p.idx = (i::bigint * 7919) % ${COLLECTORS}
       ORDER BY i`,
      [from, Math.min(TOKENS, from + chunk), step, holderId],
    );
  }
  await dataSource.query(
    `INSERT INTO listings (token_id, seller_id, kind, price_minor, currency)
     SELECT id, owner_id, 'resale', 1000 + (seq % 5000), 'CNY' FROM tokens
     WHERE owner_id = $1 AND status = 'active' AND seq % 3 = 0`,
    [holderId],
  );
  await dataSource.query(`DROP TABLE bench_people`);
  await dataSource.query(`ANALYZE accounts, collections, tokens, listings`);
  console.log(
    `seeded ${TOKENS} tokens (${HOLDER_TOKENS} held by one account) in ${seconds(performance.now() - started)} s`,
  );
}

async function measureHoldings(databaseUrl: string, url: string, holder: { id: string; token: string }) {
  const get = async (query: string) => {
    const started = performance.now();
    const body = await call(url, 'GET', `/me/holdings${query}`, undefined, holder.token);
    return { ms: performance.now() - started, body };
  };
  // A cursor half-way down the holder's 10,000 tokens, reached the way a client would.
  let deep = '';
  for (let page = 0; page < HOLDER_TOKENS / 100 / 2; page++) {
    const { body } = await get(`?limit=100${deep ? `&cursor=${deep}` : ''}`);
    deep = body.nextCursor;
  }
  const { body: first } = await get('?limit=50');
  const collectionId = first.items[0].collectionId as string;
  const shapes: [string, string][] = [
    ['first page', '?limit=50'],
    ['deep page (cursor half-way)', `?limit=50&cursor=${deep}`],
    ['one collection', `?limit=50&collection=${collectionId}`],
    ['frozen only', '?limit=50&status=frozen'],
  ];

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const baseline: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await client.query(`SELECT id FROM tokens WHERE owner_id = $1 ORDER BY seq DESC LIMIT 51`, [holder.id]);
      baseline.push(performance.now() - started);
    }
  } finally {
    await client.end();
  }
  const baseP99 = percentile(baseline, 99);
  for (const [name, query] of shapes) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push((await get(query)).ms);
    console.log(`holdings ${name}: p50 ${percentile(times, 50).toFixed(2)} ms`);
    report(`holdings ${name} p99`, percentile(times, 99), 'ms', baseP99, '< 10 ms');
  }
}

type App = Awaited<ReturnType<typeof benchApp>>['app'];

async function measureGifts(app: App, url: string) {
  const creator = await signUpCreator(app, url);
  const recipients = await Promise.all(Array.from({ length: RECIPIENTS }, () => signUpUser(app, url)));
  const image = await uploadPng(url, creator.token);
  const collectionId = await createBenchCollection(url, creator.token);
  const tokenIds: string[] = [];
  for (let minted = 0; minted < GIFTS; minted += 5_000) {
    const editions = Math.min(5_000, GIFTS - minted);
    const metadata = { name: `Gift ${minted}`, description: 'A bench gift', image: `ipfs://${image}` };
    const body = { idempotencyKey: `bench-${randomUUID()}`, items: [{ editions, metadata }] };
    tokenIds.push(
      ...(await call(url, 'POST', `/collections/${collectionId}/mint`, body, creator.token)).tokenIds,
    );
  }

  const inParallel = async (count: number, one: (i: number) => Promise<void>) => {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: GIFT_WORKERS }, async () => {
        for (let i = next++; i < count; i = next++) await one(i);
      }),
    );
    return count / ((performance.now() - started) / 1000);
  };
  const baseline = await inParallel(GIFTS, async () => {
    await call(url, 'GET', '/me', undefined, creator.token);
  });
  const gifts = await inParallel(GIFTS, async (i) => {
    const body = { toHandle: recipients[i % RECIPIENTS].handle, idempotencyKey: `bench-gift-${i}` };
    await call(url, 'POST', `/tokens/${tokenIds[i]}/gift`, body, creator.token);
  });
  report(`gifts over HTTP (${GIFT_WORKERS} clients)`, gifts, 'gifts/s', baseline, '>= 1000 gifts/s');
}

runBench(run);
