import { randomInt, randomUUID } from 'node:crypto';
import { IdentityService, isValidResidentId, type Role } from '../../libs/identity/src/index.js';
import type { Client } from './http.js';
import type { TestApp } from './app.js';
import { uniquePng } from './media.js';

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

/** Uploads a fresh PNG as `creator` and returns its CID. */
export async function uploadImage(api: Client, creator: TestUser): Promise<string> {
  const response = await api('POST', '/media', {
    token: creator.token,
    rawBody: uniquePng(),
    headers: { 'content-type': 'image/png' },
  });
  if (response.status !== 201) throw new Error(`upload failed: ${JSON.stringify(response.body)}`);
  return response.body.cid;
}

/** Creates a collection owned by `creator`. */
export async function createCollection(
  api: Client,
  creator: TestUser,
  overrides: Record<string, unknown> = {},
) {
  const response = await api('POST', '/collections', {
    token: creator.token,
    body: { name: `Collection ${randomUUID().slice(0, 6)}`, royaltyBps: 500, ...overrides },
  });
  if (response.status !== 201) throw new Error(`collection failed: ${JSON.stringify(response.body)}`);
  return response.body as { id: string };
}

/** Mints `editions` numbered editions of one new piece into the collection. */
export async function mintEditions(
  api: Client,
  creator: TestUser,
  collectionId: string,
  editions: number,
  name = 'Piece',
) {
  const image = await uploadImage(api, creator);
  const response = await api('POST', `/collections/${collectionId}/mint`, {
    token: creator.token,
    body: {
      idempotencyKey: `mint-${randomUUID()}`,
      items: [
        {
          editions,
          metadata: { name, description: `${name} description`, image: `ipfs://${image}`, attributes: [] },
        },
      ],
    },
  });
  if (response.status !== 201) throw new Error(`mint failed: ${JSON.stringify(response.body)}`);
  return response.body as { tokenIds: string[]; collectionId: string };
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** A random well-formed 18-character PRC resident ID number (GB 11643 check character). */
export function residentId(): string {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const body =
    '110105' +
    String(randomInt(1950, 2005)) +
    pad(randomInt(1, 13), 2) +
    pad(randomInt(1, 29), 2) +
    pad(randomInt(0, 1000), 3);
  const sum = ID_WEIGHTS.reduce((acc, weight, i) => acc + weight * Number(body[i]), 0);
  const id = body + '10X98765432'[sum % 11];
  if (!isValidResidentId(id)) throw new Error(`not a valid ID number: ${id}`);
  return id;
}

/** Passes `user` through real-name verification with a fresh ID number. */
export async function verifyRealName(api: Client, user: TestUser): Promise<void> {
  const response = await api('POST', '/me/real-name', {
    token: user.token,
    body: { fullName: 'Li Lei', idNumber: residentId() },
  });
  if (response.status !== 200 || response.body.status !== 'verified')
    throw new Error(`real-name verification failed: ${JSON.stringify(response.body)}`);
}
