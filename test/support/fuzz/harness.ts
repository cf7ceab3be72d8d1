// The fuzz run's API: a real child process on its own scratch database and data folder, restarted
// if a request kills it, and the checks made around every request (status, liveness, writes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startApiProcess, type ApiProcess } from '../api-process.js';
import {
  differences,
  documentedWrites,
  fingerprinter,
  type Fingerprint,
  type Fingerprinter,
} from './fingerprint.js';
import { describe, send, type FuzzRequest, type FuzzResponse } from './request.js';
import { buildWorld, FUZZ_OPERATOR, type World } from './world.js';

export interface Harness {
  world: World;
  url(): string;
  /** Sends one request and checks it; throws a readable error for a violated property. */
  check(request: FuzzRequest): Promise<void>;
  /** The current fingerprint of the database and content store (see fingerprint.ts). */
  fingerprint(): Promise<Fingerprint>;
  /** The requests that killed the process (it was restarted after each). */
  crashes: string[];
  /** How often each status answered each operation (`GET /x` -> status -> count). */
  statuses: Map<string, Map<number, number>>;
  stop(): Promise<void>;
}

const BASE_ENV = {
  HEIRLOOM_OPERATOR_EMAIL: FUZZ_OPERATOR.email,
  HEIRLOOM_OPERATOR_PASSWORD: FUZZ_OPERATOR.password,
  SANDBOX_DISPUTE_DELAY_MS: '86400000',
};

/**
 * Builds the world on an API with its jobs running (so the ledger has checkpoints and proofs to
 * ask for), then restarts it with jobs off: with nothing ticking, the database changes only when
 * a request changes it, so a fingerprint around a request is exact.
 */
export async function startHarness(databaseUrl: string): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'heirloom-fuzz-'));
  try {
    return await start(databaseUrl, dataDir);
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

async function start(databaseUrl: string, dataDir: string): Promise<Harness> {
  const env = { ...BASE_ENV, HEIRLOOM_DATA_DIR: dataDir };
  const setup = await startApiProcess(databaseUrl, env);
  const world = await buildWorld(setup.url, () => ledgerSettled(databaseUrl))
    .catch((error: Error) => {
      throw new Error(`${error.message}\n--- process output ---\n${setup.output().slice(-4000)}`);
    })
    .finally(() => setup.stop());

  const fuzzEnv = { ...env, HEIRLOOM_DISABLE_JOBS: '1' };
  let api: ApiProcess = await startApiProcess(databaseUrl, fuzzEnv);
  const prints: Fingerprinter = await fingerprinter(databaseUrl, join(dataDir, 'content'));
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  let current: Fingerprint = await prints.take();
  /** The last few requests, one line each: a failure may be the doing of one before it. */
  const recent: string[] = [];
  const remember = (request: FuzzRequest, status: number | string) => {
    recent.push(`${status} ${describe(request).split('\n')[0].slice(0, 200)}`);
    if (recent.length > 4) recent.shift();
  };
  const before = () =>
    `requests before it (oldest first):\n  ${recent.slice(0, -1).join('\n  ') || '(none)'}`;
  const crashes: string[] = [];
  const statuses = new Map<string, Map<number, number>>();
  const count = (request: FuzzRequest, status: number) => {
    const key = `${request.method} ${request.operation}`;
    const counts = statuses.get(key) ?? new Map<number, number>();
    counts.set(status, (counts.get(status) ?? 0) + 1);
    statuses.set(key, counts);
  };

  /** Undoes what an accepted request did to the fuzzer's own credentials and roles. */
  const restorePrincipals = async () => {
    const principals = Object.values(world.principals);
    await db.query(
      `UPDATE sessions SET revoked_at = NULL WHERE id = ANY($1::uuid[]) AND revoked_at IS NOT NULL`,
      [principals.filter((p) => p.via === 'session').map((p) => p.credentialId)],
    );
    await db.query(
      `UPDATE api_keys SET revoked_at = NULL WHERE id = ANY($1::uuid[]) AND revoked_at IS NOT NULL`,
      [principals.filter((p) => p.via === 'api-key').map((p) => p.credentialId)],
    );
    // An operator route may have frozen one of them: every later write would only be refused.
    await db.query(
      `UPDATE accounts SET frozen_at = NULL, frozen_reason = NULL WHERE id = ANY($1::uuid[]) AND frozen_at IS NOT NULL`,
      [principals.map((p) => p.accountId)],
    );
    for (const principal of principals) {
      await db.query(
        `UPDATE accounts SET roles = $2, creator_status = CASE WHEN 'creator' = ANY($2) THEN 'approved' ELSE creator_status END
         WHERE id = $1 AND roles <> $2`,
        [principal.accountId, principal.roles],
      );
    }
  };

  const check = async (request: FuzzRequest) => {
    let response: FuzzResponse;
    try {
      response = await send(api.url, request);
    } catch (error) {
      remember(request, 'no answer');
      // The exit event may trail the failed fetch a little.
      await Promise.race([api.exited, new Promise((resolve) => setTimeout(resolve, 1000))]);
      const dead = api.child.exitCode !== null || api.child.signalCode !== null;
      const output = api.output().slice(-3000);
      if (dead) {
        crashes.push(describe(request));
        api = await startApiProcess(databaseUrl, fuzzEnv);
        current = await prints.take();
      }
      const what = dead
        ? 'the API process died'
        : (error as Error).name === 'TimeoutError'
          ? 'no answer within 15 s'
          : `no answer (${String((error as Error).cause ?? error)})`;
      throw new Error(`${what} on\n${describe(request)}\n${before()}\n--- process output ---\n${output}`);
    }
    count(request, response.status);
    remember(request, response.status);
    if (process.env.FUZZ_LOG) log(request, response);
    if (response.status < 400) {
      await restorePrincipals();
      current = await prints.take();
      return;
    }
    const after = await prints.take();
    const changed = differences(current, after, documentedWrites(response));
    current = after;
    const answered = `${response.status} ${response.contentType} ${response.text.slice(0, 500)}`;
    const wrote = changed.length ? `it wrote:\n  ${changed.join('\n  ')}\n` : '';
    if (response.status >= 500 || wrote) {
      const what = response.status >= 500 ? 'answered' : 'a rejected request wrote; it answered';
      throw new Error(`${what} ${answered}\n${wrote}on\n${describe(request)}\n${before()}`);
    }
  };

  return {
    world,
    url: () => api.url,
    check,
    crashes,
    statuses,
    fingerprint: () => prints.take(),
    async stop() {
      await api.stop();
      await prints.close();
      await db.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until the newest checkpoint covers every ledger entry written so far. */
async function ledgerSettled(databaseUrl: string): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    for (let waited = 0; waited < 30_000; waited += 100) {
      const [row] = (
        await db.query<{ entries: number; checkpoint: number }>(
          `SELECT (SELECT count(*) FROM ledger_entries)::int AS entries,
                  (SELECT coalesce(max(size), 0) FROM ledger_checkpoints)::int AS checkpoint`,
        )
      ).rows;
      if (row.entries > 0 && row.checkpoint >= row.entries) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the ledger did not integrate the world within 30 s');
  } finally {
    await db.end();
  }
}

function log(request: FuzzRequest, response: FuzzResponse): void {
  const type = request.headers['content-type'] ?? '-';
  const excerpt = response.text.slice(0, Number(process.env.FUZZ_LOG) || 160);
  console.log(
    `${response.status} ${request.method} ${request.url.slice(0, 100)} [${request.role}] [${type}] [${request.body.kind}] ${excerpt}`,
  );
}
