import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatCheckpoint,
  fromBase64,
  leafHash,
  parseSignerKey,
  signNote,
  verifyCertificate,
  verifyInclusion,
} from '../libs/ledger/src/core/index.js';
import { freePort } from '../libs/database/src/index.js';
import { CheckpointService, Sequencer, WitnessPusher } from '../libs/ledger/src/index.js';
import { createScratchDatabase, sql, startTestApp, type TestApp } from './support/app.js';
import { createCollection, createUser, mintEditions, type TestUser } from './support/factories.js';
import { client, type Client } from './support/http.js';
import { operatorKeys, rogueWitnessKeys, TEST_ORIGIN, witnessKeys } from './support/keys.js';

const run = promisify(execFile);

describe('ledger (e2e): API + witness on real PostgreSQL', () => {
  let scratch: { url: string; drop(): Promise<void> };
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;
  let operator: TestUser;
  let tokenIds: string[];
  const witnessDir = mkdtempSync(join(tmpdir(), 'heirloom-witness-'));
  let witnessProcess: ChildProcess;
  const push = () => testApp.app.get(WitnessPusher).pushAll();
  const settle = async () => {
    await testApp.app.get(Sequencer).drain();
    return testApp.app.get(CheckpointService).checkpointIfGrown();
  };
  const audit = async () => (await api('POST', '/operator/audit/replay', { token: operator.token })).body;

  /** Starts apps/witness on a free port; resolves with its submission URL once it listens. */
  async function startWitness(): Promise<string> {
    const port = await freePort();
    witnessProcess = spawn('node', ['dist/apps/witness/src/main.js'], {
      env: {
        ...process.env,
        WITNESS_OPERATOR_KEY: operatorKeys.verifierKey,
        WITNESS_SIGNER_KEY: witnessKeys.signerKey,
        WITNESS_DATA_DIR: witnessDir,
        WITNESS_PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    for await (const line of createInterface({ input: witnessProcess.stdout! })) {
      const logged = JSON.parse(line) as { msg: string; url?: string };
      if (logged.msg === 'witness listening') return logged.url!;
    }
    throw new Error('the witness exited before listening');
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    // The witness as its own process (apps/witness), sharing nothing with the API but HTTP.
    const witnessUrl = await startWitness();
    testApp = await startTestApp(
      { CHECKPOINT_INTERVAL_MS: '100000', LEDGER_WITNESS_KEYS: `${witnessKeys.verifierKey}@${witnessUrl}` },
      scratch.url,
    );
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
    const collection = await createCollection(api, creator);
    tokenIds = (await mintEditions(api, creator, collection.id, 5)).tokenIds;
  });
  afterAll(async () => {
    witnessProcess?.kill();
    await testApp.close();
    await scratch.drop();
  });

  it('makes an inclusion proof available within a second of the commit', async () => {
    const started = Date.now();
    let response;
    do {
      response = await api('GET', `/ledger/tokens/${tokenIds[0]}/history`);
    } while (
      response.status !== 200 &&
      Date.now() - started < 1000 &&
      (await new Promise((r) => setTimeout(r, 20))) === undefined
    );
    expect(response.status).toBe(200);
    const [entry] = response.body.entries;
    expect(entry.entry).toMatchObject({ type: 'mint', token: tokenIds[0], to: creator.id, seq: 0 });
    verifyInclusion(
      leafHash(fromBase64(entry.entryBase64)),
      entry.index,
      response.body.treeSize,
      entry.proof.map(fromBase64),
      fromBase64(response.body.rootHash),
    );
  });

  it('serves checkpoints, entries and consistency proofs, and a witness co-signs to quorum', async () => {
    const checkpoint = await settle();
    expect(checkpoint?.size).toBe(5);
    const note = await api('GET', '/ledger/checkpoint');
    expect(note.headers.get('content-type')).toContain('text/plain');
    expect(note.body).toMatch(
      new RegExp(
        `^${TEST_ORIGIN.replace('.', '\\.')}\\n5\\n[A-Za-z0-9+/]{43}=\\nheirloom-token-map [A-Za-z0-9+/]{43}=\\n\\n— ${TEST_ORIGIN} `,
      ),
    );
    expect((await api('GET', '/ledger/checkpoint?final=true')).status).toBe(404);

    // The log pushes it to the witness over C2SP tlog-witness and keeps the cosignature/v1 answered.
    expect(await push()).toEqual([{ witness: 'witness.test', status: 'cosigned', size: 5, final: true }]);
    const final = await api('GET', '/ledger/checkpoint?final=true');
    expect(final.body).toContain(`— witness.test `);
    expect(await push()).toEqual([{ witness: 'witness.test', status: 'already-cosigned', size: 5 }]);

    const entries = await api('GET', '/ledger/entries?start=0&end=5');
    expect(entries.body).toHaveLength(5);
    const byHash = await api('GET', `/ledger/proof/inclusion?leafHash=${entries.body[3].leafHash}&size=5`);
    expect(byHash.body.index).toBe(3);
    expect((await api('GET', '/ledger/proof/consistency?from=2&to=5')).body.proof.length).toBeGreaterThan(0);
    expect((await api('GET', '/ledger/proof/consistency?from=9&to=5')).status).toBe(400);
    expect((await api('GET', '/ledger/proof/inclusion?index=99')).status).toBe(400);
  });

  it('accepts co-signatures only from allow-listed witness keys', async () => {
    const note = (await api('GET', '/ledger/checkpoint')).body as string;
    const rogue = signNote(note.slice(0, note.indexOf('\n\n') + 1), [
      parseSignerKey(rogueWitnessKeys.signerKey),
    ]);
    const refused = await api('POST', '/ledger/checkpoints/5/cosignatures', { body: { note: rogue } });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toMatch(/cosignature-rejected$/);
  });

  it('produces a certificate the CLI verifies offline, and rejects any changed byte', async () => {
    const response = await api('GET', `/ledger/tokens/${tokenIds[1]}/certificate`);
    expect(response.status).toBe(200);
    const text = JSON.stringify(response.body);
    const verdict = verifyCertificate(response.body, [operatorKeys.verifierKey, witnessKeys.verifierKey]);
    expect(verdict).toMatchObject({ ok: true, owner: creator.id, status: 'active' });

    const dir = mkdtempSync(join(tmpdir(), 'heirloom-cert-'));
    const file = join(dir, 'cert.json');
    writeFileSync(file, text);
    const keys = ['--key', operatorKeys.verifierKey, '--key', witnessKeys.verifierKey];
    const ok = await run('node', ['dist/apps/verify/src/main.js', file, ...keys]);
    expect(ok.stdout).toContain(`owned by ${creator.id}`);

    // Change bytes at spread positions (every changed byte must fail, whatever it hits).
    for (const position of [10, Math.floor(text.length / 3), Math.floor(text.length / 2), text.length - 20]) {
      const original = text[position];
      const replacement = original === 'A' ? 'B' : 'A';
      writeFileSync(file, text.slice(0, position) + replacement + text.slice(position + 1));
      const failed = await run('node', ['dist/apps/verify/src/main.js', file, ...keys]).catch((e) => e);
      expect(failed.code, `byte ${position}`).toBe(1);
      expect(failed.stderr).toContain('INVALID');
    }
  });

  it('audit replay passes on an untouched database', async () => {
    const report = await audit();
    expect(report.mismatches).toEqual([]);
    expect(report).toMatchObject({ ok: true, entries: 5, tokens: 5 });
  });

  it('audit replay reports a changed ownership row, a changed ledger row and a deleted row', async () => {
    // Three different entries: the token at index 0 gets a new owner row, entry 2 is rewritten, entry 3 deleted.
    const [{ token_id: changedToken }] = await sql(
      scratch.url,
      `SELECT token_id FROM ledger_log WHERE idx = 0`,
    );
    await sql(scratch.url, `UPDATE tokens SET owner_id = $1 WHERE id = $2`, [operator.id, changedToken]);
    await sql(
      scratch.url,
      `UPDATE ledger_entries SET entry = convert_to(replace(convert_from(entry, 'UTF8'), $1, $2), 'UTF8')
       WHERE (tx, id) = (SELECT tx, id FROM ledger_log WHERE idx = 2)`,
      [creator.id, operator.id],
    );
    await sql(
      scratch.url,
      `DELETE FROM ledger_entries WHERE (tx, id) = (SELECT tx, id FROM ledger_log WHERE idx = 3)`,
    );
    const report = await audit();
    expect(report.ok).toBe(false);
    const kinds = report.mismatches.map((m: { kind: string }) => m.kind);
    expect(kinds).toContain('ownership-mismatch'); // tokens row changed
    expect(kinds).toContain('ledger-row-tampered'); // ledger row changed
    expect(kinds).toContain('ledger-gap'); // ledger row deleted
    expect(report.mismatches).toContainEqual(
      expect.objectContaining({ kind: 'ownership-mismatch', tokenId: changedToken }),
    );

    const cli = await run('node', ['dist/apps/api/src/cli.js', 'audit'], {
      env: {
        ...process.env,
        DATABASE_URL: scratch.url,
        LEDGER_ORIGIN: TEST_ORIGIN,
        LEDGER_SIGNER_KEY: operatorKeys.signerKey,
        LOG_LEVEL: 'silent',
      },
    }).catch((e) => e);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('AUDIT FAILED');
  });

  it('a witness refuses a rewritten history', async () => {
    // The operator signs a checkpoint for a larger tree whose root does not extend what was co-signed.
    const forged = signNote(
      formatCheckpoint({ origin: TEST_ORIGIN, size: 6, rootHash: new Uint8Array(32).fill(1) }),
      [parseSignerKey(operatorKeys.signerKey)],
    );
    await sql(scratch.url, `UPDATE ledger_state SET size = 6 WHERE id = 1`);
    await sql(scratch.url, `UPDATE ledger_strips SET hashes = hashes || $1 WHERE level = 0 AND idx = 0`, [
      Buffer.alloc(32, 2),
    ]);
    await sql(scratch.url, `INSERT INTO ledger_checkpoints (size, root, note) VALUES (6, $1, $2)`, [
      Buffer.alloc(32, 1),
      forged,
    ]);
    const [refused] = await push();
    expect(refused).toMatchObject({ witness: 'witness.test', status: 'refused', size: 6, httpStatus: 422 });
    expect((await api('GET', '/ledger/checkpoint?final=true')).body).toMatch(/\n5\n/);
    // Loud: an operator alert, and readiness reports it (without taking the API out of service).
    const alerts = await api('GET', '/operator/ledger/alerts', { token: operator.token });
    expect(alerts.body).toContainEqual(
      expect.objectContaining({ kind: 'witness-refused', subject: 'witness.test' }),
    );
    const ready = await api('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toContainEqual(
      expect.objectContaining({ name: 'witnesses', status: 'failing' }),
    );

    // A log that shrinks below what the witness saw is refused too.
    await sql(scratch.url, `DELETE FROM ledger_checkpoints WHERE size = 6`);
    const smaller = signNote(
      formatCheckpoint({ origin: TEST_ORIGIN, size: 3, rootHash: new Uint8Array(32) }),
      [parseSignerKey(operatorKeys.signerKey)],
    );
    await sql(scratch.url, `UPDATE ledger_checkpoints SET note = $1 WHERE size = 5`, [smaller]);
    expect(await push()).toEqual([expect.objectContaining({ status: 'refused', httpStatus: 400 })]);
  });
});
