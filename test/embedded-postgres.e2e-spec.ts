// The embedded PostgreSQL's lifecycle with the real, built API (`npm run build` first): it never
// outlives the API, a crash leaves nothing that blocks the next start, and as root it changes no
// folder's permissions outside the data folder.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { EmbeddedPostgresError, freePort, startEmbeddedPostgres } from '../libs/database/src/index.js';
import { GUARDIAN_MARKER } from '../libs/database/src/postgres-guardian.js';
import { isPostmasterOf, readPostmasterLock } from '../libs/database/src/postmaster.js';
import { sql } from './support/app.js';
import { startApiProcess, startEmbeddedApiProcess, type ApiProcess } from './support/api-process.js';
import { client } from './support/http.js';

const asRoot = process.getuid?.() === 0;
const modeOf = (path: string) => statSync(path).mode & 0o7777;

/** Polls `probe` until it returns true, at most `ms`. */
async function within(ms: number, what: string, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The guardian process watching postmaster `pid`, found by its command line. */
function guardianOf(pid: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = args.indexOf(GUARDIAN_MARKER);
      if (at >= 0 && args[at + 1] === String(pid)) return Number(entry);
    } catch {
      // ended while we looked
    }
  }
  return undefined;
}

/** The start-up banner's lines; it must appear exactly once, each line plain text, not JSON. */
function banner(output: string): string[] {
  const parts = output.split('\nHeirloom is running\n');
  expect(parts).toHaveLength(2);
  return parts[1].split('\n\n')[0].split('\n');
}

describe('embedded PostgreSQL (e2e): the API on the embedded default', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'heirloom-embedded-'));
  const databaseDir = join(dataDir, 'postgres');
  const credentials = { email: 'survivor@example.com', password: 'correct horse battery' };
  let postgresPort: number;
  let api: ApiProcess | undefined;
  const start = async () => (api = await startEmbeddedApiProcess(dataDir, postgresPort));
  const postmaster = async () => {
    const lock = await readPostmasterLock(databaseDir);
    expect(lock && isPostmasterOf(lock.pid, databaseDir)).toBe(true);
    return lock!.pid;
  };

  afterAll(async () => {
    await api?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts without touching the mode of the temp folder above its data folder', async () => {
    postgresPort = await freePort();
    const tmpMode = modeOf(tmpdir());
    await start();
    expect(modeOf(tmpdir())).toBe(tmpMode);
    expect(banner(api!.output())).toEqual([
      `  URL          ${api!.url}`,
      `  API docs     ${api!.url}/docs`,
      `  data folder  ${dataDir}`,
      `  database     embedded PostgreSQL on port ${postgresPort} (${databaseDir})`,
      `  payments     sandbox card rail (test cards, no real money)`,
      `  content      local store (${join(dataDir, 'content')})`,
    ]);
    const signUp = await client(api!.url)('POST', '/auth/sign-up', {
      body: { ...credentials, handle: 'survivor' },
    });
    expect(signUp.status).toBe(201);
  });

  it('stops its PostgreSQL when the API is killed (SIGKILL), and starts again on the same folder', async () => {
    const pid = await postmaster();
    expect((await api!.kill('SIGKILL')).signal).toBe('SIGKILL');
    await within(10_000, 'the orphaned PostgreSQL stops', () => !isPostmasterOf(pid, databaseDir));

    await start();
    const signIn = await client(api!.url)('POST', '/auth/sign-in', { body: credentials });
    expect(signIn.status).toBe(200); // the data survived
  });

  it('stops a server left running by a crash (its guardian killed too) and starts fresh', async () => {
    const orphan = await postmaster();
    const guardian = guardianOf(orphan);
    expect(guardian).toBeDefined();
    process.kill(guardian!, 'SIGKILL');
    await api!.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(isPostmasterOf(orphan, databaseDir)).toBe(true); // left behind, holding postmaster.pid

    await start();
    expect(isPostmasterOf(orphan, databaseDir)).toBe(false);
    expect(await postmaster()).not.toBe(orphan);
    expect((await client(api!.url)('POST', '/auth/sign-in', { body: credentials })).status).toBe(200);
  });

  it('starts over a stale postmaster.pid whose process is gone', async () => {
    const pid = await postmaster();
    await api!.stop();
    expect(api!.child.exitCode).toBe(0);
    expect(isPostmasterOf(pid, databaseDir)).toBe(false);
    const deadPid = spawnSync('true').pid!;
    writeFileSync(
      join(databaseDir, 'postmaster.pid'),
      `${deadPid}\n${databaseDir}\n1700000000\n${postgresPort}\n\n127.0.0.1\n  5432001         0\nready   \n`,
    );

    await start();
    expect((await client(api!.url)('GET', '/ready')).status).toBe(200);
    expect(await postmaster()).not.toBe(deadPid);
  });
});

describe('embedded PostgreSQL: stale locks, a second user of a data folder, permissions', () => {
  const folders: string[] = [];
  const folder = (mode?: number) => {
    const made = mkdtempSync(join(tmpdir(), 'heirloom-embedded-'));
    if (mode !== undefined) chmodSync(made, mode);
    folders.push(made);
    return made;
  };
  afterAll(() => folders.forEach((made) => rmSync(made, { recursive: true, force: true })));

  let dataDir: string; // initialised by the first test, reused by the second

  it('replaces a postmaster.pid whose pid now belongs to another process', async () => {
    dataDir = folder();
    const port = await freePort();
    await (await startEmbeddedPostgres(dataDir, port)).stop();
    // This test process is alive and not a postmaster: PostgreSQL alone would refuse to start.
    writeFileSync(
      join(dataDir, 'postgres', 'postmaster.pid'),
      `${process.pid}\n${join(dataDir, 'postgres')}\n`,
    );
    const server = await startEmbeddedPostgres(dataDir, port);
    try {
      expect(await sql(server.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await server.stop();
    }
  });

  it('refuses a second owner of a running server, and lets a joiner use it without stopping it', async () => {
    const owner = await startEmbeddedPostgres(dataDir, await freePort());
    try {
      await expect(startEmbeddedPostgres(dataDir, await freePort())).rejects.toThrow(
        /in use by another running Heirloom process/,
      );
      const joined = await startEmbeddedPostgres(dataDir, await freePort(), { joinRunning: true });
      expect(joined).toMatchObject({ owned: false, port: owner.port, url: owner.url });
      await joined.stop();
      expect(await sql(owner.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await owner.stop();
    }
  });

  it.runIf(asRoot)('leaves the modes of folders above the data folder as they were (root)', async () => {
    const parent = folder(0o711); // searchable by the postgres user, but not 0755
    const dataDir = join(parent, 'data');
    const server = await startEmbeddedPostgres(dataDir, await freePort());
    await server.stop();
    expect(modeOf(parent)).toBe(0o711);
  });

  it.runIf(asRoot)(
    'fails, saying what to do, when the postgres user cannot reach the data folder',
    async () => {
      const blocked = folder(0o700);
      const dataDir = join(blocked, 'nested', 'data');
      mkdirSync(dataDir, { recursive: true });
      const started = startEmbeddedApiProcess(dataDir, await freePort());
      await expect(started).rejects.toThrow(`chmod o+x ${blocked}\n`);
      await expect(started).rejects.toThrow(/operating-system user "postgres".*cannot reach the data folder/);
      await expect(startEmbeddedPostgres(dataDir, 1)).rejects.toBeInstanceOf(EmbeddedPostgresError);
      expect(modeOf(blocked)).toBe(0o700);
      expect(readdirSync(dataDir)).toEqual([]); // nothing created or started
    },
  );
});

describe('start-up banner (e2e) on DATABASE_URL', () => {
  it('names the database server without its credentials', async () => {
    const databaseUrl = new URL(inject('databaseUrl'));
    const api = await startApiProcess(databaseUrl.href);
    try {
      const lines = banner(api.output());
      const shown = new URL(databaseUrl.href);
      shown.username = '';
      shown.password = '';
      expect(lines).toContain(`  database     DATABASE_URL (${shown.href})`);
      expect(lines.join('\n')).not.toContain('@'); // no user name or password
    } finally {
      await api.stop();
    }
  });
});
