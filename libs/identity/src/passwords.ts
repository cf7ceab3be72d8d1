import { randomBytes } from 'node:crypto';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';

/** argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): the library's defaults, pinned. */
export const ARGON2_OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * Password hashing. A sign-in for an unknown email checks the password against a dummy hash made
 * with the same parameters, so that it costs what a wrong password costs and its timing does not
 * tell which emails have accounts.
 */
@Injectable()
export class Passwords implements OnModuleInit {
  private dummyHash?: Promise<string>;

  /** Made at start-up, so the first unknown-email sign-in does not pay for making it. */
  async onModuleInit(): Promise<void> {
    await this.dummy();
  }

  hash(password: string): Promise<string> {
    return argon2Hash(password, ARGON2_OPTIONS);
  }

  verify(passwordHash: string, password: string): Promise<boolean> {
    return argon2Verify(passwordHash, password);
  }

  /** The work of verify() for an account that does not exist; always false. */
  async verifyAgainstDummy(password: string): Promise<false> {
    await this.verify(await this.dummy(), password);
    return false;
  }

  /** The dummy hash, of a random secret no one knows. */
  dummy(): Promise<string> {
    this.dummyHash ??= this.hash(randomBytes(32).toString('base64url'));
    return this.dummyHash;
  }
}
