import { randomUUID } from 'node:crypto';
import { IdentityService, type Role } from '../../libs/identity/src/index.js';
import type { Client } from './http.js';
import type { TestApp } from './app.js';

export interface TestUser {
  id: string;
  email: string;
  handle: string;
  password: string;
  token: string;
}

/** Signs a fresh account up and in through the API; extra roles are granted directly. */
export async function createUser(testApp: TestApp, api: Client, roles: Role[] = []): Promise<TestUser> {
  const suffix = randomUUID().slice(0, 8);
  const email = `user-${suffix}@example.com`;
  const handle = `user_${suffix}`;
  const password = `pw-${randomUUID()}`;
  const signUp = await api('POST', '/auth/sign-up', { body: { email, password, handle } });
  if (signUp.status !== 201) throw new Error(`sign-up failed: ${JSON.stringify(signUp.body)}`);
  const identity = testApp.app.get(IdentityService);
  for (const role of roles) await identity.setRole(signUp.body.id, role, true);
  const signIn = await api('POST', '/auth/sign-in', { body: { email, password } });
  if (signIn.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(signIn.body)}`);
  return { id: signUp.body.id, email, handle, password, token: signIn.body.token };
}
