/**
 * C2SP tlog-policy (https://c2sp.org/tlog-policy): which logs and witnesses a verifier trusts and
 * which witness cosignatures a checkpoint needs. A verifier's policy comes from the user (a policy
 * file or keys given on the command line), never from the file it checks.
 */
import { fromUtf8, tryFromBase64, utf8 } from './bytes.js';
import { parseCosignatureVerifierKey } from './cosignature.js';
import { LedgerCoreError } from './errors.js';
import { isValidKeyName, keyHash, parseVerifierKey, type NoteVerifier } from './note.js';

/** A policy file or key list was rejected; the message names the line. */
export class PolicyError extends LedgerCoreError<'invalid-policy'> {}

/** Signature types of verifier keys (signed-note vkeys): 0x01 Ed25519 note, 0x04 Ed25519 cosignature/v1. */
export const KEY_TYPE_ED25519 = 0x01;
export const KEY_TYPE_COSIGNATURE_V1 = 0x04;

export interface PolicyLog {
  /** The vkey; its key name is the log's origin. */
  readonly verifierKey: string;
  readonly origin: string;
  readonly url?: string;
}

export interface PolicyWitness {
  /** The policy-local name (used by groups and the quorum line), an opaque octet string: one char per byte. */
  readonly name: string;
  readonly verifierKey: string;
  /** The key name that appears on the witness's signature lines. */
  readonly keyName: string;
  readonly url?: string;
}

/** A witness, a k-of-n group of rules, or `none`. */
export type QuorumRule =
  | { readonly kind: 'none' }
  | { readonly kind: 'witness'; readonly name: string; readonly keyName: string }
  | {
      readonly kind: 'group';
      readonly name: string;
      readonly threshold: number;
      readonly members: readonly QuorumRule[];
    };

export interface TlogPolicy {
  readonly logs: readonly PolicyLog[];
  readonly witnesses: readonly PolicyWitness[];
  readonly quorum: QuorumRule;
}

interface DecodedVkey {
  readonly name: string;
  readonly type: number;
  /** Key material after the type byte. */
  readonly publicKey: Uint8Array;
}

/** Decodes a vkey of any signature type, checking its key hash; 0x01 and 0x04 keys must be 32-byte Ed25519. */
export function decodeVerifierKey(vkey: string): DecodedVkey {
  const parts = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey);
  const key = parts && tryFromBase64(parts[3]!);
  if (!parts || !key || key.length < 2 || !isValidKeyName(parts[1]!)) {
    throw new PolicyError('invalid-policy', `malformed verifier key ${JSON.stringify(vkey)}`);
  }
  const [, name, hash] = parts as unknown as [string, string, string];
  if (parseInt(hash, 16) !== keyHash(name, key)) {
    throw new PolicyError('invalid-policy', `verifier key hash does not match its key (${name})`);
  }
  const type = key[0]!;
  if ((type === KEY_TYPE_ED25519 || type === KEY_TYPE_COSIGNATURE_V1) && key.length !== 33) {
    throw new PolicyError('invalid-policy', `verifier key ${name} is not a 32-byte Ed25519 key`);
  }
  return { name, type, publicKey: key.slice(1) };
}

/**
 * The signature verifiers of a witness vkey: cosignature/v1 for a 0x04 key; for a plain Ed25519
 * (0x01) key, cosignature/v1 by the same key pair (as Go's transparency-dev/formats accepts) and,
 * for checkpoints co-signed before cosignature/v1, a plain note signature.
 */
export function witnessVerifiers(vkey: string): NoteVerifier[] {
  const { name, type } = decodeVerifierKey(vkey);
  if (type === KEY_TYPE_COSIGNATURE_V1) return [parseCosignatureVerifierKey(vkey)];
  if (type === KEY_TYPE_ED25519) return [parseCosignatureVerifierKey(vkey), parseVerifierKey(vkey)];
  throw new PolicyError(
    'invalid-policy',
    `witness key ${name} has unsupported signature type 0x${hex2(type)}`,
  );
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** True when the witnesses whose keys signed (by policy-local name) satisfy the rule. */
export function quorumMet(rule: QuorumRule, cosigned: ReadonlySet<string>): boolean {
  if (rule.kind === 'none') return true;
  if (rule.kind === 'witness') return cosigned.has(rule.name);
  return rule.members.filter((member) => quorumMet(member, cosigned)).length >= rule.threshold;
}

/** One-line description of a rule for people, e.g. "2 of (a, b, c)". */
export function describeQuorum(rule: QuorumRule): string {
  if (rule.kind === 'none') return 'no witness cosignatures';
  if (rule.kind === 'witness') return rule.keyName;
  const members = rule.members.map(describeQuorum).join(', ');
  return rule.members.length === 1 ? members : `${rule.threshold} of (${members})`;
}

/**
 * A policy from keys given directly (the CLI's --log-key / --witness-key / --quorum). Without a
 * quorum every witness given must have cosigned: the user named them, so none is silently optional.
 */
export function policyFromKeys(input: {
  logKeys: readonly string[];
  witnessKeys: readonly string[];
  quorum?: number;
}): TlogPolicy {
  const lines = [
    ...input.logKeys.map((key) => `log ${key}`),
    ...input.witnessKeys.map((key, i) => `witness w${i + 1} ${key}`),
  ];
  const n = input.witnessKeys.length;
  const k = input.quorum ?? n;
  if (!Number.isSafeInteger(k) || k < 0 || k > n) {
    throw new PolicyError('invalid-policy', `quorum must be between 0 and the ${n} witness keys given`);
  }
  if (k === 0) lines.push('quorum none');
  else
    lines.push(
      `group witnesses ${k} ${input.witnessKeys.map((_, i) => `w${i + 1}`).join(' ')}`,
      'quorum witnesses',
    );
  return parseTlogPolicy(lines.join('\n') + '\n');
}

/** Formats a policy as a tlog-policy file; `comment` lines go first, each prefixed with "# ". */
export function formatTlogPolicy(policy: TlogPolicy, comment: readonly string[] = []): string {
  const out = comment.map((line) => `# ${line}`);
  for (const log of policy.logs) out.push(['log', log.verifierKey, log.url].filter(Boolean).join(' '));
  for (const w of policy.witnesses) {
    out.push(['witness', displayName(w.name), w.verifierKey, w.url].filter(Boolean).join(' '));
  }
  const groups: string[] = [];
  const nameOf = (rule: QuorumRule): string => {
    if (rule.kind === 'none') return 'none';
    if (rule.kind === 'witness') return displayName(rule.name);
    const members = rule.members.map(nameOf);
    const k =
      rule.threshold === members.length ? 'all' : rule.threshold === 1 ? 'any' : String(rule.threshold);
    groups.push(`group ${displayName(rule.name)} ${k} ${members.join(' ')}`);
    return displayName(rule.name);
  };
  const quorum = nameOf(policy.quorum);
  out.push(...groups, `quorum ${quorum}`);
  const text = out.join('\n') + '\n';
  parseTlogPolicy(text); // never publish a policy we would not accept ourselves
  return text;
}

// Names are opaque octet strings: work on a "binary string" (one char per byte) so that comparing
// names compares bytes, and turn them into text only for display.
const toBinary = (bytes: Uint8Array) => Array.from(bytes, (b) => String.fromCharCode(b)).join('');
const fromBinary = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
/** A policy name as text for people (names are kept as one char per byte). */
export function displayName(name: string): string {
  try {
    return fromUtf8(fromBinary(name));
  } catch {
    return JSON.stringify(name);
  }
}

/**
 * Parses a tlog-policy file strictly: only tab, newline and printable octets; every name defined
 * before use and at most once; duplicate log or witness keys rejected; exactly one quorum line.
 * Also rejects a witness that shares a public key with a log (the log must not witness itself).
 * A final line without its newline is accepted.
 */
export function parseTlogPolicy(file: string | Uint8Array): TlogPolicy {
  const bytes = typeof file === 'string' ? utf8(file) : file;
  const logs: PolicyLog[] = [];
  const witnesses: PolicyWitness[] = [];
  const rules = new Map<string, QuorumRule>([['none', { kind: 'none' }]]);
  const usedAsMember = new Set<string>();
  const publicKeys = new Map<string, string>();
  let quorum: QuorumRule | undefined;

  const text = toBinary(bytes);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const fail = (message: string): never => {
      throw new PolicyError('invalid-policy', `policy line ${i + 1}: ${message}`);
    };
    for (let j = 0; j < line.length; j++) {
      const c = line.charCodeAt(j);
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
        fail(
          c === 0x0d
            ? 'carriage return not allowed (save the file with LF line endings)'
            : 'control character',
        );
      }
    }
    const items = line.split(/[ \t]+/).filter((item) => item !== '');
    if (items.length === 0 || items[0]!.startsWith('#')) return;
    const [keyword, ...args] = items as [string, ...string[]];
    const vkey = (item: string, role: string): { vkey: string; decoded: DecodedVkey } => {
      let vkeyText: string;
      try {
        vkeyText = fromUtf8(fromBinary(item));
      } catch {
        return fail(`${role} key is not valid UTF-8`);
      }
      let decoded: DecodedVkey;
      try {
        decoded = decodeVerifierKey(vkeyText);
      } catch (error) {
        return fail((error as Error).message);
      }
      const id = `${decoded.publicKey.join(',')}`;
      const previous = publicKeys.get(id);
      if (previous !== undefined) fail(`${role} key ${decoded.name} has the same public key as ${previous}`);
      publicKeys.set(id, `the ${role} key ${decoded.name}`);
      return { vkey: vkeyText, decoded };
    };
    const defineName = (name: string) => {
      if (rules.has(name)) fail(`name ${displayName(name)} is already defined`);
    };
    const url = (item: string | undefined) => (item === undefined ? {} : { url: displayName(item) });

    switch (keyword) {
      case 'log': {
        if (args.length < 1 || args.length > 2) fail('expected "log <vkey> [<url>]"');
        const { vkey: key, decoded } = vkey(args[0]!, 'log');
        if (decoded.type !== KEY_TYPE_ED25519) {
          fail(
            `log key ${decoded.name} must be an Ed25519 note key (type 0x01), not 0x${hex2(decoded.type)}`,
          );
        }
        logs.push({ verifierKey: key, origin: decoded.name, ...url(args[1]) });
        return;
      }
      case 'witness': {
        if (args.length < 2 || args.length > 3) fail('expected "witness <name> <vkey> [<url>]"');
        const name = args[0]!;
        defineName(name);
        const { vkey: key, decoded } = vkey(args[1]!, 'witness');
        if (decoded.type !== KEY_TYPE_ED25519 && decoded.type !== KEY_TYPE_COSIGNATURE_V1) {
          fail(`witness key ${decoded.name} has unsupported signature type 0x${hex2(decoded.type)}`);
        }
        witnesses.push({ name, verifierKey: key, keyName: decoded.name, ...url(args[2]) });
        rules.set(name, { kind: 'witness', name, keyName: decoded.name });
        return;
      }
      case 'group': {
        if (args.length < 3) fail('expected "group <name> all|any|<k> <name>..."');
        const [name, threshold, ...memberNames] = args as [string, string, ...string[]];
        defineName(name);
        const members = memberNames.map((member) => {
          const rule = rules.get(member);
          if (member === 'none') fail('"none" cannot be a group member');
          if (rule === undefined) fail(`${displayName(member)} is not defined on an earlier line`);
          if (usedAsMember.has(member)) fail(`${displayName(member)} is already a group member`);
          usedAsMember.add(member);
          return rule!;
        });
        const n = members.length;
        let k = threshold === 'all' ? n : threshold === 'any' ? 1 : NaN;
        if (/^[0-9]+$/.test(threshold)) k = Number(threshold);
        if (!Number.isSafeInteger(k) || k < 1 || k > n) fail(`threshold must be all, any or 1 to ${n}`);
        rules.set(name, { kind: 'group', name, threshold: k, members });
        return;
      }
      case 'quorum': {
        if (args.length !== 1) fail('expected "quorum <name>"');
        if (quorum !== undefined) fail('a policy has exactly one quorum line');
        const rule = rules.get(args[0]!);
        if (rule === undefined) fail(`${displayName(args[0]!)} is not defined on an earlier line`);
        quorum = rule;
        return;
      }
      default:
        fail(`unknown keyword ${displayName(keyword)}`);
    }
  });
  if (quorum === undefined) throw new PolicyError('invalid-policy', 'policy has no quorum line');
  return { logs, witnesses, quorum };
}

/**
 * A policy from an unsorted list of trusted keys (the CLI's older --key form): keys named like the
 * log's origin are the log's, every other key is a witness that must have cosigned.
 */
export function policyFromTrustedKeys(keys: readonly string[], origin: string): TlogPolicy {
  const isLog = (key: string) => decodeVerifierKey(key).name === origin;
  return policyFromKeys({ logKeys: keys.filter(isLog), witnessKeys: keys.filter((key) => !isLog(key)) });
}
