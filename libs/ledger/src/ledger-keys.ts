import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeirloomConfig } from '#config';
import {
  fromBase64,
  generateKey,
  parseCosignatureVerifierKey,
  parseSignerKey,
  parseVerifierKey,
  type Ed25519NoteVerifier,
  type NoteSigner,
} from './core/index.js';

/** A witness named in LEDGER_WITNESS_KEYS: seeds the run-time allow-list (WitnessRegistry). */
export interface SeedWitness {
  name: string;
  /** Its cosignature/v1 verifier key (type 0x04), converted from a plain Ed25519 key if need be. */
  verifierKey: string;
  /** Its tlog-witness submission prefix, from a `<key>@<url>` entry; absent: it is not pushed to. */
  url?: string;
}

/** The operator's checkpoint key, and the witnesses and quorum the environment seeds. */
export class LedgerKeys {
  constructor(
    readonly signer: NoteSigner,
    readonly operatorVerifierKey: string,
    readonly seedWitnesses: SeedWitness[],
    readonly seedQuorum: number,
  ) {}

  get operatorVerifier(): Ed25519NoteVerifier {
    return parseVerifierKey(this.operatorVerifierKey);
  }
}

/**
 * Loads LEDGER_SIGNER_KEY, or on a bare machine a key generated once into the data folder.
 * The key is named after the log's origin, as C2SP checkpoints expect.
 */
export function loadLedgerKeys(config: HeirloomConfig): LedgerKeys {
  let signerKey = config.ledgerSignerKey;
  if (!signerKey) {
    const file = join(config.dataDir, 'ledger-signer.key');
    if (!existsSync(file)) {
      mkdirSync(config.dataDir, { recursive: true });
      writeFileSync(file, generateKey(config.ledgerOrigin).signerKey + '\n', { mode: 0o600 });
    }
    signerKey = readFileSync(file, 'utf8').trim();
  }
  const signer = parseSignerKey(signerKey);
  if (signer.name !== config.ledgerOrigin) {
    throw new Error(
      `LEDGER_SIGNER_KEY is named "${signer.name}" but LEDGER_ORIGIN is "${config.ledgerOrigin}"`,
    );
  }
  return new LedgerKeys(
    signer,
    verifierKeyOf(signerKey),
    config.ledgerWitnessKeys.map(parseSeedWitness),
    config.ledgerWitnessQuorum,
  );
}

/** Reads one LEDGER_WITNESS_KEYS entry: a verifier key, optionally followed by `@<http(s) URL>`. */
export function parseSeedWitness(entry: string): SeedWitness {
  const at = entry.search(/@https?:\/\//);
  const key = at < 0 ? entry : entry.slice(0, at);
  const verifier = parseCosignatureVerifierKey(key);
  if (at < 0) return { name: verifier.name, verifierKey: verifier.verifierKey };
  const url = new URL(entry.slice(at + 1)).toString().replace(/\/+$/, '');
  return { name: verifier.name, verifierKey: verifier.verifierKey, url };
}

/** The verifier key matching a `PRIVATE+KEY+name+hash+base64(0x01‖seed)` signer key. */
export function verifierKeyOf(signerKey: string): string {
  // Base64 may itself contain '+': only the first four are separators.
  const [, , name, , ...key] = signerKey.split('+');
  const seed = fromBase64(key.join('+')).slice(1);
  return generateKey(name, seed).verifierKey;
}
