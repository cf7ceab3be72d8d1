import { createHmac } from 'node:crypto';

/** Outcome of checking a person's legal name and ID number with a provider. */
export interface RealNameCheck {
  status: 'verified' | 'rejected';
  reason?: string;
}

/** Port: a real-name (KYC) provider. */
export interface IdentityVerifier {
  readonly name: string;
  verify(input: { fullName: string; idNumber: string }): Promise<RealNameCheck>;
}

export const IDENTITY_VERIFIER = Symbol('IDENTITY_VERIFIER');

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK_CHARS = '10X98765432';

/** True for an 18-character PRC resident ID whose GB 11643-1999 check character is right. */
export function isValidResidentId(idNumber: string): boolean {
  if (!/^\d{17}[\dX]$/.test(idNumber)) return false;
  const sum = ID_WEIGHTS.reduce((acc, weight, i) => acc + weight * Number(idNumber[i]), 0);
  return ID_CHECK_CHARS[sum % 11] === idNumber[17];
}

/** Sandbox provider: format checks only, no outside call. */
export class SandboxIdentityVerifier implements IdentityVerifier {
  readonly name = 'sandbox';

  async verify({ fullName, idNumber }: { fullName: string; idNumber: string }): Promise<RealNameCheck> {
    if (fullName.trim().length < 2) return { status: 'rejected', reason: 'name too short' };
    if (!isValidResidentId(normalizeIdNumber(idNumber)))
      return { status: 'rejected', reason: 'invalid ID number' };
    return { status: 'verified' };
  }
}

/** The canonical form of an ID number: full-width digits and letters folded, trimmed, `x` as `X`. */
export function normalizeIdNumber(idNumber: string): string {
  return idNumber.normalize('NFKC').trim().toUpperCase();
}

/**
 * Keyed, deterministic digest of an ID number: HMAC-SHA256 under the pepper. The same number always
 * gives the same digest, so a unique index lets one number verify one account, while the number
 * itself is never stored; without the pepper the digest cannot be brute-forced over the (small)
 * space of valid ID numbers.
 */
export function idNumberDigest(idNumber: string, pepper: string): Buffer {
  return createHmac('sha256', pepper).update(normalizeIdNumber(idNumber), 'utf8').digest();
}
