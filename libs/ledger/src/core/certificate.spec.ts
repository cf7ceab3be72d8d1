import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from './bytes.js';
import { type OwnershipCertificate, buildCertificate, verifyCertificate } from './certificate.js';
import { formatCheckpoint } from './checkpoint.js';
import { type EntryType, type LedgerEntry, encodeEntry, validateEntry } from './entry.js';
import { leafHash } from './hasher.js';
import { MemoryTree } from './memory-tree.js';
import { parseCosignatureSignerKey } from './cosignature.js';
import { addSignatures, generateKey, parseSignerKey, signNote } from './note.js';
import { parseTlogPolicy, policyFromKeys } from './tlog-policy.js';
import { buildTokenMapProof, buildTokenMapRoot, formatTokenMapLine } from './token-map.js';
import { parseTlogProof } from './tlog-proof.js';
import { verifyInclusion } from './proof.js';

const ORIGIN = 'heirloom.example/ledger';
const key = (name: string, seedByte: number) => {
  const { signerKey, verifierKey } = generateKey(name, new Uint8Array(32).fill(seedByte));
  return { name, signerKey, signer: parseSignerKey(signerKey), verifierKey };
};
const operator = key(ORIGIN, 11);
const regulator = key('regulator.example/witness', 12);
const auditor = key('auditor.example/witness', 13);
const rogue = key('rogue.example/witness', 14);
const TRUSTED = [operator.verifierKey, regulator.verifierKey, auditor.verifierKey];
/** What a careful user trusts: the log and both witnesses, all of which must cosign. */
const POLICY = policyFromKeys({
  logKeys: [operator.verifierKey],
  witnessKeys: [regulator.verifierKey, auditor.verifierKey],
});
const BOTH = `2 of (${regulator.name}, ${auditor.name})`;

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

/** The token-map entries of the log's first `size` entries. */
const mapEntries = (size: number) =>
  LOG.slice(0, size).map((item, index) => ({
    tokenId: item.token,
    index,
    leafHash: leafHash(encodeEntry(item)),
  }));

/** The checkpoint body at `size`, committing to the tree and the token map. */
const checkpointBody = (size: number) =>
  formatCheckpoint({
    origin: ORIGIN,
    size,
    rootHash: tree.root(size),
    extensions: [formatTokenMapLine(buildTokenMapRoot(mapEntries(size)))],
  });

function checkpointNote(size: number, witnesses = [regulator, auditor]): string {
  const body = checkpointBody(size);
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
  const map = buildTokenMapProof(mapEntries(size), token)!;
  return buildCertificate({
    origin: ORIGIN,
    token,
    entries,
    map,
    checkpoint,
    verifierKeys: TRUSTED,
    quorum: { operatorKey: ORIGIN, witnesses: [regulator.name, auditor.name], required: 2 },
  });
}

const valid = certificateFor('tok_A');
const clone = (): Record<string, unknown> => JSON.parse(JSON.stringify(valid));
const errorsOf = (
  cert: unknown,
  trusted: Parameters<typeof verifyCertificate>[1] = POLICY,
  opts = {},
): string[] => {
  const verdict = verifyCertificate(cert, trusted, opts);
  return verdict.ok ? [] : verdict.errors;
};

describe('verifyCertificate accepts', () => {
  it('a valid certificate and reports the current owner', () => {
    expect(verifyCertificate(valid, POLICY, { expectedOrigin: ORIGIN })).toEqual({
      ok: true,
      token: 'tok_A',
      owner: 'acct_buyer2',
      status: 'active',
      since: LOG[8]!.at,
      treeSize: 9,
      origin: ORIGIN,
      witnesses: [regulator.name, auditor.name],
      quorum: BOTH,
    });
  });

  it('a plain list of trusted keys: the key named like the origin is the log, every other must cosign', () => {
    expect(verifyCertificate(valid, TRUSTED)).toMatchObject({ ok: true, quorum: BOTH });
    const one = certificateFor('tok_A', 9, checkpointNote(9, [regulator]));
    expect(verifyCertificate(one, TRUSTED).ok).toBe(false);
    expect(verifyCertificate(one, [operator.verifierKey, regulator.verifierKey])).toMatchObject({
      ok: true,
      witnesses: [regulator.name],
    });
  });

  it("fewer cosignatures when the user's own policy asks for fewer", () => {
    const one = certificateFor('tok_A', 9, checkpointNote(9, [auditor]));
    const policy = policyFromKeys({
      logKeys: [operator.verifierKey],
      witnessKeys: [regulator.verifierKey, auditor.verifierKey],
      quorum: 1,
    });
    expect(verifyCertificate(one, policy)).toMatchObject({
      ok: true,
      witnesses: [auditor.name],
      quorum: `1 of (${regulator.name}, ${auditor.name})`,
    });
  });

  it('a tlog-policy file with groups', () => {
    const policy = parseTlogPolicy(
      [
        `log ${operator.verifierKey}`,
        `witness R ${regulator.verifierKey}`,
        `witness A ${auditor.verifierKey}`,
        `witness X ${rogue.verifierKey}`,
        'group officials any R A',
        'group all-of-us all officials X',
        'group enough 1 all-of-us',
        'quorum officials',
      ].join('\n') + '\n',
    );
    expect(verifyCertificate(valid, policy)).toMatchObject({
      ok: true,
      quorum: `1 of (${regulator.name}, ${auditor.name})`,
    });
  });

  it('cosignature/v1 witness signatures, trusted as 0x01 keys or as their 0x04 form', () => {
    const body = checkpointBody(9);
    const cosigners = [regulator, auditor].map((w) =>
      parseCosignatureSignerKey(w.signerKey, () => 1_767_000_000),
    );
    const cert = certificateFor('tok_A', 9, addSignatures(signNote(body, [operator.signer]), cosigners));
    expect(cert.checkpoint).toContain(`— ${regulator.name} `);
    expect(verifyCertificate(cert, POLICY)).toMatchObject({
      ok: true,
      witnesses: [regulator.name, auditor.name],
    });
    const policy = policyFromKeys({
      logKeys: [operator.verifierKey],
      witnessKeys: cosigners.map((c) => c.verifierKey),
    });
    expect(policy.witnesses[0]!.verifierKey).toMatch(/^regulator\.example\/witness\+[0-9a-f]{8}\+BA/); // 0x04
    expect(verifyCertificate(cert, policy)).toMatchObject({
      ok: true,
      witnesses: [regulator.name, auditor.name],
    });
    // A 0x04 key trusts cosignature/v1 only, not a plain note signature by the same key pair.
    expect(verifyCertificate(valid, policy).ok).toBe(false);
  });

  it('a certificate that survives a JSON round trip', () => {
    expect(verifyCertificate(JSON.parse(JSON.stringify(valid)), POLICY).ok).toBe(true);
  });

  it('an older checkpoint, with the state as of that tree size', () => {
    const verdict = verifyCertificate(certificateFor('tok_A', 5), POLICY);
    expect(verdict).toMatchObject({ ok: true, owner: 'acct_buyer2', treeSize: 5 });
  });

  it('each entry as a C2SP tlog-proof@v1 text that proves it alone', () => {
    valid.entries.forEach((item) => {
      const parsed = parseTlogProof(item.tlogProof);
      expect(parsed.index).toBe(item.index);
      expect(parsed.checkpoint).toBe(valid.checkpoint);
      expect(toBase64(parsed.extra!)).toBe(item.entry);
      expect(() =>
        verifyInclusion(leafHash(parsed.extra!), parsed.index, 9, parsed.proof, tree.root(9)),
      ).not.toThrow();
    });
    expect(valid.entries[1]!.tlogProof).toMatch(/^c2sp\.org\/tlog-proof@v1\nextra [^\n]+\nindex 2\n/);
  });

  it('a maximum age, from the newest trusted cosignature/v1 timestamp', () => {
    const at = 1_767_000_000;
    const cosigners = [regulator, auditor].map((w, i) =>
      parseCosignatureSignerKey(w.signerKey, () => at + i),
    );
    const cert = certificateFor(
      'tok_A',
      9,
      addSignatures(signNote(checkpointBody(9), [operator.signer]), cosigners),
    );
    expect(verifyCertificate(cert, POLICY, { maxAgeSeconds: 60, now: at + 61 })).toMatchObject({
      ok: true,
      cosignedAt: at + 1,
    });
    expect(errorsOf(cert, POLICY, { maxAgeSeconds: 60, now: at + 62 }).join('\n')).toMatch(
      /last co-signed at 2025-12-29T09:20:01.000Z, older than your maximum age of 60 s/,
    );
  });

  it('co-signatures by unknown witnesses, which are ignored', () => {
    const cert = certificateFor('tok_A', LOG.length, addSignatures(valid.checkpoint, [rogue.signer]));
    expect(verifyCertificate(cert, POLICY)).toMatchObject({
      ok: true,
      witnesses: [regulator.name, auditor.name],
    });
  });
});

describe('verifyCertificate rejects', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['a non-object', () => errorsOf(null), /not a JSON object/],
    ['another format', () => errorsOf({ ...valid, format: 'heirloom-certificate/v1' }), /format must be/],
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
      /witness quorum not met: your policy requires 2 of \(regulator\.example\/witness, auditor\.example\/witness\); cosigned by: regulator\.example\/witness$/m,
    ],
    [
      'a rogue co-signature standing in for a witness the user trusts',
      () => errorsOf(certificateFor('tok_A', 9, checkpointNote(9, [regulator, rogue]))),
      /witness quorum not met: your policy requires 2 of/,
    ],
    [
      'a certificate stripped of its cosignatures that lowers its own quorum to 0',
      () => {
        const cert = certificateFor('tok_A', 9, checkpointNote(9, []));
        return errorsOf({ ...cert, quorum: { ...cert.quorum, required: 0 } });
      },
      /witness quorum not met: your policy requires 2 of .*; cosigned by: none/,
    ],
    [
      'the same, checked with a plain key list',
      () => {
        const cert = certificateFor('tok_A', 9, checkpointNote(9, []));
        return errorsOf({ ...cert, quorum: { ...cert.quorum, required: 0 } }, TRUSTED);
      },
      /witness quorum not met/,
    ],
    [
      'a policy without a log key',
      () => errorsOf(valid, [regulator.verifierKey, auditor.verifierKey]),
      /your policy names no log key/,
    ],
    [
      'a policy trusting another log',
      () =>
        errorsOf(
          valid,
          policyFromKeys({ logKeys: [key('other.example/log', 98).verifierKey], witnessKeys: [] }),
        ),
      /the certificate's log "heirloom\.example\/ledger" is not a log your policy trusts \("other\.example\/log"\)/,
    ],
    [
      'an impostor operator key under the right name',
      () => errorsOf(valid, [key(ORIGIN, 99).verifierKey, regulator.verifierKey, auditor.verifierKey]),
      /checkpoint is not signed by the log key "heirloom\.example\/ledger" your policy trusts/,
    ],
    ['no trusted keys', () => errorsOf(valid, []), /no trusted verifier keys were given/],
    [
      'verifierKeys that disagree with the quorum they describe',
      () => errorsOf({ ...valid, verifierKeys: [operator.verifierKey, auditor.verifierKey] }),
      /verifierKeys must be the keys of quorum\.operatorKey and quorum\.witnesses/,
    ],
    [
      'a malformed verifier key',
      () => errorsOf({ ...valid, verifierKeys: [...TRUSTED, 'nope'] }),
      /verifierKeys\[3\] is not a valid verifier key/,
    ],
    [
      'another origin',
      () => errorsOf({ ...valid, origin: 'evil.example/ledger' }),
      /the certificate's log "evil\.example\/ledger" is not a log your policy trusts/,
    ],
    [
      'an unexpected origin',
      () => errorsOf(valid, POLICY, { expectedOrigin: 'other.example/ledger' }),
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
    [
      'a history missing its newest entry (the seller after the sale)',
      () => errorsOf({ ...valid, entries: valid.entries.slice(0, -1) }),
      /map proof is for log index 8, but the certificate's newest entry is 7/,
    ],
    [
      'a history missing its newest entry, with the older map proof of the entry it ends on',
      () => {
        const older = buildTokenMapProof(mapEntries(8), 'tok_A')!;
        return errorsOf({
          ...valid,
          entries: valid.entries.slice(0, -1),
          map: { index: older.index, siblings: older.siblings.map(toBase64) },
        });
      },
      /map proof failed: entry 7 is not the token's latest as of checkpoint #9/,
    ],
    [
      'a map proof with a sibling changed',
      () => {
        const siblings = [...valid.map.siblings];
        siblings[0] = toBase64(new Uint8Array(32).fill(7));
        return errorsOf({ ...valid, map: { ...valid.map, siblings } });
      },
      /map proof failed/,
    ],
    [
      'a checkpoint that commits to no token map',
      () => {
        const body = formatCheckpoint({ origin: ORIGIN, size: 9, rootHash: tree.root(9) });
        const note = addSignatures(signNote(body, [operator.signer]), [regulator.signer, auditor.signer]);
        return errorsOf(certificateFor('tok_A', 9, note));
      },
      /commits to no token map/,
    ],
    [
      "a tlog-proof text that is not the entry's",
      () =>
        errorsOf({
          ...valid,
          entries: valid.entries.map((item, i) =>
            i === 1 ? { ...item, tlogProof: valid.entries[0]!.tlogProof } : item,
          ),
        }),
      /entries\[1\] \(log index 2\): tlogProof is not the tlog-proof@v1 text/,
    ],
    [
      'a maximum age without timestamped cosignatures',
      () => errorsOf(valid, POLICY, { maxAgeSeconds: 3600 }),
      /its age is unknown/,
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
        if (verifyCertificate(replace(mutated), POLICY).ok) survivors.push(path.join('.'));
      } else if (typeof value === 'number') {
        if (verifyCertificate(replace(value + 1), POLICY).ok) survivors.push(path.join('.'));
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
    expect(verifyCertificate(broken, POLICY)).toEqual(verifyCertificate(broken, POLICY));
  });
});
