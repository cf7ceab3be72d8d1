// The built API (`dist/apps/api/src/main.js`) as a real child process, for tests that need several
// API processes on one database or that kill one mid-request. Run `npm run build` first: the child
// runs the compiled code, not the sources Vitest sees.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hash as argon2Hash } from '@node-rs/argon2';
import pg from 'pg';
import { hashToken, newToken, SESSION_PREFIX } from '../../libs/identity/src/tokens.js';
import { freePort } from '../../libs/database/src/index.js';
import { TEST_APP_ENV } from './app.js';

const MAIN = fileURLToPath(new URL('../../dist/apps/api/src/main.js', import.meta.url));

// Preloaded into every child: it exits when its stdin pipe closes, i.e. when the test process is
// gone, so even a test run that is itself killed leaves no API process behind.
const WATCHDOG = `data:text/javascript,${encodeURIComponent(
  'process.stdin.on("end", () => process.exit(0)); process.stdin.resume();',
)}`;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ApiProcess {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  child: ChildProcess;
  /** Settles once the process has ended, however it ended. */
  exited: Promise<ProcessExit>;
  /** The process's recent stdout and stderr, for failure messages. */
  output(): string;
  /** Sends `signal` (default SIGKILL: no cleanup, like a power cut) and waits for the process to end. */
  kill(signal?: NodeJS.Signals): Promise<ProcessExit>;
  /**
   * Stops gracefully (SIGTERM, then SIGKILL after a grace period) and removes its data folder
   * (but not one given to `startEmbeddedApiProcess`).
   */
  stop(): Promise<void>;
}

export interface ApiProcessOptions {
  /** How long to wait for GET /ready to answer 200 (default 30 s). */
  readyTimeoutMs?: number;
}

/**
 * Starts the built API on a free loopback port against `databaseUrl` with the test run's settings
 * (deterministic ledger keys, lenient auth rate limits) plus `env`, and waits until GET /ready
 * answers 200. The child sees only these variables, not the test process's environment.
 */
export async function startApiProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
  options: ApiProcessOptions = {},
): Promise<ApiProcess> {
  return launchWithRetry(
    () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'heirloom-api-'));
      return { env: { DATABASE_URL: databaseUrl, HEIRLOOM_DATA_DIR: dataDir }, dataDir, keepDataDir: false };
    },
    env,
    options,
  );
}

/**
 * Starts the built API on the embedded default, as `npm start` does: no DATABASE_URL, its own
 * PostgreSQL in `dataDir/postgres` on `postgresPort`. The data folder is left in place, so a
 * test can start the API again on it (and must remove it itself).
 */
export async function startEmbeddedApiProcess(
  dataDir: string,
  postgresPort: number,
  env: Record<string, string> = {},
  options: ApiProcessOptions = {},
): Promise<ApiProcess> {
  return launchWithRetry(
    () => ({
      env: { HEIRLOOM_DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(postgresPort) },
      dataDir,
      keepDataDir: true,
    }),
    env,
    options,
  );
}

/** Where a child keeps its data: its database settings and data folder. */
interface Placement {
  env: Record<string, string>;
  dataDir: string;
  keepDataDir: boolean;
}

async function launchWithRetry(
  place: () => Placement,
  env: Record<string, string>,
  options: ApiProcessOptions,
): Promise<ApiProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(place(), env, options.readyTimeoutMs ?? 30_000);
    } catch (error) {
      // The free port was taken between probing and listening: try another one.
      if (!(error instanceof PortTakenError) || attempt >= 3) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function launch(
  placement: Placement,
  env: Record<string, string>,
  readyTimeoutMs: number,
): Promise<ApiProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { dataDir } = placement;
  const child = spawn(process.execPath, ['--import', WATCHDOG, MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      HOST: '127.0.0.1',
      PORT: String(port),
      ...placement.env,
      ...TEST_APP_ENV,
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
    // spawn failures (no such executable) end the process before it began
    child.once('error', () => resolve({ code: -1, signal: null }));
  });
  const cleanUp = () => rmSync(dataDir, { recursive: true, force: true });
  if (!placement.keepDataDir) void exited.then(cleanUp);

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return void (await exited);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + readyTimeoutMs;
  let ended: ProcessExit | undefined;
  void exited.then((exit) => (ended = exit));
  for (;;) {
    if (ended) {
      if (log.includes('EADDRINUSE')) throw new PortTakenError(log);
      throw new Error(`API process exited (${JSON.stringify(ended)}) before it was ready:\n${log}`);
    }
    if (Date.now() > deadline) {
      await kill('SIGKILL');
      throw new Error(`API process was not ready within ${readyTimeoutMs} ms:\n${log}`);
    }
    const ready = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, child, exited, output: () => log, kill, stop };
}

export interface SeededBuyer {
  id: string;
  token: string;
}

/**
 * `count` collector accounts with open sessions, inserted directly: hundreds of sign-ups through
 * the API would spend most of a load test in argon2. They share one real argon2id password hash.
 */
export async function seedBuyers(databaseUrl: string, count: number): Promise<SeededBuyer[]> {
  const passwordHash = await argon2Hash(`pw-${randomUUID()}`);
  const suffixes = Array.from({ length: count }, () => randomUUID().replaceAll('-', '').slice(0, 16));
  const tokens = suffixes.map(() => newToken(SESSION_PREFIX));
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('BEGIN');
    const { rows } = await db.query<{ id: string; handle: string }>(
      `INSERT INTO accounts (email, handle, password_hash)
       SELECT 'buyer-' || s || '@example.com', 'buyer_' || s, $2 FROM unnest($1::text[]) AS s
       RETURNING id, handle`,
      [suffixes, passwordHash],
    );
    const idByHandle = new Map(rows.map((row) => [row.handle, row.id]));
    const ids = suffixes.map((s) => idByHandle.get(`buyer_${s}`)!);
    await db.query(
      `INSERT INTO sessions (account_id, token_hash, expires_at)
       SELECT a, t, now() + interval '1 day' FROM unnest($1::uuid[], $2::bytea[]) AS x(a, t)`,
      [ids, tokens.map(hashToken)],
    );
    await db.query('COMMIT');
    return ids.map((id, i) => ({ id, token: tokens[i] }));
  } finally {
    await db.end();
  }
}
