import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/** Marks the guardian's command line, so it can be told apart in `ps` (and found by tests). */
export const GUARDIAN_MARKER = 'heirloom-postgres-guardian';

// Runs as `node -e GUARDIAN marker pid databaseDir`. Its stdin is a pipe from the process that
// started the server; the pipe ends only when that process is gone, however it ended (SIGKILL
// included). Then it stops the server with a fast shutdown (SIGINT to the postmaster), and with an
// immediate one (SIGQUIT) if that takes more than 10 s. It checks before each signal that the pid
// is still that data directory's postmaster, so it never signals a process that reused the pid.
const GUARDIAN = `
const { readFileSync } = require('node:fs');
const { execFileSync } = require('node:child_process');
const pid = Number(process.argv[2]);
const dir = process.argv[3];
function args() {
  try { return readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').filter(Boolean); } catch {}
  try { return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim().split(/\\s+/); } catch {}
  return [];
}
function running() {
  const a = args();
  const i = a.indexOf('-D');
  return /(^|\\/)postgres$/.test(a[0] || '') && i >= 0 && a[i + 1] === dir;
}
function signal(name) { if (running()) try { process.kill(pid, name); } catch {} }
let stopping = false;
function stopServer() {
  if (stopping) return;
  stopping = true;
  const started = Date.now();
  let quit = false;
  signal('SIGINT');
  setInterval(() => {
    if (!running()) process.exit(0);
    if (!quit && Date.now() - started > 10000) { quit = true; signal('SIGQUIT'); }
    if (Date.now() - started > 30000) process.exit(1);
  }, 50);
}
process.stdin.on('end', stopServer);
process.stdin.on('error', stopServer);
process.stdin.resume();
`;

export interface Guardian {
  /** Ends the guardian: the server was stopped by its owner. */
  release(): void;
}

/**
 * Starts a tiny watcher process that stops the PostgreSQL server `pid` of `databaseDir` as soon as
 * this process is gone, so an embedded server never outlives the process that started it. It runs
 * in its own session: a signal to this process's group (Ctrl-C, a closed terminal) does not take it
 * down before it has done its job.
 */
export function guardPostmaster(pid: number, databaseDir: string): Guardian {
  const guardian = spawn(process.execPath, ['-e', GUARDIAN, GUARDIAN_MARKER, String(pid), databaseDir], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
    env: { PATH: process.env.PATH ?? '' },
  });
  guardian.on('error', () => undefined); // no node to run it: the owner's own stop still works
  guardian.stdin?.on('error', () => undefined);
  // Neither the guardian nor its pipe may keep this process alive.
  guardian.unref();
  (guardian.stdin as Socket | null)?.unref();
  return {
    release: () => {
      if (guardian.exitCode === null && guardian.signalCode === null) guardian.kill('SIGTERM');
    },
  };
}
