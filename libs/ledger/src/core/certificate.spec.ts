import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from './bytes.js';
import { type OwnershipCertificate, buildCertificate, verifyCertificate } from './certificate.js';
import { formatCheckpoint } from './checkpoint.js';
import { type EntryType, type LedgerEntry, encodeEntry, validateEntry } from './entry.js';
import { leafHash } from './hasher.js';
import { MemoryTree } from './memory-tree.js';
import { addSignatures, generateKey, parseSignerKey, signNote } from './note.js';

const ORIGIN = 'heirloom.example/ledger';
const key = (name: string, seedByte: number) => {
  const { signerKey, verifierKey } = generateKey(name, new Uint8Array(32).fill(seedByte));
  return { name, signer: parseSignerKey(signerKey), verifierKey };
};
const operator = key(ORIGIN, 11);
const regulator = key('regulator.example/witness', 12);
const auditor = key('auditor.example/witness', 13);
const rogue = key('rogue.example/witness', 14);
const TRUSTED = [operator.verifierKey, regulator.verifierKey, auditor.verifierKey];

let clock = Date.UTC(2025, 2, 1);
function entry(
  type: EntryType,
  token: string,
  seq: number,
  from: string | null,
  to: string | null,
): LedgerEntry {
  clock += 3_600_000;
  const ref = type === 'sale' || type === 'revert' ? `ord_${token}_${seq}` : undefined;
  return validateEntry({
    v: 1,
    type,
    token,
    seq,
    from,
    to,
    at: new Date(clock).toISOString(),
    ...(ref ? { ref } : {}),
  });
}

// A small log with two tokens interleaved, plus one illegal event the operator should never have logged.
const LOG: LedgerEntry[] = [
  entry('mint', 'tok_A', 0, null, 'acct_maker'),
  entry('mint', 'tok_B', 0, null, 'acct_maker'),
  entry('sale', 'tok_A', 1, 'acct_maker', 'acct_buyer1'),
  entry('transfer', 'tok_B', 1, 'acct_maker', 'acct_x'),
  entry('sale', 'tok_A', 2, 'acct_buyer1', 'acct_buyer2'),
  entry('mint', 'tok_C', 0, null, 'acct_maker'),
  entry('transfer', 'tok_C', 1, 'acct_thief', 'acct_fence'), // not the owner
  entry('freeze', 'tok_A', 3, 'acct_buyer2', null),
  entry('unfreeze', 'tok_A', 4, 'acct_buyer2', null),
];
const tree = new MemoryTree();
LOG.forEach((item) => tree.append(leafHash(encodeEntry(item))));

function checkpointNote(size: number, witnesses = [regulator, auditor]): string {
  const body = formatCheckpoint({ origin: ORIGIN, size, rootHash: tree.root(size) });
  return addSignatures(
    signNote(body, [operator.signer]),
    witnesses.map((witness) => witness.signer),
  );
}

function certificateFor(
  token: string,
  size = LOG.length,
  checkpoint = checkpointNote(size),
): OwnershipCertificate {
  const entries = LOG.flatMap((item, index) =>
    item.token === token && index < size
      ? [{ index, bytes: encodeEntry(item), proof: tree.inclusionProof(index, size) }]
      : [],
  );
  return buildCertificate({
    origin: ORIGIN,
    token,
    entries,
    checkpoint,
    verifierKeys: TRUSTED,
    quorum: { operatorKey: ORIGIN, witnesses: [regulator.name, auditor.name], required: 2 },
  });
}

const valid = certificateFor('tok_A');
const clone = (): Record<string, unknown> => JSON.parse(JSON.stringify(valid));
const errorsOf = (cert: unknown, trusted = TRUSTED, opts = {}): string[] => {
  const verdict = verifyCertificate(cert, trusted, opts);
  return verdict.ok ? [] : verdict.errors;
};

describe('verifyCertificate accepts', () => {
  it('a valid certificate and reports the current owner', () => {
    expect(verifyCertificate(valid, TRUSTED, { expectedOrigin: ORIGIN, minWitnesses: 2 })).toEqual({
      ok: true,
      token: 'tok_A',
      owner: 'acct_buyer2',
      status: 'active',
      since: LOG[8]!.at,
      treeSize: 9,
      origin: ORIGIN,
      witnesses: [regulator.name, auditor.name],
    });
  });

  it('a certificate that survives a JSON round trip', () => {
    expect(verifyCertificate(JSON.parse(JSON.stringify(valid)), TRUSTED).ok).toBe(true);
  });

  it('an older checkpoint, with the state as of that tree size', () => {
    const verdict = verifyCertificate(certificateFor('tok_A', 5), TRUSTED);
    expect(verdict).toMatchObject({ ok: true, owner: 'acct_buyer2', treeSize: 5 });
  });

  it('co-signatures by unknown witnesses, which are ignored', () => {
    const cert = { ...valid, checkpoint: addSignatures(valid.checkpoint, [rogue.signer]) };
    expect(verifyCertificate(cert, TRUSTED)).toMatchObject({
      ok: true,
      witnesses: [regulator.name, auditor.name],
    });
  });
});

describe('verifyCertificate rejects', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['a non-object', () => errorsOf(null), /not a JSON object/],
    ['another format', () => errorsOf({ ...valid, format: 'heirloom-certificate/v2' }), /format must be/],
    ['unknown fields', () => errorsOf({ ...valid, owner: 'acct_me' }), /unknown field "owner"/],
    ['another token', () => errorsOf({ ...valid, token: 'tok_B' }), /concerns token tok_A, not tok_B/],
    [
      'an entry swapped for another token with its valid proof',
      () => {
        const other = certificateFor('tok_B');
        return errorsOf({ ...valid, entries: [other.entries[0], ...valid.entries.slice(1)] });
      },
      /entries\[0\] \(log index 1\): entry concerns token tok_B, not tok_A/,
    ],
    [
      'an altered entry',
      () => {
        const forged = { ...LOG[4]!, to: 'acct_me' };
        const entries = valid.entries.map((item, i) =>
          i === 2 ? { ...item, entry: toBase64(encodeEntry(forged)) } : item,
        );
        return errorsOf({ ...valid, entries });
      },
      /entries\[2\] \(log index 4\): inclusion proof failed against checkpoint of size 9/,
    ],
    [
      'a flipped proof byte',
      () => {
        const proof = fromBase64(valid.entries[1]!.proof[0]!);
        proof[7]! ^= 1;
        const entries = valid.entries.map((item, i) =>
          i === 1 ? { ...item, proof: [toBase64(proof), ...item.proof.slice(1)] } : item,
        );
        return errorsOf({ ...valid, entries });
      },
      /entries\[1\] \(log index 2\): inclusion proof failed against checkpoint of size 9: inclusion proof for leaf 2 of 9 yields root/,
    ],
    [
      'a proof of the wrong length',
      () =>
        errorsOf({
          ...valid,
          entries: valid.entries.map((item) => ({ ...item, proof: item.proof.slice(1) })),
        }),
      /proof has 3 hashes, want 4/,
    ],
    [
      'a wrong index',
      () =>
        errorsOf({
          ...valid,
          entries: valid.entries.map((item, i) => (i === 0 ? { ...item, index: 1 } : item)),
        }),
      /entries\[0\] \(log index 1\): inclusion proof failed/,
    ],
    [
      'entries out of order',
      () => errorsOf({ ...valid, entries: [valid.entries[1], valid.entries[0], ...valid.entries.slice(2)] }),
      /indices must strictly increase/,
    ],
    [
      'an omitted sale in the middle of the history',
      () => errorsOf({ ...valid, entries: valid.entries.filter((_, i) => i !== 1) }),
      /illegal history: sale #2 of tok_A: expected seq 1 after 0/,
    ],
    [
      'a history without its mint',
      () => errorsOf({ ...valid, entries: valid.entries.slice(1) }),
      /illegal history: sale #1 of tok_A: token was never minted/,
    ],
    [
      'an illegal history, even though every proof holds',
      () => errorsOf(certificateFor('tok_C')),
      /from acct_thief is not the owner acct_maker/,
    ],
    [
      'an altered checkpoint size',
      () => errorsOf({ ...valid, checkpoint: valid.checkpoint.replace(`${ORIGIN}\n9\n`, `${ORIGIN}\n8\n`) }),
      /checkpoint signature check failed: invalid signature for key heirloom\.example\/ledger\+/,
    ],
    [
      'a missing witness co-signature',
      () => errorsOf(certificateFor('tok_A', 9, checkpointNote(9, [regulator]))),
      /witness quorum not met: 1 of 2 required trusted witness signatures \(signed: regulator\.example\/witness\)/,
    ],
    [
      'a rogue co-signature standing in for an allow-listed witness',
      () => errorsOf(certificateFor('tok_A', 9, checkpointNote(9, [regulator, rogue]))),
      /witness quorum not met: 1 of 2/,
    ],
    [
      'a certificate lowering its own quorum below the caller policy',
      () => {
        const cert = certificateFor('tok_A', 9, checkpointNote(9, []));
        return errorsOf({ ...cert, quorum: { ...cert.quorum, required: 0 } }, TRUSTED, { minWitnesses: 2 });
      },
      /witness quorum not met: 0 of 2 required trusted witness signatures \(signed: none\)/,
    ],
    [
      'a checkpoint without the operator signature',
      () => errorsOf(valid, [regulator.verifierKey, auditor.verifierKey]),
      /checkpoint is not signed by the operator key "heirloom\.example\/ledger"/,
    ],
    [
      'an impostor operator key under the right name',
      () => errorsOf(valid, [key(ORIGIN, 99).verifierKey, regulator.verifierKey, auditor.verifierKey]),
      /not signed by the operator key/,
    ],
    ['no trusted keys', () => errorsOf(valid, []), /no trusted verifier keys were given/],
    [
      'verifierKeys that do not list a key that signed',
      () => errorsOf({ ...valid, verifierKeys: [operator.verifierKey, auditor.verifierKey] }),
      /signed by trusted key regulator\.example\/witness which the certificate's verifierKeys do not list/,
    ],
    [
      'a malformed verifier key',
      () => errorsOf({ ...valid, verifierKeys: [...TRUSTED, 'nope'] }),
      /verifierKeys\[3\] is not a valid verifier key/,
    ],
    [
      'another origin',
      () => errorsOf({ ...valid, origin: 'evil.example/ledger' }),
      /checkpoint origin "heirloom\.example\/ledger" does not match/,
    ],
    [
      'an unexpected origin',
      () => errorsOf(valid, TRUSTED, { expectedOrigin: 'other.example/ledger' }),
      /is not the expected/,
    ],
    [
      'an operator key that is not the origin',
      () =>
        errorsOf({
          ...valid,
          quorum: { ...valid.quorum, operatorKey: regulator.name, witnesses: [auditor.name], required: 1 },
        }),
      /quorum\.operatorKey "regulator\.example\/witness" must equal the origin/,
    ],
    [
      'an impossible quorum',
      () => errorsOf({ ...valid, quorum: { ...valid.quorum, required: 3 } }),
      /quorum\.required must be/,
    ],
    [
      'proofs for a different tree size',
      () => errorsOf({ ...certificateFor('tok_A', 8), checkpoint: checkpointNote(9) }),
      /inclusion proof failed against checkpoint of size 9/,
    ],
  ];

  it.each(cases)('%s', (_, errors, expected) => {
    const found = errors();
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toMatch(expected);
  });

  it('any change to any string or number of the certificate', () => {
    const survivors: string[] = [];
    const visit = (
      value: unknown,
      path: string[],
      replace: (next: unknown) => Record<string, unknown>,
    ): void => {
      if (typeof value === 'string') {
        const at = Math.floor(value.length / 2);
        const mutated = value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1);
        if (verifyCertificate(replace(mutated), TRUSTED).ok) survivors.push(path.join('.'));
      } else if (typeof value === 'number') {
        if (verifyCertificate(replace(value + 1), TRUSTED).ok) survivors.push(path.join('.'));
      } else if (value !== null && typeof value === 'object') {
        for (const [k, child] of Object.entries(value)) {
          visit(child, [...path, k], (next) => {
            const copy = replace(value) as Record<string, unknown>;
            let target: Record<string, unknown> = copy;
            for (const step of path) target = target[step] as Record<string, unknown>;
            target[k] = next;
            return copy;
          });
        }
      }
    };
    visit(clone(), [], (next) => JSON.parse(JSON.stringify(next)));
    expect(survivors).toEqual([]);
  });

  it('is deterministic', () => {
    const broken = { ...valid, entries: valid.entries.slice(1) };
    expect(verifyCertificate(broken, TRUSTED)).toEqual(verifyCertificate(broken, TRUSTED));
  });
});
