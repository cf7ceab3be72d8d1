// What a PostgreSQL data directory's `postmaster.pid` says, and whether the process it names is
// really that directory's server: a pid file can outlive its server (power cut, SIGKILL) and its
// pid can since belong to anything else.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';

export interface PostmasterLock {
  pid: number;
  port: number;
  /** `starting`, `ready`, `stopping` or `standby` (PostgreSQL 10+). */
  status: string;
}

const hasProcfs = existsSync('/proc/self/cmdline');

/** The lock file of `databaseDir`'s server, if there is one (it may be stale). */
export async function readPostmasterLock(databaseDir: string): Promise<PostmasterLock | undefined> {
  const text = await readFile(join(databaseDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return { pid: 0, port: 0, status: 'unreadable' };
  return { pid, port: Number(lines[3]), status: (lines[7] ?? '').trim() };
}

/** Removes `databaseDir`'s lock file. */
export async function removePostmasterLock(databaseDir: string): Promise<void> {
  await rm(join(databaseDir, 'postmaster.pid'), { force: true });
}

/**
 * True when `pid` is a running `postgres -D databaseDir`. A zombie has an empty command line, so a
 * server that has exited but was not yet reaped does not count.
 */
export function isPostmasterOf(pid: number, databaseDir: string): boolean {
  const args = processArgs(pid);
  if (!args || basename(args[0] ?? '') !== 'postgres') return false;
  const dirFlag = args.indexOf('-D');
  return dirFlag >= 0 && args[dirFlag + 1] === databaseDir;
}

/** The parent of `pid`, or undefined when it is gone. */
export function parentPid(pid: number): number | undefined {
  if (hasProcfs) {
    // "pid (comm) state ppid …"; comm may contain spaces and parentheses, so read after the last ")".
    const stat = readText(`/proc/${pid}/stat`);
    const ppid = Number(stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isSafeInteger(ppid) && ppid > 0 ? ppid : undefined;
  }
  const ppid = Number(ps(pid, 'ppid='));
  return Number.isSafeInteger(ppid) && ppid > 0 ? ppid : undefined;
}

/**
 * Stops `databaseDir`'s server `pid` (fast shutdown: open sessions are rolled back, data is safe),
 * then, if it is still there after `graceMs`, with an immediate shutdown (crash recovery on the next
 * start). Resolves true once it is gone.
 */
export async function stopPostmaster(pid: number, databaseDir: string, graceMs = 10_000): Promise<boolean> {
  for (const [signal, waitMs] of [
    ['SIGINT', graceMs],
    ['SIGQUIT', 5_000],
  ] as const) {
    if (!isPostmasterOf(pid, databaseDir)) return true;
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
    if (await waitUntilGone(pid, databaseDir, waitMs)) return true;
  }
  return false;
}

async function waitUntilGone(pid: number, databaseDir: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isPostmasterOf(pid, databaseDir)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

function processArgs(pid: number): string[] | undefined {
  if (hasProcfs) return readText(`/proc/${pid}/cmdline`)?.split('\0').filter(Boolean);
  return ps(pid, 'args=')?.split(/\s+/);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `ps` where there is no /proc (macOS). */
function ps(pid: number, field: string): string | undefined {
  try {
    return execFileSync('ps', ['-o', field, '-p', String(pid)], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
