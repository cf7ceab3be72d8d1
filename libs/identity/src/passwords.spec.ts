import { parseOptions } from '@node-rs/argon2';
import { describe, expect, it, vi } from 'vitest';
import { ARGON2_OPTIONS, Passwords } from './passwords.js';

describe('Passwords', () => {
  it('hashes with argon2id at the pinned parameters and verifies', async () => {
    const passwords = new Passwords();
    const hash = await passwords.hash('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await passwords.verify(hash, 'correct horse battery')).toBe(true);
    expect(await passwords.verify(hash, 'wrong horse battery')).toBe(false);
  });

  it('checks a password for an unknown account against a dummy hash made the same way', async () => {
    const passwords = new Passwords();
    await passwords.onModuleInit();
    const real = await passwords.hash('some password');
    const verify = vi.spyOn(passwords, 'verify');
    expect(await passwords.verifyAgainstDummy('some password')).toBe(false);
    expect(verify).toHaveBeenCalledTimes(1);
    const [dummy] = verify.mock.calls[0];
    // Same algorithm, cost, lanes, output and salt length: the same work as a real account's check.
    expect(parseOptions(dummy)).toEqual(parseOptions(real));
    expect(parseOptions(dummy)).toMatchObject(ARGON2_OPTIONS);
    expect(dummy).not.toBe(real);
  });

  it('makes the dummy hash once', async () => {
    const passwords = new Passwords();
    expect(await passwords.dummy()).toBe(await passwords.dummy());
  });
});
