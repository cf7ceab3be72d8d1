// The operator CLI (`dist/apps/api/src/cli.js`, `npm run build` first) while the built API runs on
// the embedded default: it uses the API's PostgreSQL instead of failing on `postmaster.pid`, and
// leaves that server running.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../libs/database/src/index.js';
import { isPostmasterOf, readPostmasterLock } from '../libs/database/src/postmaster.js';
import { TEST_APP_ENV } from './support/app.js';
import { startEmbeddedApiProcess, type ApiProcess } from './support/api-process.js';
import { client } from './support/http.js';

const CLI = fileURLToPath(new URL('../dist/apps/api/src/cli.js', import.meta.url));

describe('CLI (e2e): operator commands while the API runs on embedded PostgreSQL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'heirloom-cli-'));
  const databaseDir = join(dataDir, 'postgres');
  const operator = { email: 'night-shift@example.com', password: 'operator password 1' };
  let postgresPort: number;
  let api: ApiProcess;
  let apiPostmaster: number;

  /** Runs the CLI on the API's data folder; resolves with its exit code and output. */
  const cli = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? tmpdir(),
          HEIRLOOM_DATA_DIR: dataDir,
          EMBEDDED_POSTGRES_PORT: String(postgresPort),
          ...TEST_APP_ENV,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  const expectApiStillServing = async () => {
    expect((await client(api.url)('GET', '/ready')).status).toBe(200);
    const lock = await readPostmasterLock(databaseDir);
    expect(lock?.pid).toBe(apiPostmaster); // the same server, never restarted by the CLI
    expect(isPostmasterOf(apiPostmaster, databaseDir)).toBe(true);
  };

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    postgresPort = await freePort();
    api = await startEmbeddedApiProcess(dataDir, postgresPort);
    apiPostmaster = (await readPostmasterLock(databaseDir))!.pid;
  });
  afterAll(async () => {
    await api?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrate succeeds and finds the database up to date', async () => {
    const run = await cli('migrate');
    expect(run, run.stderr).toMatchObject({ code: 0, stdout: 'database is up to date\n' });
    await expectApiStillServing();
  });

  it('create-operator makes an account that signs in through the running API', async () => {
    const run = await cli('create-operator', '--email', operator.email, '--password', operator.password);
    expect(run, run.stderr).toMatchObject({ code: 0, stdout: `${operator.email}: created\n` });
    await expectApiStillServing();

    const http = client(api.url);
    const signIn = await http('POST', '/auth/sign-in', { body: operator });
    expect(signIn.status).toBe(200);
    expect(signIn.body.account.roles).toContain('operator');
    const replay = await http('POST', '/operator/audit/replay', { token: signIn.body.token });
    expect(replay.status).toBe(200);
  });

  it('audit replays the ledger and exits 0', async () => {
    const run = await cli('audit');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true });
    await expectApiStillServing();
  });

  it('with the API stopped, runs on a server of its own and stops it afterwards', async () => {
    await api.stop();
    const run = await cli('migrate');
    expect(run, run.stderr).toMatchObject({ code: 0, stdout: 'database is up to date\n' });
    expect(await readPostmasterLock(databaseDir)).toBeUndefined();
  });
});
