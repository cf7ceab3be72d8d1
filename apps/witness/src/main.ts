import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateCosignatureKey } from '#ledger-core';
import { startWitnessServer, Witness, WitnessStateStore } from '#witness';

/**
 * A C2SP tlog-witness run by another organisation (regulator, auditor): its own key, its own state.
 * Logs push checkpoints to `POST <url>/add-checkpoint`; it answers with cosignature/v1 lines.
 *   WITNESS_LOG_KEYS      verifier keys of the logs it witnesses (space or comma separated; the
 *                         operator's is at GET /ledger/keys); WITNESS_OPERATOR_KEY is read as one more
 *   WITNESS_SIGNER_KEY    this witness's signer key; else one is generated into WITNESS_DATA_DIR
 *   WITNESS_NAME          key name when generating (default witness.local)
 *   WITNESS_DATA_DIR      state and key folder (default ./.witness); one witness process per folder
 *   WITNESS_HOST, WITNESS_PORT   where to listen (default 127.0.0.1:7380; port 0 picks a free one)
 *   WITNESS_PREFIX        the submission prefix (default none: POST /add-checkpoint)
 */
async function main(): Promise<number> {
  const env = process.env;
  const dataDir = resolve(env.WITNESS_DATA_DIR ?? '.witness');
  const logKeys = [env.WITNESS_LOG_KEYS ?? '', env.WITNESS_OPERATOR_KEY ?? '']
    .flatMap((value) => value.split(/[\s,]+/))
    .filter(Boolean);
  if (logKeys.length === 0) {
    log('fatal', 'WITNESS_LOG_KEYS is required: the verifier key of each log (GET /ledger/keys on its API)');
    return 2;
  }
  const port = Number(env.WITNESS_PORT ?? 7380);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    log('fatal', `WITNESS_PORT must be a port number (got "${env.WITNESS_PORT}")`);
    return 2;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const release = lockDataDir(dataDir);
  if (!release) return 2;
  const signerKey = env.WITNESS_SIGNER_KEY ?? loadOrCreateKey(dataDir, env.WITNESS_NAME ?? 'witness.local');
  const witness = new Witness({
    signerKey,
    logKeys,
    store: await WitnessStateStore.open(join(dataDir, 'state.json')),
    // Refusals may be evidence of a log rewriting its history: loud, with everything we were sent.
    onRefusal: (refusal) =>
      log(refusal.status === 404 || refusal.status === 400 ? 'warn' : 'error', 'refused', refusal),
  });
  const { server, url } = await startWitnessServer(witness, {
    host: env.WITNESS_HOST ?? '127.0.0.1',
    port,
    prefix: (env.WITNESS_PREFIX ?? '').replace(/\/+$/, ''),
  });
  log('info', 'witness listening', {
    url,
    ...witness.identity,
    logs: logKeys.map((key) => key.split('+')[0]),
  });
  await new Promise<void>((done) => {
    const stop = () => server.close(() => done());
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  release();
  return 0;
}

function log(level: string, msg: string, fields: object = {}): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  if (level === 'info') console.log(line);
  else console.error(line);
}

/** One witness per data folder: two would each keep their own idea of the latest checkpoint. */
function lockDataDir(dataDir: string): (() => void) | undefined {
  const file = join(dataDir, 'witness.pid');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8'));
    if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) {
      log('fatal', `another witness (pid ${pid}) runs on ${dataDir}`);
      return undefined;
    }
  }
  writeFileSync(file, `${process.pid}\n`);
  return () => unlinkSync(file);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function loadOrCreateKey(dataDir: string, name: string): string {
  const file = join(dataDir, 'witness-signer.key');
  if (!existsSync(file)) {
    const { signerKey, verifierKey } = generateCosignatureKey(name);
    writeFileSync(file, signerKey + '\n', { mode: 0o600 });
    log('info', 'generated a witness key; give log operators this verifier key', { verifierKey });
  }
  return readFileSync(file, 'utf8').trim();
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log('fatal', 'the witness failed', { error: String(error) });
    process.exit(1);
  },
);
