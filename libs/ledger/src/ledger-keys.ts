import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeirloomConfig } from '#config';
import {
  fromBase64,
  generateKey,
  parseSignerKey,
  parseVerifierKey,
  type Ed25519NoteVerifier,
  type NoteSigner,
} from './core/index.js';

/** The operator's checkpoint key and the allow-listed witness keys. */
export class LedgerKeys {
  constructor(
    readonly signer: NoteSigner,
    readonly operatorVerifierKey: string,
    readonly witnesses: Ed25519NoteVerifier[],
    readonly quorum: number,
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
    config.ledgerWitnessKeys.map((key) => parseVerifierKey(key)),
    config.ledgerWitnessQuorum,
  );
}

/** The verifier key matching a `PRIVATE+KEY+name+hash+base64(0x01‖seed)` signer key. */
export function verifierKeyOf(signerKey: string): string {
  // Base64 may itself contain '+': only the first four are separators.
  const [, , name, , ...key] = signerKey.split('+');
  const seed = fromBase64(key.join('+')).slice(1);
  return generateKey(name, seed).verifierKey;
}
