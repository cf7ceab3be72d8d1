import { describe, expect, it } from 'vitest';
import { generateKey } from './core/index.js';
import { verifierKeyOf } from './ledger-keys.js';

describe('verifierKeyOf', () => {
  it('derives the verifier key of any signer key, including ones whose base64 contains "+"', () => {
    let withPlus = 0;
    for (let i = 0; i < 64; i++) {
      const { signerKey, verifierKey } = generateKey('heirloom.test/ledger');
      if (signerKey.split('+').length > 5) withPlus++;
      expect(verifierKeyOf(signerKey)).toBe(verifierKey);
    }
    expect(withPlus).toBeGreaterThan(0); // the case that used to break start-up was exercised
  });
});
