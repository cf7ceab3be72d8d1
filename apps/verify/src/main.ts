#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  type TlogPolicy,
  parseTlogPolicy,
  policyFromKeys,
  policyFromTrustedKeys,
  verifyCertificate,
} from '#ledger-core';

const USAGE = `usage: heirloom-verify CERT.json --policy POLICY_FILE [--origin ORIGIN]
       heirloom-verify CERT.json --log-key VKEY [--witness-key VKEY …] [--quorum N] [--origin ORIGIN]

Checks an ownership certificate offline against what YOU trust, never against the keys or quorum
the certificate itself lists:
  --policy FILE       a C2SP tlog-policy file (log key, witness keys, quorum), e.g. the one the
                      platform publishes at GET /ledger/policy, checked once and kept
  --log-key VKEY      the log's verifier key (its name is the log's origin)
  --witness-key VKEY  a witness's verifier key (repeatable)
  --quorum N          how many of those witnesses must have cosigned (default: all of them)
  --origin ORIGIN     the log origin you expect
  --max-age AGE       refuse a checkpoint last co-signed longer ago than AGE (e.g. 90s, 30m,
                      24h, 7d): how current "current owner" must be
  --key VKEY          older form: keys named like the origin are the log's, the others witnesses
                      that must all have cosigned`;

class UsageError extends Error {}

interface Options {
  certificateFile: string;
  policy: (origin: string) => TlogPolicy;
  origin?: string;
  maxAgeSeconds?: number;
}

const AGE_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "90s", "30m", "24h", "7d" (or plain seconds) as seconds. */
function parseAge(text: string): number {
  const match = /^([0-9]{1,9})([smhd]?)$/.exec(text);
  if (!match)
    throw new UsageError(`--max-age must be a duration such as 90s, 30m, 24h or 7d (got "${text}")`);
  return Number(match[1]) * AGE_UNITS[match[2] || 's']!;
}

function readOptions(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        policy: { type: 'string' },
        'log-key': { type: 'string', multiple: true, default: [] },
        'witness-key': { type: 'string', multiple: true, default: [] },
        quorum: { type: 'string' },
        key: { type: 'string', multiple: true, default: [] },
        origin: { type: 'string' },
        'max-age': { type: 'string' },
      },
    });
  } catch (error) {
    const message = (error as Error).message;
    throw new UsageError(
      message.includes('--min-witnesses')
        ? '--min-witnesses is gone: use --quorum N (default: all witnesses)'
        : message,
    );
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('give exactly one certificate file');
  const forms = [values.policy !== undefined, values['log-key'].length > 0, values.key.length > 0];
  if (forms.filter(Boolean).length !== 1) {
    throw new UsageError(
      'give what you trust in one way: --policy, --log-key (with --witness-key), or --key',
    );
  }
  if (values.quorum !== undefined && values['log-key'].length === 0) {
    throw new UsageError(
      '--quorum goes with --log-key and --witness-key; a policy file has its own quorum line',
    );
  }
  const quorum = values.quorum === undefined ? undefined : Number(values.quorum);
  if (quorum !== undefined && !/^[0-9]+$/.test(values.quorum!))
    throw new UsageError('--quorum must be a number');

  let policy: (origin: string) => TlogPolicy;
  if (values.policy !== undefined) {
    const bytes = new Uint8Array(readFileSync(values.policy));
    policy = () => parseTlogPolicy(bytes);
  } else if (values['log-key'].length > 0) {
    const fixed = policyFromKeys({ logKeys: values['log-key'], witnessKeys: values['witness-key'], quorum });
    policy = () => fixed;
  } else {
    // Older form: sort the keys by the origin the user expects (or, failing that, the certificate's).
    const keys = values.key;
    policy = (origin) => policyFromTrustedKeys(keys, origin);
  }
  const maxAge = values['max-age'];
  return {
    certificateFile: positionals[0]!,
    policy,
    origin: values.origin,
    ...(maxAge === undefined ? {} : { maxAgeSeconds: parseAge(maxAge) }),
  };
}

/** Offline verification of an ownership certificate against the policy its user trusts. */
function main(argv: string[]): number {
  let options: Options;
  try {
    options = readOptions(argv);
  } catch (error) {
    console.error(
      `${error instanceof UsageError ? '' : 'heirloom-verify: '}${(error as Error).message}\n\n${USAGE}`,
    );
    return 2;
  }
  let certificate: unknown;
  try {
    certificate = JSON.parse(readFileSync(options.certificateFile, 'utf8'));
  } catch (error) {
    console.error(
      `INVALID certificate: cannot read ${options.certificateFile} as JSON: ${(error as Error).message}`,
    );
    return 1;
  }
  const claimedOrigin = (certificate as { origin?: unknown } | null)?.origin;
  let policy: TlogPolicy;
  try {
    policy = options.policy(options.origin ?? (typeof claimedOrigin === 'string' ? claimedOrigin : ''));
  } catch (error) {
    console.error(`heirloom-verify: what you trust is not usable: ${(error as Error).message}`);
    return 2;
  }
  const verdict = verifyCertificate(certificate, policy, {
    expectedOrigin: options.origin,
    maxAgeSeconds: options.maxAgeSeconds,
  });
  if (!verdict.ok) {
    console.error('INVALID certificate:');
    for (const error of verdict.errors) console.error(`  - ${error}`);
    return 1;
  }
  console.log(
    `VALID: token ${verdict.token} is owned by ${verdict.owner ?? 'nobody'} (${verdict.status}) since ${verdict.since}`,
  );
  console.log(
    `  as of checkpoint ${verdict.origin} #${verdict.treeSize}, co-signed by: ${verdict.witnesses.join(', ') || 'no witnesses'}`,
  );
  console.log(
    verdict.cosignedAt === undefined
      ? '  checkpoint time: unknown (no timestamped witness cosignature)'
      : `  checkpoint last co-signed at: ${new Date(verdict.cosignedAt * 1000).toISOString()}`,
  );
  console.log(
    "  the history is complete: its newest entry is the token's latest in the checkpoint's token map",
  );
  console.log(`  your policy requires: ${verdict.quorum}`);
  return 0;
}

process.exit(main(process.argv.slice(2)));
