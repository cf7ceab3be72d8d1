import { describe, expect, it } from 'vitest';
import { concatBytes, toBase64, utf8 } from './bytes.js';
import { generateKey, keyHash } from './note.js';
import {
  type QuorumRule,
  describeQuorum,
  formatTlogPolicy,
  parseTlogPolicy,
  policyFromKeys,
  policyFromTrustedKeys,
  quorumMet,
} from './tlog-policy.js';

const vkey = (name: string, seed: number) => generateKey(name, new Uint8Array(32).fill(seed)).verifierKey;
const LOG = vkey('example.com/log', 1);
const [X1, X2, X3, Y1, Y2, Y3] = [2, 3, 4, 5, 6, 7].map((seed) => vkey(`w${seed}.example`, seed));
/** A type 0x04 (cosignature/v1) witness vkey, as tlog-cosignature defines it. */
function cosignatureVkey(name: string, publicKey: Uint8Array): string {
  const encoded = concatBytes(Uint8Array.of(0x04), publicKey);
  return `${name}+${keyHash(name, encoded).toString(16).padStart(8, '0')}+${toBase64(encoded)}`;
}

// The spec's example policy (c2sp.org/tlog-policy, "Example policy") with real keys in place of <vkey>.
const EXAMPLE = `log ${LOG}

witness X1 ${X1}
witness X2 ${X2}
witness X3 ${X3}
group X-witnesses 2 X1 X2 X3

witness Y1 ${Y1}
witness Y2 ${Y2}
witness Y3 ${Y3}
group Y-witnesses any Y1 Y2 Y3

group X-and-Y all X-witnesses Y-witnesses
quorum X-and-Y
`;

describe('parseTlogPolicy', () => {
  it("parses the spec's example and evaluates its two-level quorum", () => {
    const policy = parseTlogPolicy(EXAMPLE);
    expect(policy.logs).toEqual([{ verifierKey: LOG, origin: 'example.com/log' }]);
    expect(policy.witnesses.map((w) => [w.name, w.keyName])).toEqual([
      ['X1', 'w2.example'],
      ['X2', 'w3.example'],
      ['X3', 'w4.example'],
      ['Y1', 'w5.example'],
      ['Y2', 'w6.example'],
      ['Y3', 'w7.example'],
    ]);
    const met = (...names: string[]) => quorumMet(policy.quorum, new Set(names));
    expect(met('X1', 'X3', 'Y2')).toBe(true);
    expect(met('X1', 'X2', 'X3')).toBe(false); // no Y
    expect(met('X1', 'Y1', 'Y2', 'Y3')).toBe(false); // one X
    expect(met()).toBe(false);
    expect(describeQuorum(policy.quorum)).toBe(
      '2 of (2 of (w2.example, w3.example, w4.example), 1 of (w5.example, w6.example, w7.example))',
    );
  });

  it('accepts comments, tabs, leading and trailing whitespace, URLs, a missing final newline', () => {
    const policy = parseTlogPolicy(
      `# trusted\n\t log ${LOG}  https://log.example/ \n  # a witness\nwitness\tA ${X1}\thttps://w.example/\nquorum A`,
    );
    expect(policy.logs[0]!.url).toBe('https://log.example/');
    expect(policy.witnesses[0]!.url).toBe('https://w.example/');
    expect(quorumMet(policy.quorum, new Set(['A']))).toBe(true);
  });

  it('quorum none needs no cosignature; a witness quorum needs that witness', () => {
    expect(quorumMet(parseTlogPolicy(`log ${LOG}\nquorum none\n`).quorum, new Set())).toBe(true);
    const single = parseTlogPolicy(`witness A ${X1}\nquorum A\n`);
    expect(quorumMet(single.quorum, new Set())).toBe(false);
    expect(single.logs).toEqual([]); // allowed: the log may be known from context
  });

  it('accepts cosignature/v1 (type 0x04) witness keys', () => {
    const key = cosignatureVkey('witness.example/w1', new Uint8Array(32).fill(8));
    expect(parseTlogPolicy(`witness A ${key}\nquorum A\n`).witnesses[0]!.keyName).toBe('witness.example/w1');
  });

  it('treats names as opaque bytes: "K" and the Kelvin sign are different witnesses', () => {
    const policy = parseTlogPolicy(`witness K ${X1}\nwitness \u212a ${X2}\ngroup g all K \u212a\nquorum g\n`);
    expect(policy.witnesses).toHaveLength(2);
    const [ascii, kelvin] = policy.witnesses.map((w) => w.name);
    expect(quorumMet(policy.quorum, new Set([ascii!]))).toBe(false);
    expect(quorumMet(policy.quorum, new Set([ascii!, kelvin!]))).toBe(true);
  });

  const bad: [string, string | Uint8Array, RegExp][] = [
    ['no quorum line', `log ${LOG}\n`, /no quorum line/],
    [
      'two quorum lines',
      `log ${LOG}\nquorum none\nquorum none\n`,
      /line 3: a policy has exactly one quorum line/,
    ],
    ['a quorum defined later', `quorum A\nwitness A ${X1}\n`, /line 1: A is not defined on an earlier line/],
    [
      'a group member defined later',
      `group g any A\nwitness A ${X1}\nquorum g\n`,
      /line 1: A is not defined/,
    ],
    [
      'none as a group member',
      `witness A ${X1}\ngroup g any A none\nquorum g\n`,
      /"none" cannot be a group member/,
    ],
    ['defining none', `witness none ${X1}\nquorum none\n`, /name none is already defined/],
    [
      'a name defined twice',
      `witness A ${X1}\nwitness A ${X2}\nquorum A\n`,
      /line 2: name A is already defined/,
    ],
    [
      'a member listed twice',
      `witness A ${X1}\nwitness B ${X2}\ngroup g 1 A A\nquorum g\n`,
      /line 3: A is already a group member/,
    ],
    [
      'a member of two groups',
      `witness A ${X1}\nwitness B ${X2}\ngroup g any A\ngroup h any A B\nquorum h\n`,
      /line 4: A is already a group member/,
    ],
    ['threshold 0', `witness A ${X1}\ngroup g 0 A\nquorum g\n`, /threshold must be all, any or 1 to 1/],
    ['threshold above n', `witness A ${X1}\ngroup g 2 A\nquorum g\n`, /threshold must be/],
    ['a group without members', `group g any\nquorum g\n`, /expected "group <name>/],
    [
      'duplicate logs',
      `log ${LOG}\nlog ${LOG}\nquorum none\n`,
      /line 2: log key example\.com\/log has the same public key/,
    ],
    [
      'a duplicate witness key under another name',
      `witness A ${X1}\nwitness B ${vkey('renamed.example', 2)}\nquorum A\n`,
      /line 2: witness key renamed\.example has the same public key as the witness key w2\.example/,
    ],
    ['a log that witnesses itself', `log ${LOG}\nwitness A ${vkey('x', 1)}\nquorum A\n`, /same public key/],
    [
      'a bad key hash',
      `log ${LOG.replace(/\+[0-9a-f]{8}\+/, '+00000000+')}\nquorum none\n`,
      /hash does not match/,
    ],
    ['a malformed key', `log nope\nquorum none\n`, /malformed verifier key "nope"/],
    [
      'a log key of the cosignature type',
      `log ${cosignatureVkey('example.com/log', new Uint8Array(32).fill(1))}\nquorum none\n`,
      /must be an Ed25519 note key \(type 0x01\), not 0x04/,
    ],
    ['an unknown keyword', `logs ${LOG}\nquorum none\n`, /line 1: unknown keyword logs/],
    ['a carriage return', `log ${LOG}\r\nquorum none\n`, /line 1: carriage return not allowed/],
    ['a control character', `# \u0001\nquorum none\n`, /line 1: control character/],
    ['DEL', `# \u007f\nquorum none\n`, /control character/],
    ['extra words', `quorum none extra\n`, /expected "quorum <name>"/],
    [
      'a log line with too many items',
      `log ${LOG} https://a https://b\nquorum none\n`,
      /expected "log <vkey>/,
    ],
  ];
  it.each(bad)('rejects %s', (_, text, message) => {
    expect(() => parseTlogPolicy(text)).toThrow(message);
  });
});

describe('formatTlogPolicy', () => {
  it('writes a policy that parses back to the same policy', () => {
    const policy = parseTlogPolicy(EXAMPLE);
    const text = formatTlogPolicy(policy, ['Example log: recommended policy']);
    expect(text.split('\n')[0]).toBe('# Example log: recommended policy');
    expect(parseTlogPolicy(text)).toEqual(policy);
  });

  it('writes k-of-n groups as all, any or a number', () => {
    const rule = (threshold: number): QuorumRule => ({
      kind: 'group',
      name: 'ws',
      threshold,
      members: [
        { kind: 'witness', name: 'a', keyName: 'w2.example' },
        { kind: 'witness', name: 'b', keyName: 'w3.example' },
        { kind: 'witness', name: 'c', keyName: 'w4.example' },
      ],
    });
    const witnesses = [
      { name: 'a', verifierKey: X1!, keyName: 'w2.example' },
      { name: 'b', verifierKey: X2!, keyName: 'w3.example' },
      { name: 'c', verifierKey: X3!, keyName: 'w4.example' },
    ];
    const lineOf = (k: number) =>
      formatTlogPolicy({ logs: [], witnesses, quorum: rule(k) })
        .split('\n')
        .find((line) => line.startsWith('group'));
    expect(lineOf(3)).toBe('group ws all a b c');
    expect(lineOf(1)).toBe('group ws any a b c');
    expect(lineOf(2)).toBe('group ws 2 a b c');
  });
});

describe('policyFromKeys', () => {
  it('requires every witness given unless a quorum is stated', () => {
    const all = policyFromKeys({ logKeys: [LOG], witnessKeys: [X1!, X2!] });
    expect(describeQuorum(all.quorum)).toBe('2 of (w2.example, w3.example)');
    const one = policyFromKeys({ logKeys: [LOG], witnessKeys: [X1!, X2!], quorum: 1 });
    expect(describeQuorum(one.quorum)).toBe('1 of (w2.example, w3.example)');
    expect(policyFromKeys({ logKeys: [LOG], witnessKeys: [] }).quorum).toEqual({ kind: 'none' });
    expect(() => policyFromKeys({ logKeys: [LOG], witnessKeys: [X1!], quorum: 2 })).toThrow(
      /quorum must be between 0 and the 1 witness keys given/,
    );
  });

  it('sorts a plain key list by the origin: the log is the key named like it', () => {
    const policy = policyFromTrustedKeys([X1!, LOG, X2!], 'example.com/log');
    expect(policy.logs.map((log) => log.origin)).toEqual(['example.com/log']);
    expect(policy.witnesses.map((w) => w.keyName)).toEqual(['w2.example', 'w3.example']);
  });

  it('the bytes of a policy, not a decoded string, decide', () => {
    expect(parseTlogPolicy(utf8(`log ${LOG}\nquorum none\n`)).logs).toHaveLength(1);
    expect(() => parseTlogPolicy(Uint8Array.of(0x6c, 0x6f, 0x67, 0x20, 0xff, 0x0a))).toThrow(
      /log key is not valid UTF-8/,
    );
  });
});
