import { describe, expect, it } from 'vitest';
import { loadConfig } from '#config';
import {
  idNumberDigest,
  isValidResidentId,
  normalizeIdNumber,
  SandboxIdentityVerifier,
} from './real-name.js';

const PEPPER = 'a-test-pepper-of-at-least-32-characters';
const ID = '11010519491231002X';

describe('ID-number digests', () => {
  it('are HMAC-SHA256: 32 bytes, the same for the same number and pepper', () => {
    const digest = idNumberDigest(ID, PEPPER);
    expect(digest).toHaveLength(32);
    expect(idNumberDigest(ID, PEPPER).equals(digest)).toBe(true);
  });

  it('depend on the pepper and the number', () => {
    const digest = idNumberDigest(ID, PEPPER);
    expect(idNumberDigest(ID, PEPPER + '!').equals(digest)).toBe(false);
    expect(idNumberDigest('110105194912310021', PEPPER).equals(digest)).toBe(false);
  });

  it('treat spellings of one number as one: lower-case x, full-width characters, spaces', () => {
    const digest = idNumberDigest(ID, PEPPER);
    for (const spelling of [
      '11010519491231002x',
      ' 11010519491231002X ',
      '１１０１０５１９４９１２３１００２Ｘ',
    ]) {
      expect(normalizeIdNumber(spelling)).toBe(ID);
      expect(idNumberDigest(spelling, PEPPER).equals(digest), spelling).toBe(true);
    }
  });
});

describe('sandbox verifier', () => {
  it('accepts a well-formed number however it is spelled, and refuses a wrong check character', async () => {
    const verifier = new SandboxIdentityVerifier();
    expect(isValidResidentId(ID)).toBe(true);
    expect(await verifier.verify({ fullName: 'Li Lei', idNumber: '11010519491231002x' })).toEqual({
      status: 'verified',
    });
    expect((await verifier.verify({ fullName: 'Li Lei', idNumber: '110105194912310021' })).status).toBe(
      'rejected',
    );
  });
});

describe('ID_HASH_PEPPER', () => {
  it('has a dev default for a bare machine', () => {
    expect(loadConfig({}).idHashPepper).toBeTruthy();
  });

  it('must be a long secret when set', () => {
    expect(() => loadConfig({ ID_HASH_PEPPER: 'short' })).toThrow(/ID_HASH_PEPPER/);
    expect(loadConfig({ ID_HASH_PEPPER: PEPPER }).idHashPepper).toBe(PEPPER);
  });

  it('must be set with a live Stripe key: the default is public', () => {
    const live = { STRIPE_SECRET_KEY: 'sk_live_abc', STRIPE_WEBHOOK_SECRET: 'whsec_x' };
    expect(() => loadConfig(live)).toThrow(/ID_HASH_PEPPER must be set/);
    expect(loadConfig({ ...live, ID_HASH_PEPPER: PEPPER }).idHashPepper).toBe(PEPPER);
    expect(() => loadConfig({ ...live, STRIPE_SECRET_KEY: 'sk_test_abc' })).not.toThrow();
  });
});
