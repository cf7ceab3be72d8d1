import { createHash, randomBytes } from 'node:crypto';

/**
 * Opaque bearer credentials. We store only their SHA-256, so revocation is one UPDATE that takes
 * effect on the next request (no JWT revocation lists), and a database dump holds no usable token.
 */
export const SESSION_PREFIX = 'hls_';
export const API_KEY_PREFIX = 'hlk_';

/** A new random credential with the given prefix. */
export function newToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** The stored form of a credential. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
