/**
 * CPU cost per request of each hot path, split between the API process (Node) and PostgreSQL (the
 * backends of that process's pool), for the scale plan (docs/scale-plan.md). One API process on a
 * fresh database; HOT_PATH_CLIENTS concurrent clients (default 8) send HOT_PATH_READS (default 2000)
 * requests per read path and HOT_PATH_WRITES (default 500) per write path. CPU is read from
 * /proc (utime + stime), so the database must run on this machine (the embedded one, or a local
 * DATABASE_URL). Baseline in the same run: GET /health, which touches neither domain code nor the
 * database. Figures: requests/s, API ms/request, PostgreSQL ms/request, and total CPU ms/request
 * with its ratio to the baseline's. HOT_PATH_READ_ROUTING=1 turns read routing on (see below).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import {
  benchApp,
  call,
  createBenchCollection,
  report,
  runBench,
  signUpCreator,
  signUpUser,
  startApiProcesses,
  uploadPng,
} from './support.js';

const CLIENTS = Number(process.env.HOT_PATH_CLIENTS ?? 8);
const READS = Number(process.env.HOT_PATH_READS ?? 2000);
const WRITES = Number(process.env.HOT_PATH_WRITES ?? 500);
const TICK_MS = 1000 / 100; // USER_HZ on Linux

/** CPU milliseconds a process has used (its /proc stat's utime + stime), 0 once it is gone. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

interface Phase {
  name: string;
  perSecond: number;
  apiMs: number;
  databaseMs: number;
}

async function run(databaseUrl: string): Promise<void> {
  // Set-up through an in-process app (it can grant the creator role), then closed.
  const setup = await benchApp(databaseUrl, { LEDGER_SEQUENCE_INTERVAL_MS: '200' });
  const creator = await signUpCreator(setup.app, setup.url);
  await setup.app.close();

  // HOT_PATH_READ_ROUTING=1: the API reads through a ReadRouter whose "replica" is the primary itself
  // (always current), so the figures show what routing and read fences cost on each path.
  const routing = process.env.HOT_PATH_READ_ROUTING === '1';
  const processes = await startApiProcesses(
    databaseUrl,
    1,
    routing ? { DATABASE_READ_URL: databaseUrl } : {},
  );
  const url = processes.urls[0];
  const apiPid = processes.pids[0];
  const monitor = new pg.Client({ connectionString: databaseUrl });
  await monitor.connect();
  const backends = async () =>
    (
      await monitor.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      )
    ).rows.map((row) => row.pid);

  const buyers = await Promise.all(Array.from({ length: 20 }, () => signUpUser({ get: () => never() }, url)));
  const image = await uploadPng(url, creator.token);
  const collectionId = await createBenchCollection(url, creator.token);
  const mint = async (editions: number) => {
    const metadata = {
      name: `Hot ${randomUUID().slice(0, 6)}`,
      description: 'A bench piece',
      image: `ipfs://${image}`,
    };
    const body = { idempotencyKey: `bench-${randomUUID()}`, items: [{ editions, metadata }] };
    return (await call(url, 'POST', `/collections/${collectionId}/mint`, body, creator.token))
      .tokenIds as string[];
  };
  const forSale = await mint(WRITES);
  const forGifts = await mint(WRITES);
  const listings: string[] = [];
  for (const tokenId of forSale) {
    listings.push(
      (await call(url, 'POST', '/listings', { tokenId, priceMinor: 1999, currency: 'USD' }, creator.token))
        .listingId,
    );
  }
  const pageIds = forSale.slice(0, 100);

  const phases: Phase[] = [];
  const measure = async (name: string, count: number, one: (i: number) => Promise<void>) => {
    const before = new Map((await backends()).map((pid) => [pid, cpuMs(pid)]));
    const apiBefore = cpuMs(apiPid);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = next++; i < count; i = next++) await one(i);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const apiMs = cpuMs(apiPid) - apiBefore;
    let databaseMs = 0;
    for (const pid of await backends()) databaseMs += cpuMs(pid) - (before.get(pid) ?? 0);
    const phase = { name, perSecond: count / seconds, apiMs: apiMs / count, databaseMs: databaseMs / count };
    phases.push(phase);
    return phase;
  };

  const baseline = await measure('GET /health', READS, async () => {
    await fetch(`${url}/health`).then((response) => response.arrayBuffer());
  });
  await measure('catalogue: GET /catalogue/tokens (20 per page, one collection)', READS, async () => {
    await call(url, 'GET', `/catalogue/tokens?collection=${collectionId}&limit=20`);
  });
  await measure('token page: GET /catalogue/tokens/:id', READS, async (i) => {
    await call(url, 'GET', `/catalogue/tokens/${pageIds[i % pageIds.length]}`);
  });
  await measure('checkout: POST /checkout (listing, sandbox card, paid)', WRITES, async (i) => {
    const body = {
      listingId: listings[i],
      idempotencyKey: `bench-co-${randomUUID()}`,
      card: { number: '4242424242424242', expMonth: 12, expYear: new Date().getFullYear() + 2, cvc: '123' },
    };
    await call(url, 'POST', '/checkout', body, buyers[i % buyers.length].token);
  });
  await measure('gift: POST /tokens/:id/gift', WRITES, async (i) => {
    const body = { toHandle: buyers[i % buyers.length].handle, idempotencyKey: `bench-gift-${randomUUID()}` };
    await call(url, 'POST', `/tokens/${forGifts[i]}/gift`, body, creator.token);
  });
  await measure('mint: POST /collections/:id/mint (1 edition)', WRITES, async () => {
    await mint(1);
  });

  console.log(
    `${CLIENTS} clients, one API process${routing ? ', read routing on (replica = the primary)' : ''}; ` +
      'CPU per request (ms): API process | PostgreSQL',
  );
  for (const phase of phases) {
    console.log(
      `${phase.name}: ${phase.perSecond.toFixed(0)} req/s | API ${phase.apiMs.toFixed(2)} ms | ` +
        `PostgreSQL ${phase.databaseMs.toFixed(2)} ms`,
    );
  }
  for (const phase of phases.slice(1)) {
    report(
      `${phase.name} total CPU`,
      phase.apiMs + phase.databaseMs,
      'ms/request',
      baseline.apiMs + baseline.databaseMs,
    );
  }
  await monitor.end();
  await processes.stop();
}

function never(): never {
  throw new Error('roles are granted only through the in-process set-up app');
}

runBench(run);
