import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateKey } from '#ledger-core';
import { Witness } from '#witness';

/**
 * A witness run by another organisation (regulator, auditor): its own key, its own state file.
 *   WITNESS_LOG_URL       operator API base URL (default http://127.0.0.1:3000)
 *   WITNESS_OPERATOR_KEY  the operator's verifier key (required)
 *   WITNESS_SIGNER_KEY    this witness's signer key; else one is generated into WITNESS_DATA_DIR
 *   WITNESS_NAME          key name when generating (default witness.local)
 *   WITNESS_DATA_DIR      state and key folder (default ./.witness)
 *   WITNESS_INTERVAL_MS   polling interval (default 5000); --once for a single round
 */
async function main(): Promise<number> {
  const { values } = parseArgs({ options: { once: { type: 'boolean', default: false } } });
  const env = process.env;
  const dataDir = resolve(env.WITNESS_DATA_DIR ?? '.witness');
  const operatorKey = env.WITNESS_OPERATOR_KEY;
  if (!operatorKey) {
    console.error(
      'WITNESS_OPERATOR_KEY is required: the operator verifier key (GET /ledger/keys on the operator API)',
    );
    return 2;
  }
  const signerKey = env.WITNESS_SIGNER_KEY ?? loadOrCreateKey(dataDir, env.WITNESS_NAME ?? 'witness.local');
  const witness = new Witness({
    logUrl: env.WITNESS_LOG_URL ?? 'http://127.0.0.1:3000',
    operatorKey,
    signerKey,
    stateFile: join(dataDir, 'state.json'),
  });
  const interval = Number(env.WITNESS_INTERVAL_MS ?? 5000);
  for (;;) {
    let refused = false;
    try {
      const outcome = await witness.witnessOnce();
      refused = outcome.status === 'refused';
      const line = JSON.stringify({
        time: new Date().toISOString(),
        level: refused ? 'fatal' : 'info',
        ...outcome,
      });
      if (refused) console.error(`WITNESS REFUSED THE CHECKPOINT — the log may have been rewritten\n${line}`);
      else console.log(line);
    } catch (error) {
      console.error(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: String(error) }));
    }
    if (values.once) return refused ? 1 : 0;
    await new Promise((r) => setTimeout(r, interval));
  }
}

function loadOrCreateKey(dataDir: string, name: string): string {
  const file = join(dataDir, 'witness-signer.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    const { signerKey, verifierKey } = generateKey(name);
    writeFileSync(file, signerKey + '\n', { mode: 0o600 });
    console.log(`generated witness key; give the operator this verifier key: ${verifierKey}`);
  }
  return readFileSync(file, 'utf8').trim();
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
