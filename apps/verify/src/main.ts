#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verifyCertificate } from '#ledger-core';

const USAGE =
  'usage: heirloom-verify CERT.json --key VERIFIER_KEY [--key …] [--origin ORIGIN] [--min-witnesses N]';

/** Offline verification of an ownership certificate against keys the user trusts. */
function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      key: { type: 'string', multiple: true, default: [] },
      origin: { type: 'string' },
      'min-witnesses': { type: 'string' },
    },
  });
  if (positionals.length !== 1 || values.key.length === 0) {
    console.error(USAGE);
    return 2;
  }
  let certificate: unknown;
  try {
    certificate = JSON.parse(readFileSync(positionals[0], 'utf8'));
  } catch (error) {
    console.error(`INVALID certificate: cannot read ${positionals[0]} as JSON: ${(error as Error).message}`);
    return 1;
  }
  const verdict = verifyCertificate(certificate, values.key, {
    expectedOrigin: values.origin,
    minWitnesses: values['min-witnesses'] === undefined ? undefined : Number(values['min-witnesses']),
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
  return 0;
}

process.exit(main(process.argv.slice(2)));
