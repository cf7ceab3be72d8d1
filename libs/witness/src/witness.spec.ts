import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  MemoryTree,
  formatCheckpoint,
  generateCosignatureKey,
  generateKey,
  leafHash,
  openNote,
  parseCosignatureVerifierKey,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  toBase64,
  utf8,
} from '#ledger-core';
import { Witness, type WitnessRefusal } from './witness.js';
import { WitnessStateStore } from './witness-state.js';

const ORIGIN = 'log.example/one';
const log = generateKey(ORIGIN, new Uint8Array(32).fill(1));
const stranger = generateKey(ORIGIN, new Uint8Array(32).fill(2));
const otherLog = generateKey('log.example/other', new Uint8Array(32).fill(3));
const cosigner = generateCosignatureKey('witness.example/w', new Uint8Array(32).fill(4));

function treeOf(size: number, salt = ''): MemoryTree {
  const tree = new MemoryTree();
  for (let i = 0; i < size; i++) tree.append(leafHash(utf8(`entry ${i}${salt}`)));
  return tree;
}

function checkpointNote(tree: MemoryTree, size = tree.size, key = log.signerKey, origin = ORIGIN): string {
  const body = formatCheckpoint({ origin, size, rootHash: tree.root(size) });
  return signNote(body, [parseSignerKey(key)]);
}

function request(old: number, proof: Uint8Array[], note: string): string {
  return `old ${old}\n${proof.map((hash) => toBase64(hash) + '\n').join('')}\n${note}`;
}

describe('Witness (C2SP tlog-witness add-checkpoint)', () => {
  let dir: string;
  let witness: Witness;
  let refusals: WitnessRefusal[];
  const tree = treeOf(20);
  const open = async () =>
    new Witness({
      signerKey: cosigner.signerKey,
      logKeys: [log.verifierKey, otherLog.verifierKey],
      store: await WitnessStateStore.open(join(dir, 'state.json')),
      clock: () => 1_750_000_000,
      onRefusal: (refusal) => refusals.push(refusal),
    });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'witness-spec-'));
    refusals = [];
    witness = await open();
  });

  it('co-signs a first checkpoint (old 0) with a cosignature/v1 line that verifies', async () => {
    const note = checkpointNote(tree, 7);
    const answer = await witness.addCheckpoint(request(0, [], note));
    expect(answer).toMatchObject({ status: 200 });
    expect(answer.body).toMatch(/^— witness\.example\/w [A-Za-z0-9+/]+={0,2}\n$/);
    const opened = openNote(note + answer.body, [
      parseVerifierKey(log.verifierKey),
      parseCosignatureVerifierKey(cosigner.verifierKey),
    ]);
    expect(opened.signatures.map((s) => s.name)).toEqual([ORIGIN, 'witness.example/w']);
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).logs[ORIGIN]).toEqual({
      size: 7,
      root: toBase64(tree.root(7)),
    });
  });

  it('co-signs a consistent larger checkpoint, and remembers it across a restart', async () => {
    await witness.addCheckpoint(request(0, [], checkpointNote(tree, 7)));
    const answer = await witness.addCheckpoint(
      request(7, tree.consistencyProof(7, 20), checkpointNote(tree)),
    );
    expect(answer.status).toBe(200);
    const restarted = await open();
    const stale = await restarted.addCheckpoint(
      request(7, tree.consistencyProof(7, 20), checkpointNote(tree)),
    );
    expect(stale).toEqual({ status: 409, contentType: 'text/x.tlog.size', body: '20\n' });
    expect((await restarted.addCheckpoint(request(20, [], checkpointNote(tree)))).status).toBe(200);
  });

  it('answers 409 with its latest size when the old size is not its latest', async () => {
    await witness.addCheckpoint(request(0, [], checkpointNote(tree, 7)));
    const answer = await witness.addCheckpoint(request(0, [], checkpointNote(tree, 9)));
    expect(answer).toEqual({ status: 409, contentType: 'text/x.tlog.size', body: '7\n' });
  });

  it('refuses a rewritten history: another root at the same size (409) or a proof that fails (422)', async () => {
    await witness.addCheckpoint(request(0, [], checkpointNote(tree, 7)));
    const forked = treeOf(20, 'forked');
    const sameSize = await witness.addCheckpoint(request(7, [], checkpointNote(forked, 7)));
    expect(sameSize).toMatchObject({ status: 409, body: '7\n' });
    const grown = await witness.addCheckpoint(
      request(7, forked.consistencyProof(7, 20), checkpointNote(forked)),
    );
    expect(grown.status).toBe(422);
    expect(refusals.map((r) => r.status)).toEqual([409, 422]);
    expect(refusals[1]!.reason).toContain('does not extend');
    // Still at 7: nothing of the fork was recorded.
    expect(
      (await witness.addCheckpoint(request(7, tree.consistencyProof(7, 20), checkpointNote(tree)))).status,
    ).toBe(200);
  });

  it('refuses a smaller tree than the one it co-signed (old above size: 400; honest old: 409)', async () => {
    await witness.addCheckpoint(request(0, [], checkpointNote(tree, 12)));
    expect((await witness.addCheckpoint(request(12, [], checkpointNote(tree, 5)))).status).toBe(400);
    expect(await witness.addCheckpoint(request(0, [], checkpointNote(tree, 5)))).toMatchObject({
      status: 409,
      body: '12\n',
    });
  });

  it('answers 404 for an unknown origin and 403 without a trusted log signature', async () => {
    const unknown = checkpointNote(
      tree,
      3,
      generateKey('nobody.example/log').signerKey,
      'nobody.example/log',
    );
    expect((await witness.addCheckpoint(request(0, [], unknown))).status).toBe(404);
    expect(
      (await witness.addCheckpoint(request(0, [], checkpointNote(tree, 3, stranger.signerKey)))).status,
    ).toBe(403);
    const tampered = checkpointNote(tree, 3).replace('\n3\n', '\n4\n');
    expect((await witness.addCheckpoint(request(0, [], tampered))).status).toBe(403);
  });

  it('answers 400 for malformed bodies and 422 for a non-empty proof from size 0', async () => {
    const note = checkpointNote(tree, 3);
    for (const body of [
      `old 00\n\n${note}`,
      `old -1\n\n${note}`,
      `old 0\n${note}`,
      `old 0\nnot-base64\n\n${note}`,
      request(
        0,
        Array.from({ length: 64 }, () => new Uint8Array(32)),
        note,
      ),
      `old 0\n\nno checkpoint`,
      new Uint8Array([0x6f, 0x6c, 0x64, 0x20, 0x30, 0x0a, 0x0a, 0xff]),
    ]) {
      expect((await witness.addCheckpoint(body)).status, String(body)).toBe(400);
    }
    expect((await witness.addCheckpoint(request(0, [new Uint8Array(32)], note))).status).toBe(422);
  });

  it('keeps one record per log and serialises concurrent requests (no rollback)', async () => {
    const other = checkpointNote(tree, 4, otherLog.signerKey, 'log.example/other');
    expect((await witness.addCheckpoint(request(0, [], other))).status).toBe(200);
    await witness.addCheckpoint(request(0, [], checkpointNote(tree, 5)));
    const answers = await Promise.all([
      witness.addCheckpoint(request(5, tree.consistencyProof(5, 9), checkpointNote(tree, 9))),
      witness.addCheckpoint(request(5, tree.consistencyProof(5, 15), checkpointNote(tree, 15))),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 409]);
    expect(answers[1]!.body).toBe('9\n');
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    expect(state.logs['log.example/other'].size).toBe(4);
    expect(state.logs[ORIGIN].size).toBe(9);
  });
});
