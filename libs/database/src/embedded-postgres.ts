import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { EmbeddedPostgresError } from './embedded-postgres.exception.js';
import { guardPostmaster } from './postgres-guardian.js';
import { assertReachable, ensurePostgresUser, handOver, letThrough, type OsUser } from './postgres-user.js';
import {
  isPostmasterOf,
  parentPid,
  readPostmasterLock,
  removePostmasterLock,
  stopPostmaster,
  type PostmasterLock,
} from './postmaster.js';

export interface RunningPostgres {
  /** Connection URL of the server's default `postgres` database. */
  url: string;
  port: number;
  /**
   * False when this process joined the server that another live process runs on the same data
   * folder (`joinRunning`); `stop()` then leaves it running.
   */
  owned: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /**
   * When another live process (the API) already runs this data folder's server, use it rather than
   * fail: operator commands need no downtime.
   */
  joinRunning?: boolean;
}

const USER = 'postgres';
const PASSWORD = 'heirloom';
const READY_TIMEOUT_MS = 120_000;

/**
 * A real PostgreSQL whose files live under `dataDir/postgres` and survive restarts. It never
 * outlives this process (a guardian process stops it if this one dies, even by SIGKILL), and a
 * server left behind by a crashed process, or a stale `postmaster.pid`, is cleaned up first.
 * As root it runs as the `postgres` user, and fails with what to do if that user cannot reach
 * `dataDir`; it changes no permission outside `dataDir`.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  options: EmbeddedPostgresOptions = {},
): Promise<RunningPostgres> {
  await mkdir(dataDir, { recursive: true });
  const folder = await realpath(dataDir);
  const databaseDir = join(folder, 'postgres');
  const binaries = await postgresBinaries();
  const runAs = process.getuid?.() === 0 ? await ensurePostgresUser() : undefined;
  if (runAs) {
    await assertReachable(runAs, folder, dirname(binaries.postgres));
    await letThrough(runAs, folder);
  }

  const running = await runningServer(folder, databaseDir);
  if (running?.ownerPid !== undefined) {
    if (options.joinRunning) return joinServer(databaseDir, running.lock);
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL of ${folder} is in use by another running Heirloom process ` +
        `(pid ${running.ownerPid}). Stop that process first, or give this one its own ` +
        `HEIRLOOM_DATA_DIR (or a DATABASE_URL).`,
    );
  }
  if (running && !(await stopPostmaster(running.lock.pid, databaseDir))) {
    throw new EmbeddedPostgresError(
      `A PostgreSQL server left behind in ${databaseDir} (pid ${running.lock.pid}) did not stop; ` +
        `stop it (kill -QUIT ${running.lock.pid}) and start again.`,
    );
  }
  // Gone, or never really there: its pid file would make the new server refuse to start.
  await removePostmasterLock(databaseDir);

  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    await initialise(binaries.initdb, folder, databaseDir, runAs);
  }
  return launch(binaries.postgres, folder, databaseDir, port, runAs);
}

/**
 * The live server of `databaseDir`, if any, and the pid of the live process that started it (it
 * recorded itself in `postgres.owner` and is still the server's parent). A server whose starter is
 * gone is an orphan left by a crash; a `postmaster.pid` naming no live server is removed.
 */
async function runningServer(
  folder: string,
  databaseDir: string,
): Promise<{ lock: PostmasterLock; ownerPid?: number } | undefined> {
  const lock = await readPostmasterLock(databaseDir);
  if (!lock) return undefined;
  if (!isPostmasterOf(lock.pid, databaseDir)) {
    await removePostmasterLock(databaseDir);
    return undefined;
  }
  const recorded = await readOwner(folder);
  const owned = recorded !== undefined && parentPid(lock.pid) === recorded;
  return { lock, ownerPid: owned ? recorded : undefined };
}

async function readOwner(folder: string): Promise<number | undefined> {
  const pid = Number(await readFile(ownerFile(folder), 'utf8').catch(() => ''));
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

async function joinServer(databaseDir: string, lock: PostmasterLock): Promise<RunningPostgres> {
  const ready = await waitForReady(databaseDir, lock.pid, () => !isPostmasterOf(lock.pid, databaseDir));
  if (!ready) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL of ${databaseDir} (pid ${lock.pid}) is running but did not become ready.`,
    );
  }
  return { url: serverUrl(ready.port), port: ready.port, owned: false, stop: async () => undefined };
}

async function launch(
  postgresBin: string,
  folder: string,
  databaseDir: string,
  port: number,
  runAs: OsUser | undefined,
): Promise<RunningPostgres> {
  const recentLog: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim()) recentLog.push(line.trim());
    }
    recentLog.splice(0, recentLog.length - 20);
  };
  const server = spawn(
    postgresBin,
    // TCP only: the socket folder (/tmp) may not be writable by the postgres user.
    ['-D', databaseDir, '-p', String(port), '-c', 'unix_socket_directories='],
    { uid: runAs?.uid, gid: runAs?.gid, stdio: ['ignore', 'pipe', 'pipe'], env: serverEnv() },
  );
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);
  let ended = false;
  const exited = new Promise<void>((resolve) => {
    server.once('exit', () => resolve());
    server.once('error', (error) => {
      recentLog.push(error.message);
      resolve();
    });
  }).then(() => void (ended = true));
  const failure = (why: string) =>
    new EmbeddedPostgresError(
      `The embedded PostgreSQL did not start in ${databaseDir}: ${why}\n${recentLog.slice(-5).join('\n')}`,
    );
  if (server.pid === undefined) {
    await exited;
    throw failure('it could not be run');
  }

  const guardian = guardPostmaster(server.pid, databaseDir);
  // An exit without stop() (process.exit after an error): begin the shutdown at once.
  const stopOnExit = () => server.kill('SIGINT');
  process.on('exit', stopOnExit);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.off('exit', stopOnExit);
      if (!ended) server.kill('SIGINT');
      await exited;
      guardian.release();
      if ((await readOwner(folder)) === process.pid) await rm(ownerFile(folder), { force: true });
    })());

  const ready = await waitForReady(databaseDir, server.pid, () => ended);
  if (!ready) {
    await stop();
    throw failure(ended ? 'it exited' : `not ready within ${READY_TIMEOUT_MS / 1000} s`);
  }
  // Only now: a server that failed to start (another one won the data folder) must not claim it.
  await writeFile(ownerFile(folder), `${process.pid}\n`);
  return { url: serverUrl(port), port, owned: true, stop };
}

/** Waits until the lock file says server `pid` accepts connections; undefined if `gaveUp()` first. */
async function waitForReady(
  databaseDir: string,
  pid: number,
  gaveUp: () => boolean,
): Promise<PostmasterLock | undefined> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const lock = await readPostmasterLock(databaseDir);
    if (lock?.pid === pid && lock.status === 'ready') return lock;
    if (gaveUp() || Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A new cluster: UTF-8, code-point ordering and Unicode case mapping independent of the OS locales. */
async function initialise(
  initdb: string,
  folder: string,
  databaseDir: string,
  runAs: OsUser | undefined,
): Promise<void> {
  await mkdir(databaseDir, { recursive: true, mode: 0o700 });
  const passwordFile = join(folder, `.postgres-password-${process.pid}`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  try {
    if (runAs) {
      await handOver(runAs, databaseDir);
      await handOver(runAs, passwordFile);
    }
    await promisify(execFile)(
      initdb,
      [
        `--pgdata=${databaseDir}`,
        `--username=${USER}`,
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--locale=C',
        '--lc-messages=C',
      ],
      { uid: runAs?.uid, gid: runAs?.gid, env: serverEnv() },
    );
  } catch (error) {
    const output = (error as { stderr?: string }).stderr?.trim() ?? '';
    throw new EmbeddedPostgresError(
      `initdb failed in ${databaseDir}: ${(error as Error).message}\n${output}`,
    );
  } finally {
    await rm(passwordFile, { force: true });
  }
}

/** The server's programs, from the platform package that `embedded-postgres` depends on. */
async function postgresBinaries(): Promise<{ postgres: string; initdb: string }> {
  const fromHere = createRequire(import.meta.url);
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const entry = createRequire(fromHere.resolve('embedded-postgres')).resolve(
    `@embedded-postgres/${platform}-${process.arch}`,
  );
  return (await import(pathToFileURL(entry).href)) as { postgres: string; initdb: string };
}

/** The server gets none of this process's secrets, only what it needs to run. */
function serverEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', ...(process.env.TZ ? { TZ: process.env.TZ } : {}) };
}

/** Records which process started the data folder's server (see `runningServer`). */
function ownerFile(folder: string): string {
  return join(folder, 'postgres.owner');
}

function serverUrl(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
}
