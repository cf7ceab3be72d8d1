// PostgreSQL refuses to run as root, so as root the embedded server runs as the `postgres`
// operating-system user (created when missing). That user must be able to reach the data folder
// and the server's binaries: every folder above them must be searchable by it. We check, and never
// change a folder outside the data folder: a shared parent like /tmp (mode 1777) keeps its mode.
import { execFile } from 'node:child_process';
import { chmod, chown, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { EmbeddedPostgresError } from './embedded-postgres.exception.js';

const run = promisify(execFile);

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  /** Primary and supplementary group ids. */
  groups: number[];
}

/** The `postgres` user, created (with its group) when it does not exist yet. */
export async function ensurePostgresUser(): Promise<OsUser> {
  const existing = await lookUpUser('postgres');
  if (existing) return existing;
  try {
    await run('groupadd', ['-f', 'postgres']);
    await run('useradd', ['-g', 'postgres', 'postgres']);
  } catch (error) {
    throw new EmbeddedPostgresError(
      `PostgreSQL cannot run as root and there is no "postgres" user to run it as; creating one failed ` +
        `(${(error as Error).message.trim()}). Create it (useradd postgres), run as an ordinary user, ` +
        `or set DATABASE_URL.`,
    );
  }
  const created = await lookUpUser('postgres');
  if (!created) throw new EmbeddedPostgresError('the "postgres" user was created but cannot be found');
  return created;
}

async function lookUpUser(name: string): Promise<OsUser | undefined> {
  try {
    const [uid, gid, groups] = await Promise.all(
      ['-u', '-g', '-G'].map((flag) => run('id', [flag, name]).then(({ stdout }) => stdout.trim())),
    );
    return { name, uid: Number(uid), gid: Number(gid), groups: groups.split(/\s+/).map(Number) };
  } catch {
    return undefined;
  }
}

/**
 * Fails with what to do when `user` cannot search some folder above `dataDir` (whose own mode we
 * may adjust: it is ours) or above the PostgreSQL binaries in `binDir`.
 */
export async function assertReachable(user: OsUser, dataDir: string, binDir: string): Promise<void> {
  const dataBlocker = await firstUnsearchable(user, dirname(dataDir));
  if (dataBlocker) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL runs as the operating-system user "${user.name}" (it refuses to run as ` +
        `root), and that user cannot reach the data folder ${dataDir}: ${dataBlocker.folder} ` +
        `(${dataBlocker.description}) does not let it through. Either allow it to pass through ` +
        `that folder:\n  chmod o+x ${dataBlocker.folder}\nor choose a data folder it can reach, e.g. ` +
        `HEIRLOOM_DATA_DIR=/var/lib/heirloom, or use your own server with DATABASE_URL.`,
    );
  }
  const binBlocker = await firstUnsearchable(user, binDir);
  if (binBlocker) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL runs as the operating-system user "${user.name}" (it refuses to run as ` +
        `root), and that user cannot reach its programs in ${binDir}: ${binBlocker.folder} ` +
        `(${binBlocker.description}) does not let it through. Either allow it to pass through that ` +
        `folder:\n  chmod o+x ${binBlocker.folder}\nor install Heirloom in a folder it can reach, or use ` +
        `your own server with DATABASE_URL.`,
    );
  }
}

/** Lets `user` pass through the data folder itself (and nothing above it). */
export async function letThrough(user: OsUser, dataDir: string): Promise<void> {
  const info = await stat(dataDir);
  if (!canSearch(user, info)) await chmod(dataDir, (info.mode & 0o7777) | 0o001);
}

/** Gives `user` a folder inside the data folder. */
export async function handOver(user: OsUser, folder: string): Promise<void> {
  await chown(folder, user.uid, user.gid);
}

/** The highest folder from `/` down to `dir` that `user` may not search, if any. */
async function firstUnsearchable(
  user: OsUser,
  dir: string,
): Promise<{ folder: string; description: string } | undefined> {
  const chain: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    chain.unshift(current);
    if (current === dirname(current)) break;
  }
  for (const folder of chain) {
    const info = await stat(folder);
    if (!canSearch(user, info)) {
      const mode = (info.mode & 0o7777).toString(8).padStart(4, '0');
      return { folder, description: `mode ${mode}, owner uid ${info.uid}, group gid ${info.gid}` };
    }
  }
  return undefined;
}

/** POSIX permission classes: the owner's bits apply to the owner, else the group's, else others'. */
function canSearch(user: OsUser, info: { uid: number; gid: number; mode: number }): boolean {
  if (info.uid === user.uid) return (info.mode & 0o100) !== 0;
  if (user.groups.includes(info.gid)) return (info.mode & 0o010) !== 0;
  return (info.mode & 0o001) !== 0;
}
