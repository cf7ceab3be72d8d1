/**
 * Drop-rush benchmark (issue 5): 10,000 checkout attempts by distinct buyers for a first-come drop of
 * 1,000 editions, with the sandbox card rail, over keep-alive HTTP against the real app. Prints
 * reservations/s, checkout latency, completed checkouts/s and the oversell count, beside a baseline of
 * plain single-row transactions (one UPDATE + one INSERT per HTTP request through Node and `pg`)
 * measured in the same run at the same concurrency.
 *
 * The app runs inside the bench process; with BENCH_PROCESSES=n, as n API processes on one database
 * instead, the load spread evenly over them as behind a load balancer (each app's Node runs on one
 * thread).
 *
 * `npm run bench:drop-rush`. Knobs: BENCH_EDITIONS, BENCH_ATTEMPTS, BENCH_CONCURRENCY, BENCH_PROCESSES,
 * DATABASE_POOL_SIZE (per process), DATABASE_URL (another PostgreSQL server), BENCH_PROFILE=<file>
 * (a CPU profile of the in-process app's thread during the rush only; implies BENCH_PROCESSES=1).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import pg from 'pg';

const EDITIONS = Number(process.env.BENCH_EDITIONS ?? 1_000);
const ATTEMPTS = Number(process.env.BENCH_ATTEMPTS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const PROCESSES = process.env.BENCH_PROFILE ? 1 : Number(process.env.BENCH_PROCESSES ?? 1);
const WARMUP_EDITIONS = 100;
const WARMUP_ATTEMPTS = 1_000;
const PRICE_MINOR = 1999;
const BENCH_ORIGIN = 'heirloom.bench/ledger';
// Applies to the app's TypeORM pool (read at start-up) and to the baseline's own pool. On two cores a
// small pool measured as fast as 16 or 24 connections, with fewer backends to schedule.
process.env.DATABASE_POOL_SIZE ??= '8';
const POOL_SIZE = Number(process.env.DATABASE_POOL_SIZE);

/** One HTTP request the load generator sends. */
interface Shot {
  path: string;
  token?: string;
  body: string;
  /** Reserve-then-pay: when the first answer is a reserved order, POST this body to its /pay. */
  pay?: string;
}

/** What the load generator measured for one request (times in epoch milliseconds). */
interface Result {
  start: number;
  end: number;
  status: number;
  /** The order status of a 2xx answer, or the problem code of an error. */
  outcome: string;
  orderId?: string;
  /** Reserve-then-pay: when the reservation was answered (`end` is then the payment's answer). */
  reservedAt?: number;
}

// Loaded by the main thread only, so that load-generator workers do not load the whole app.
let support: typeof import('./support.js');

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const clock = () => performance.timeOrigin + performance.now();

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  void generateLoad(workerData as { urls: string[]; shots: Shot[]; concurrency: number }).then((results) =>
    parentPort!.postMessage(results),
  );
}

// ---------------------------------------------------------------------------------------------
// Load generator: runs in a worker thread so that building, sending and timing requests does not
// share the app's event loop. One keep-alive connection per request in flight.

async function generateLoad(input: {
  urls: string[];
  shots: Shot[];
  concurrency: number;
}): Promise<Result[]> {
  // Round robin over the API processes, each attempt (both its requests) to one of them.
  const targets = input.urls.map((url) => ({
    url: new URL(url),
    agent: new http.Agent({ keepAlive: true, maxSockets: input.concurrency }),
  }));
  const results: Result[] = new Array(input.shots.length);
  let next = 0;
  const runner = async () => {
    while (next < input.shots.length) {
      const index = next++;
      const target = targets[index % targets.length];
      results[index] = await sendCheckout(target.agent, target.url, input.shots[index]);
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, runner));
  for (const target of targets) target.agent.destroy();
  return results;
}

/** One checkout: a single request, or a reservation followed by its payment. */
async function sendCheckout(agent: http.Agent, target: URL, shot: Shot): Promise<Result> {
  const first = await send(agent, target, shot);
  if (!shot.pay || first.status !== 201 || first.outcome !== 'reserved') return first;
  const paid = await send(agent, target, {
    path: `/orders/${first.orderId}/pay`,
    token: shot.token,
    body: shot.pay,
  });
  // A paid answer counts like a one-step checkout's 201.
  return {
    ...paid,
    start: first.start,
    reservedAt: first.end,
    status: paid.status === 200 ? 201 : paid.status,
  };
}

function send(agent: http.Agent, target: URL, shot: Shot): Promise<Result> {
  return new Promise((resolve, reject) => {
    const start = clock();
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(shot.body),
    };
    if (shot.token) headers.authorization = `Bearer ${shot.token}`;
    const request = http.request(
      { agent, host: target.hostname, port: target.port, method: 'POST', path: shot.path, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const end = clock();
          const status = response.statusCode ?? 0;
          let outcome = '';
          let orderId: string | undefined;
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            orderId = body.orderId;
            outcome = String(body.status && status < 300 ? body.status : (body.type ?? '')).replace(
              'https://heirloom.dev/problems/',
              '',
            );
          } catch {
            outcome = 'unparsable';
          }
          resolve({ start, end, status, outcome, orderId });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(shot.body);
  });
}

function runLoad(urls: string[], shots: Shot[], concurrency = CONCURRENCY): Promise<Result[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { urls, shots, concurrency } });
    worker.once('message', (results: Result[]) => {
      resolve(results);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  support = await import('./support.js');
  const { benchApp, benchDatabase, startApiProcesses } = support;
  const { generateKey } = await import('#ledger-core');
  const db = await benchDatabase();
  const appEnv = {
    SANDBOX_DISPUTE_DELAY_MS: '86400000',
    // A fixed operator key, as the tests use: no key file to generate, the same run every time.
    LEDGER_ORIGIN: BENCH_ORIGIN,
    LEDGER_SIGNER_KEY: generateKey(BENCH_ORIGIN, new Uint8Array(32).fill(7)).signerKey,
  };
  // The in-process app sets the drops up (and serves the rush when PROCESSES is 1).
  const { app, url } = await benchApp(db.url, appEnv);
  const processes = PROCESSES > 1 ? await startApiProcesses(db.url, PROCESSES, appEnv) : undefined;
  const rushUrls = processes?.urls ?? [url];
  const sql = new pg.Pool({ connectionString: db.url, max: POOL_SIZE });
  const baselineServer = await startBaselineServer(sql);
  try {
    const [{ server_version, fsync, synchronous_commit }] = (
      await sql.query(
        `SELECT current_setting('server_version') AS server_version, current_setting('fsync') AS fsync,
                current_setting('synchronous_commit') AS synchronous_commit`,
      )
    ).rows;
    console.log(
      `drop-rush bench: PostgreSQL ${server_version}, fsync=${fsync}, synchronous_commit=${synchronous_commit}, ` +
        `${EDITIONS} editions, ${ATTEMPTS} attempts, ${CONCURRENCY} in flight, ` +
        `${PROCESSES} API process${PROCESSES > 1 ? 'es' : ''} (pool ${POOL_SIZE} each)`,
    );

    // Set-up, not timed: a creator, a warm-up drop and the real drop, and one account per buyer.
    const creator = (await insertBuyers(sql, 1, 'creator', ['creator']))[0];
    const warmupDrop = await createDrop(url, creator.token, WARMUP_EDITIONS, 'warm-up');
    const dropId = await createDrop(url, creator.token, EDITIONS, 'rush');
    const reserveOnlyDrop = await createDrop(url, creator.token, EDITIONS, 'reserve-only rush');
    const buyers = await insertBuyers(sql, WARMUP_ATTEMPTS + ATTEMPTS, 'buyer', ['collector']);
    console.log(`set-up: ${EDITIONS + WARMUP_EDITIONS} editions minted and dropped, ${buyers.length} buyers`);

    // Baseline: plain single-row transactions over HTTP, same concurrency, same load generator.
    const database = new URL(db.url).pathname.slice(1);
    await runLoad([baselineServer.url], baselineShots(1_000)); // warm-up
    let cpu = cpuSnapshot(database);
    const base = summarise(await runLoad([baselineServer.url], baselineShots(ATTEMPTS)));
    const baseCpu = cpuSince(cpu, database, ATTEMPTS);
    console.log(
      `baseline: ${ATTEMPTS} single-row transactions in ${seconds(base.wallMs)} s, ` +
        `${base.perSecond.toFixed(0)}/s, p50 ${base.p50.toFixed(1)} ms, p99 ${base.p99.toFixed(1)} ms; ` +
        `CPU per request ${baseCpu}`,
    );

    // Warm-up rush on its own small drop, so the measured rush runs on JIT-compiled code.
    await runLoad(rushUrls, checkoutShots(warmupDrop, buyers.slice(0, WARMUP_ATTEMPTS)));

    // The rush.
    const rushBuyers = buyers.slice(WARMUP_ATTEMPTS);
    const profiler = await startProfile();
    cpu = cpuSnapshot(database, processes?.pids);
    const t0 = clock();
    const results = await runLoad(rushUrls, checkoutShots(dropId, rushBuyers));
    const rushCpu = cpuSince(cpu, database, results.length, processes?.pids);
    await profiler?.stop();
    console.log(
      `rush: CPU per attempt ${rushCpu} (the machine has 2 cores; other load on it slows both runs)`,
    );
    await printRush(sql, dropId, t0, results, base);

    // Reservation rush: the same buyers at a fresh drop, reserving only — as buyers do who pay
    // later in the reservation window. How fast editions are reserved, apart from paying for them.
    const t1 = clock();
    const reserved = await runLoad(rushUrls, reserveOnlyShots(reserveOnlyDrop, rushBuyers));
    await printReservationRush(sql, reserveOnlyDrop, t1, reserved, base);
  } finally {
    await baselineServer.close();
    await sql.end();
    await processes?.stop();
    await app.close();
    await db.close();
  }
  console.log(`total bench time ${seconds(performance.now() - started)} s`);
}

/** With BENCH_PROFILE set, profiles this thread (the app's) until `stop()` writes the file. */
async function startProfile(): Promise<{ stop(): Promise<void> } | undefined> {
  const file = process.env.BENCH_PROFILE;
  if (!file) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      console.log(`CPU profile of the rush written to ${file}`);
    },
  };
}

interface CpuSnapshot {
  nodeMs: number;
  postgresMs: number;
}

/**
 * CPU used so far by this process (app, baseline server and load generator) and the API processes
 * `pids`, and by the database's backends.
 */
function cpuSnapshot(database: string, pids: number[] = []): CpuSnapshot {
  const own = process.cpuUsage();
  return {
    nodeMs: (own.user + own.system) / 1000 + pids.reduce((sum, pid) => sum + processCpuMs(pid), 0),
    postgresMs: postgresCpuMs(database),
  };
}

function cpuSince(start: CpuSnapshot, database: string, requests: number, pids: number[] = []): string {
  const now = cpuSnapshot(database, pids);
  const nodeMs = now.nodeMs - start.nodeMs;
  const postgresMs = now.postgresMs - start.postgresMs;
  const per = (ms: number) => ((ms / requests) * 1000).toFixed(0);
  return `${per(nodeMs + postgresMs)} µs (Node ${per(nodeMs)} µs incl. load generator, PostgreSQL ${per(postgresMs)} µs)`;
}

/** User + system CPU of the PostgreSQL backends connected to `database`, from /proc (Linux only). */
function postgresCpuMs(database: string): number {
  let ms = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(` ${database} `))
        ms += processCpuMs(Number(pid));
    } catch {
      // The process ended meanwhile.
    }
  }
  return ms;
}

/** User + system CPU of one process, from /proc (Linux only; 0 once it has ended). */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / 100) * 1000; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

interface Summary {
  wallMs: number;
  perSecond: number;
  p50: number;
  p99: number;
}

function summarise(results: Result[]): Summary {
  const failed = results.filter((r) => r.status !== 200).length;
  if (failed > 0) throw new Error(`${failed} baseline requests failed`);
  const wallMs = Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start));
  const latencies = results.map((r) => r.end - r.start);
  return {
    wallMs,
    perSecond: results.length / (wallMs / 1000),
    p50: support.percentile(latencies, 50),
    p99: support.percentile(latencies, 99),
  };
}

async function printRush(sql: pg.Pool, dropId: string, t0: number, results: Result[], base: Summary) {
  const groups = { paid: [] as Result[], soldOut: [] as Result[], other: new Map<string, number>() };
  for (const r of results) {
    if (r.status === 201 && r.outcome === 'paid') groups.paid.push(r);
    else if (r.status === 409 && r.outcome === 'sold-out') groups.soldOut.push(r);
    else
      groups.other.set(`${r.status} ${r.outcome}`, (groups.other.get(`${r.status} ${r.outcome}`) ?? 0) + 1);
  }
  const { paid, soldOut } = groups;
  const others = results.length - paid.length - soldOut.length;
  const latency = (rs: Result[], p: number) =>
    rs.length
      ? support.percentile(
          rs.map((r) => r.end - r.start),
          p,
        )
      : NaN;
  // The reservation step's answer (the whole checkout in the one-step flow).
  const reserveLatency = (rs: Result[], p: number) =>
    rs.length
      ? support.percentile(
          rs.map((r) => (r.reservedAt ?? r.end) - r.start),
          p,
        )
      : NaN;
  const wallMs = Math.max(...results.map((r) => r.end)) - t0;
  const lastPaidMs = Math.max(...paid.map((r) => r.end)) - t0;
  const firstSoldOutMs = Math.min(...soldOut.map((r) => r.end)) - t0;
  // Reservations as the database saw them: orders.created_at is the reserving transaction's start.
  const [orders] = (
    await sql.query(
      `SELECT count(*)::int AS reserved, (extract(epoch FROM max(created_at)) * 1000)::float8 AS last_ms
       FROM orders WHERE drop_id = $1`,
      [dropId],
    )
  ).rows;
  const reservationWindowMs = orders.last_ms - t0;
  const checks = await oversellChecks(sql, dropId);

  const otherText = [...groups.other].map(([k, v]) => `${k}: ${v}`).join(', ');
  console.log(
    `rush: ${results.length} attempts in ${seconds(wallMs)} s — ${paid.length} paid, ${soldOut.length} sold-out, ` +
      `${others} other${others ? ` (${otherText})` : ''}; ${orders.reserved} reservations, the last ` +
      `${seconds(reservationWindowMs)} s in; last paid answer at ${seconds(lastPaidMs)} s`,
  );
  console.log(
    `latency ms: all p50 ${latency(results, 50).toFixed(1)} p99 ${latency(results, 99).toFixed(1)} | ` +
      `paid p50 ${latency(paid, 50).toFixed(1)} p99 ${latency(paid, 99).toFixed(1)} | ` +
      `sold-out p50 ${latency(soldOut, 50).toFixed(1)} p99 ${latency(soldOut, 99).toFixed(1)}`,
  );
  support.report(
    `reservation attempts/s (all ${results.length}: an edition reserved or sold-out)`,
    results.length / (wallMs / 1000),
    'ops/s',
    base.perSecond,
    '≥ 1000 if every attempt counts',
  );
  support.report(
    'reservations/s while paying (editions reserved / time to the last reservation)',
    orders.reserved / (reservationWindowMs / 1000),
    'ops/s',
    base.perSecond,
  );
  support.report(
    'completed checkouts/s (paid / time to the last paid answer)',
    paid.length / (lastPaidMs / 1000),
    'ops/s',
    base.perSecond,
    '≥ 500',
  );
  support.report(
    'sold-out answers/s (after the first one)',
    soldOut.length / ((Math.max(...soldOut.map((r) => r.end)) - t0 - firstSoldOutMs) / 1000),
    'ops/s',
    base.perSecond,
  );
  const flow = TWO_STEP ? 'reserve, then pay' : 'one request';
  support.report(
    `checkout (reservation) latency p50, all attempts (${flow})`,
    reserveLatency(results, 50),
    'ms',
    base.p50,
  );
  support.report(
    `checkout (reservation) latency p99, all attempts (${flow})`,
    reserveLatency(results, 99),
    'ms',
    base.p99,
    '< 50 ms',
  );
  support.report('checkout latency p50 (paid, end to end)', latency(paid, 50), 'ms', base.p50);
  support.report('checkout latency p99 (paid, end to end)', latency(paid, 99), 'ms', base.p99);
  console.log(
    `sold: ${checks.sold} of ${EDITIONS} (paid orders ${checks.paidOrders}, distinct buyer owners ` +
      `${checks.buyerOwners}) | oversell: ${checks.oversell} (editions with >1 paid order ${checks.doublePaid}, ` +
      `owner ≠ paid buyer ${checks.ownerMismatch}) | money journal imbalance ${checks.imbalance}`,
  );
  const failures = [
    checks.oversell !== 0 && 'oversell',
    checks.sold !== EDITIONS && 'not sold out',
    checks.imbalance !== 0 && 'journal imbalance',
    others !== 0 && 'unexpected answers',
  ].filter(Boolean);
  if (failures.length > 0) {
    console.log(`CORRECTNESS FAILURE: ${failures.join(', ')}`);
    process.exitCode = 1;
  }
}

async function printReservationRush(
  sql: pg.Pool,
  dropId: string,
  t0: number,
  results: Result[],
  base: Summary,
) {
  const reserved = results.filter((r) => r.status === 201 && r.outcome === 'reserved').length;
  const soldOut = results.filter((r) => r.status === 409 && r.outcome === 'sold-out').length;
  const wallMs = Math.max(...results.map((r) => r.end)) - t0;
  const lastReservedMs = Math.max(...results.filter((r) => r.outcome === 'reserved').map((r) => r.end)) - t0;
  const [{ orders }] = (
    await sql.query(`SELECT count(*)::int AS orders FROM orders WHERE drop_id = $1`, [dropId])
  ).rows;
  const latencies = results.map((r) => r.end - r.start);
  console.log(
    `reserve-only rush: ${results.length} attempts in ${seconds(wallMs)} s — ${reserved} reserved ` +
      `(${orders} orders in the database), ${soldOut} sold-out, ${results.length - reserved - soldOut} other; ` +
      `the last reservation answered at ${seconds(lastReservedMs)} s`,
  );
  support.report(
    'reservations/s, reserve only (editions reserved / time to the last reservation)',
    reserved / (lastReservedMs / 1000),
    'ops/s',
    base.perSecond,
    '≥ 1000',
  );
  support.report(
    'reservation latency p50, reserve only (all attempts)',
    support.percentile(latencies, 50),
    'ms',
    base.p50,
  );
  support.report(
    'reservation latency p99, reserve only (all attempts)',
    support.percentile(latencies, 99),
    'ms',
    base.p99,
    '< 50 ms',
  );
  if (reserved !== EDITIONS || orders !== EDITIONS || reserved + soldOut !== results.length) {
    console.log('CORRECTNESS FAILURE: reserve-only rush did not reserve each edition exactly once');
    process.exitCode = 1;
  }
}

async function oversellChecks(sql: pg.Pool, dropId: string) {
  const one = async (text: string, params: unknown[] = [dropId]) =>
    Number(Object.values((await sql.query(text, params)).rows[0])[0]);
  const doublePaid = await one(
    `SELECT count(*) FROM (SELECT token_id FROM orders WHERE drop_id = $1 AND status IN ('paid', 'disputed')
       GROUP BY token_id HAVING count(*) > 1) x`,
  );
  // Every edition of the drop is owned by the buyer of its one paid order, or still by the creator
  // with no paid order; anything else is an oversell or a lost sale.
  const ownerMismatch = await one(
    `SELECT count(*) FROM listings l JOIN tokens t ON t.id = l.token_id
       LEFT JOIN orders o ON o.listing_id = l.id AND o.status = 'paid'
     WHERE l.drop_id = $1 AND t.owner_id IS DISTINCT FROM coalesce(o.buyer_id, l.seller_id)`,
  );
  const sold = await one(`SELECT count(*) FROM listings WHERE drop_id = $1 AND status = 'sold'`);
  const paidOrders = await one(`SELECT count(*) FROM orders WHERE drop_id = $1 AND status = 'paid'`);
  const buyerOwners = await one(
    `SELECT count(DISTINCT t.owner_id) FROM listings l JOIN tokens t ON t.id = l.token_id
     WHERE l.drop_id = $1 AND t.owner_id <> l.seller_id`,
  );
  const imbalance = await one(
    `SELECT coalesce(sum(abs(total)), 0) FROM (SELECT sum(amount_minor) AS total FROM journal_lines
       GROUP BY currency) x`,
    [],
  );
  return {
    doublePaid,
    ownerMismatch,
    oversell: doublePaid + ownerMismatch + Math.max(0, paidOrders - EDITIONS),
    sold,
    paidOrders,
    buyerOwners,
    imbalance,
  };
}

// ---------------------------------------------------------------------------------------------
// Set-up helpers.

interface Buyer {
  id: string;
  token: string;
}

/** Accounts with a live session each, inserted in bulk (sign-up's argon2 would dominate set-up). */
async function insertBuyers(sql: pg.Pool, count: number, prefix: string, roles: string[]): Promise<Buyer[]> {
  const run = randomBytes(4).toString('hex');
  const buyers: Buyer[] = [];
  for (let offset = 0; offset < count; offset += 5_000) {
    const n = Math.min(5_000, count - offset);
    const tokens = Array.from({ length: n }, () => `hls_${randomBytes(32).toString('base64url')}`);
    const handles = Array.from({ length: n }, (_, i) => `${prefix}_${run}_${offset + i}`);
    const { rows } = await sql.query(
      `WITH a AS (
         INSERT INTO accounts (email, handle, password_hash, roles, creator_status)
         SELECT h || '@bench.example', h, '$argon2id$bench-not-a-hash', $2::text[],
                CASE WHEN 'creator' = ANY($2::text[]) THEN 'approved' ELSE 'none' END
         FROM unnest($1::text[]) WITH ORDINALITY AS x(h, n) ORDER BY n
         RETURNING id, handle)
       INSERT INTO sessions (account_id, token_hash, expires_at)
       SELECT a.id, t.hash, now() + interval '1 day'
       FROM a JOIN unnest($1::text[], $3::bytea[]) AS t(handle, hash) ON t.handle = a.handle
       RETURNING account_id, token_hash`,
      [handles, roles, tokens.map((t) => createHash('sha256').update(t).digest())],
    );
    const byHash = new Map(tokens.map((t) => [createHash('sha256').update(t).digest('hex'), t]));
    for (const row of rows as { account_id: string; token_hash: Buffer }[]) {
      buyers.push({ id: row.account_id, token: byHash.get(row.token_hash.toString('hex'))! });
    }
  }
  return buyers;
}

/** A collection with `editions` minted editions, all on sale in a first-come drop that has started. */
async function createDrop(url: string, token: string, editions: number, name: string): Promise<string> {
  const api = async (path: string, body: unknown, contentType = 'application/json') => {
    const response = await fetch(url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body: contentType === 'application/json' ? JSON.stringify(body) : (body as Uint8Array),
    });
    const json: any = await response.json();
    if (response.status >= 300) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const collection = await api('/collections', { name: `Drop rush ${name}`, royaltyBps: 500 });
  const media = await api('/media', uniquePng(), 'image/png');
  await api(`/collections/${collection.id}/mint`, {
    idempotencyKey: `bench-mint-${randomBytes(8).toString('hex')}`,
    items: [
      { editions, metadata: { name, description: name, image: `ipfs://${media.cid}`, attributes: [] } },
    ],
  });
  const drop = await api('/drops', {
    collectionId: collection.id,
    priceMinor: PRICE_MINOR,
    currency: 'USD',
    startsAt: new Date(Date.now() - 1000).toISOString(),
  });
  return drop.dropId;
}

/** BENCH_FLOW=one-step pays in the checkout request; the default reserves, then pays (Payment Element flow). */
const TWO_STEP = process.env.BENCH_FLOW !== 'one-step';

function checkoutShots(dropId: string, buyers: Buyer[]): Shot[] {
  const expYear = new Date().getFullYear() + 2;
  const card = { number: '4242 4242 4242 4242', expMonth: 12, expYear, cvc: '123' };
  return buyers.map((buyer, i) => {
    const idempotencyKey = `rush-${i}-${randomBytes(6).toString('hex')}`;
    return TWO_STEP
      ? {
          path: '/checkout',
          token: buyer.token,
          body: JSON.stringify({ dropId, idempotencyKey }),
          pay: JSON.stringify({ card }),
        }
      : { path: '/checkout', token: buyer.token, body: JSON.stringify({ dropId, idempotencyKey, card }) };
  });
}

/** One reservation request per buyer, with no payment details (the Payment Element flow's first step). */
function reserveOnlyShots(dropId: string, buyers: Buyer[]): Shot[] {
  return buyers.map((buyer, i) => ({
    path: '/checkout',
    token: buyer.token,
    body: JSON.stringify({ dropId, idempotencyKey: `reserve-${i}-${randomBytes(6).toString('hex')}` }),
  }));
}

function uniquePng(): Uint8Array {
  return Buffer.concat([
    Buffer.from(
      '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
      'hex',
    ),
    randomBytes(16),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Baseline: the least a durable ownership change over HTTP costs — one transaction that updates
// one row and inserts one row, per request, through node:http and `pg`.

async function startBaselineServer(sql: pg.Pool): Promise<{ url: string; close(): Promise<void> }> {
  await sql.query(
    `CREATE TABLE bench_editions (id int PRIMARY KEY, owner text, version int NOT NULL DEFAULT 0)`,
  );
  await sql.query(
    `CREATE TABLE bench_changes (id bigserial PRIMARY KEY, edition int NOT NULL, owner text NOT NULL,
       at timestamptz NOT NULL DEFAULT now())`,
  );
  await sql.query(`INSERT INTO bench_editions (id) SELECT generate_series(0, 999)`);
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const { edition, owner } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const client = await sql.connect();
        try {
          await client.query('BEGIN');
          await client.query(`UPDATE bench_editions SET owner = $2, version = version + 1 WHERE id = $1`, [
            edition,
            owner,
          ]);
          await client.query(`INSERT INTO bench_changes (edition, owner) VALUES ($1, $2)`, [edition, owner]);
          await client.query('COMMIT');
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ status: 'ok' }));
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ type: String(error) }));
        } finally {
          client.release();
        }
      })();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function baselineShots(count: number): Shot[] {
  return Array.from({ length: count }, (_, i) => ({
    path: '/',
    body: JSON.stringify({ edition: i % 1_000, owner: `buyer-${i}` }),
  }));
}
