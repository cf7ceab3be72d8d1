import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeQuorum,
  parseCosignatureVerifierKey,
  parseTlogPolicy,
} from '../libs/ledger/src/core/index.js';
import { DataSource } from 'typeorm';
import { IntegrityAlerts } from '../libs/ledger/src/index.js';
import { OwnershipService } from '../libs/minting/src/index.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { createCollection, createUser, mintEditions, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';
import { settleCheckpoint } from './support/ledger.js';
import { operatorKeys, TEST_ORIGIN, witnessKeys } from './support/keys.js';

const run = promisify(execFile);
const stripWitness = (text: string) => text.replace(/— witness\.test [^\n]*\n/, '');
/** The witness's key as the log allow-lists it: cosignature/v1 (type 0x04). */
const witnessCosignatureKey = parseCosignatureVerifierKey(witnessKeys.verifierKey).verifierKey;
const VERIFY = 'dist/apps/verify/src/main.js';

/** Runs heirloom-verify; resolves with its exit code and output whatever the code. */
async function verify(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [VERIFY, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('ledger certificates (e2e): the verifier trusts only its user', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let tokenIds: string[];
  const dir = mkdtempSync(join(tmpdir(), 'heirloom-certs-'));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  const settle = () => settleCheckpoint(testApp);

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    testApp = await startTestApp({ CHECKPOINT_INTERVAL_MS: '100000' }, scratch.url);
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    const collection = await createCollection(api, creator);
    tokenIds = (await mintEditions(api, creator, collection.id, 2)).tokenIds;
    await settle();
  });
  afterAll(async () => {
    await testApp.close();
    await scratch.drop();
  });

  it('publishes its recommended policy as a C2SP tlog-policy file', async () => {
    const response = await api('GET', '/ledger/policy');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = response.body as string;
    expect(text).toContain(`\nlog ${operatorKeys.verifierKey}\n`);
    expect(text).toContain(`\nwitness witness.test ${witnessCosignatureKey}\n`);
    expect(text).toMatch(/\ngroup witnesses all witness\.test\nquorum witnesses\n$/);
    const policy = parseTlogPolicy(text);
    expect(policy.logs.map((log) => log.origin)).toEqual([TEST_ORIGIN]);
    expect(describeQuorum(policy.quorum)).toBe('witness.test');
  });

  it("the README's command refuses a certificate stripped of its witness signature that lowers its own quorum to 0", async () => {
    const policyFile = file('heirloom.tlog-policy', (await api('GET', '/ledger/policy')).body);
    const certificate = (await api('GET', `/ledger/tokens/${tokenIds[0]}/certificate`)).body;
    const genuine = file('genuine.cert.json', JSON.stringify(certificate));
    const ok = await verify(genuine, '--policy', policyFile);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain(`VALID: token ${tokenIds[0]} is owned by ${creator.id}`);
    expect(ok.stdout).toContain('co-signed by: witness.test');
    expect(ok.stdout).toContain('your policy requires: witness.test');

    expect(certificate.checkpoint).toContain('\n— witness.test ');
    const stripped = file(
      'stripped.cert.json',
      JSON.stringify({
        ...certificate,
        // Stripped consistently: also from each entry's tlog-proof text, which carries the checkpoint.
        entries: certificate.entries.map((entry: { tlogProof: string }) => ({
          ...entry,
          tlogProof: stripWitness(entry.tlogProof),
        })),
        checkpoint: stripWitness(certificate.checkpoint),
        quorum: { ...certificate.quorum, required: 0 },
      }),
    );
    const withKeys = ['--log-key', operatorKeys.verifierKey, '--witness-key', witnessKeys.verifierKey];
    for (const trust of [
      ['--policy', policyFile],
      withKeys,
      ['--key', operatorKeys.verifierKey, '--key', witnessKeys.verifierKey],
    ]) {
      const refused = await verify(stripped, ...trust);
      expect(refused.code, trust.join(' ')).toBe(1);
      expect(refused.stderr).toContain('INVALID certificate');
      expect(refused.stderr).toContain(
        'witness quorum not met: your policy requires witness.test; cosigned by: none',
      );
    }
    expect((await verify(genuine, ...withKeys)).code).toBe(0);
    // Trusting the operator alone is the user's own (stated) choice, never the certificate's.
    const operatorOnly = await verify(stripped, '--log-key', operatorKeys.verifierKey);
    expect(operatorOnly.code).toBe(0);
    expect(operatorOnly.stdout).toContain('your policy requires: no witness cosignatures');
  });

  it("refuses a seller's certificate that leaves out the token's newest entry, and shows the checkpoint's time", async () => {
    const tokenId = tokenIds[1]!;
    const dataSource = testApp.app.get(DataSource);
    await dataSource.transaction((manager) =>
      testApp.app.get(OwnershipService).change(manager, tokenId, { type: 'freeze' }),
    );
    await settle();
    const certificate = (await api('GET', `/ledger/tokens/${tokenId}/certificate`)).body;
    expect(certificate.entries).toHaveLength(2);
    const trust = ['--log-key', operatorKeys.verifierKey, '--witness-key', witnessKeys.verifierKey];
    const current = await verify(
      file('current.cert.json', JSON.stringify(certificate)),
      ...trust,
      '--max-age',
      '1h',
    );
    expect(current.stderr).toBe('');
    expect(current.stdout).toContain(`VALID: token ${tokenId} is owned by ${creator.id} (frozen)`);
    expect(current.stdout).toMatch(/checkpoint last co-signed at: \d{4}-\d\d-\d\dT/);

    // The newest entry left out: what remains replays to an active token, but the map says otherwise.
    const cut = file(
      'cut.cert.json',
      JSON.stringify({ ...certificate, entries: certificate.entries.slice(0, 1) }),
    );
    const refused = await verify(cut, ...trust);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("the certificate's newest entry is");
    expect(refused.stderr).toContain('the history is not complete');

    const badAge = await verify(cut, ...trust, '--max-age', 'a week');
    expect(badAge.code).toBe(2);
    expect(badAge.stderr).toContain('--max-age must be a duration');
  });

  it('issues no certificate, and alerts operators, when the stored entries disagree with the token map', async () => {
    const tokenId = tokenIds[1]!;
    // The token's newest entry (its freeze) moved to another token behind the platform's back.
    const [newest] = await sql<{ tx: string; id: string }>(
      scratch.url,
      `SELECT tx::text, id FROM ledger_entries WHERE token_id = $1 ORDER BY tx DESC, id DESC LIMIT 1`,
      [tokenId],
    );
    const move = (to: string) =>
      sql(scratch.url, `UPDATE ledger_entries SET token_id = $1 WHERE tx = $2::xid8 AND id = $3`, [
        to,
        newest!.tx,
        newest!.id,
      ]);
    await move('tok_elsewhere');
    try {
      const refused = await api('GET', `/ledger/tokens/${tokenId}/certificate`);
      expect(refused.status).toBe(503);
      expect(refused.body.type).toMatch(/ledger-integrity$/);
      const alerts = await testApp.app.get(IntegrityAlerts).list('token-map-mismatch');
      expect(alerts.map((alert) => alert.detail).join('\n')).toContain(`token ${tokenId}`);
    } finally {
      await move(tokenId);
    }
    expect((await api('GET', `/ledger/tokens/${tokenId}/certificate`)).status).toBe(200);
  });

  it('refuses unusable trust settings with a usage message', async () => {
    const cert = file('any.cert.json', '{}');
    const noTrust = await verify(cert);
    expect(noTrust.code).toBe(2);
    expect(noTrust.stderr).toContain('give what you trust in one way');
    const gone = await verify(cert, '--key', operatorKeys.verifierKey, '--min-witnesses', '0');
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('--min-witnesses is gone: use --quorum N');
    const tooMany = await verify(
      cert,
      '--log-key',
      operatorKeys.verifierKey,
      '--witness-key',
      witnessKeys.verifierKey,
      '--quorum',
      '2',
    );
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain('quorum must be between 0 and the 1 witness keys given');
    const badPolicy = await verify(
      cert,
      '--policy',
      file('bad.tlog-policy', `log ${operatorKeys.verifierKey}\n`),
    );
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr).toContain('policy has no quorum line');
  });
});
