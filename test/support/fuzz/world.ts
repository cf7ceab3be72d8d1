// The objects the fuzzer aims at: an account of every role with an open session, an API key, and
// real collections, media, tokens, a listing, drops, orders and payments, all made through the API
// itself (only the first operator comes from HEIRLOOM_OPERATOR_EMAIL, the CLI-free seed).
import { randomUUID } from 'node:crypto';
import { parseSignerKey, signNote } from '../../../libs/ledger/src/core/index.js';
import { CARDS, cardCheckout } from '../checkout.js';
import { rogueWitnessKeys } from '../keys.js';
import { client, type Client } from '../http.js';
import { uniquePng } from '../media.js';

export const FUZZ_OPERATOR = { email: 'fuzz-operator@example.com', password: `pw-${randomUUID()}` };

export const ROLE_NAMES = ['anonymous', 'collector', 'creator', 'operator', 'auditor', 'api-key'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface Principal {
  accountId: string;
  /** Bearer credential: a session token, or the API key's secret. */
  credential: string;
  /** The session or API key id, to undo a sign-out or revocation the fuzzer made. */
  credentialId: string;
  via: 'session' | 'api-key';
  roles: string[];
}

export interface World {
  principals: Record<Exclude<RoleName, 'anonymous'>, Principal>;
  /** Real ids and values by what they name, for path parameters and id-like body fields. */
  ids: {
    account: string[];
    session: string[];
    apiKey: string[];
    collection: string[];
    token: string[];
    listing: string[];
    drop: string[];
    order: string[];
    payment: string[];
    cid: string[];
    checkpointSize: string[];
    leafHash: string[];
  };
  /** Checkpoint notes: the operator's, and one co-signed by a witness that is not allow-listed. */
  notes: string[];
}

/** Builds the world on a running API; `settled` waits until the ledger has integrated every entry. */
export async function buildWorld(baseUrl: string, settled: () => Promise<void>): Promise<World> {
  const api = client(baseUrl);
  const operator = await signIn(api, FUZZ_OPERATOR.email, FUZZ_OPERATOR.password);
  const collector = await signUp(api);
  const creator = await signUp(api);
  const auditor = await signUp(api);
  await grant(api, operator, creator, 'creator');
  await grant(api, operator, auditor, 'auditor');
  const apiKey = await expect201(
    api('POST', '/me/api-keys', { token: creator.credential, body: { name: 'fuzz' } }),
  );

  const cid = await upload(api, creator);
  const plain = await collection(api, creator);
  const tokens = await mint(api, creator, plain, cid, 4);
  const listing = await expect201(
    api('POST', '/listings', {
      token: creator.credential,
      body: { tokenId: tokens[0], priceMinor: 1999, currency: 'USD' },
    }),
  );
  const firstCome = await drop(api, creator, cid, 'first-come');
  const lottery = await drop(api, creator, cid, 'lottery');
  const reserved = await expect201(
    api('POST', '/checkout', {
      token: collector.credential,
      body: { dropId: firstCome.dropId, idempotencyKey: `fz-${randomUUID()}` },
    }),
  );
  const paid = await expect201(
    api('POST', '/checkout', {
      token: collector.credential,
      body: cardCheckout({ dropId: firstCome.dropId }),
    }),
  );
  const challenged = await expect201(
    api('POST', '/checkout', {
      token: collector.credential,
      body: cardCheckout({ listingId: listing.listingId }, CARDS.threeDSecure),
    }),
  );
  await settled();

  const note = (await api('GET', '/ledger/checkpoint')).body as string;
  const size = note.split('\n')[1];
  const entries = (await api('GET', `/ledger/entries?start=0&end=${size}`)).body as { leafHash: string }[];
  const principals = {
    collector,
    creator,
    operator,
    auditor,
    'api-key': { ...creator, credential: apiKey.key, credentialId: apiKey.id, via: 'api-key' as const },
  };
  const sessions = [collector, creator, operator, auditor].map((principal) => principal.credentialId);
  return {
    principals,
    ids: {
      account: [collector, creator, operator, auditor].map((principal) => principal.accountId),
      session: sessions,
      apiKey: [apiKey.id],
      collection: [plain, firstCome.collectionId, lottery.collectionId],
      token: [...tokens, ...firstCome.tokens, ...lottery.tokens],
      listing: [listing.listingId],
      drop: [firstCome.dropId, lottery.dropId],
      order: [reserved.orderId, paid.orderId, challenged.orderId],
      payment: [challenged.paymentId, paid.paymentId].filter(Boolean),
      cid: [cid],
      checkpointSize: ['1', size, String(Number(size) + 1)],
      leafHash: entries.map((entry) => entry.leafHash),
    },
    notes: [
      note,
      signNote(note.slice(0, note.indexOf('\n\n') + 1), [parseSignerKey(rogueWitnessKeys.signerKey)]),
    ],
  };
}

async function expect201(pending: ReturnType<Client>): Promise<any> {
  const response = await pending;
  if (response.status !== 201) throw new Error(`world: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

async function signUp(api: Client): Promise<Principal> {
  const suffix = randomUUID().slice(0, 8);
  const email = `fuzz-${suffix}@example.com`;
  const password = `pw-${randomUUID()}`;
  await expect201(api('POST', '/auth/sign-up', { body: { email, password, handle: `fuzz_${suffix}` } }));
  return signIn(api, email, password);
}

async function signIn(api: Client, email: string, password: string): Promise<Principal> {
  const response = await api('POST', '/auth/sign-in', { body: { email, password } });
  if (response.status !== 200)
    throw new Error(`world: sign-in ${response.status} ${JSON.stringify(response.body)}`);
  const sessions = await api('GET', '/me/sessions', { token: response.body.token });
  return {
    accountId: response.body.account.id,
    credential: response.body.token,
    credentialId: sessions.body[0].id,
    via: 'session',
    roles: response.body.account.roles,
  };
}

async function grant(api: Client, operator: Principal, principal: Principal, role: string): Promise<void> {
  const response = await api('POST', `/operator/accounts/${principal.accountId}/roles`, {
    token: operator.credential,
    body: { role },
  });
  if (response.status !== 200)
    throw new Error(`world: grant ${response.status} ${JSON.stringify(response.body)}`);
  principal.roles = response.body.roles;
}

async function upload(api: Client, creator: Principal): Promise<string> {
  const response = await api('POST', '/media', {
    token: creator.credential,
    rawBody: uniquePng(),
    headers: { 'content-type': 'image/png' },
  });
  return (await expect201(Promise.resolve(response))).cid;
}

async function collection(api: Client, creator: Principal): Promise<string> {
  const body = { name: `Fuzz ${randomUUID().slice(0, 6)}`, royaltyBps: 500, description: 'fuzz target' };
  return (await expect201(api('POST', '/collections', { token: creator.credential, body }))).id;
}

async function mint(api: Client, creator: Principal, collectionId: string, cid: string, editions: number) {
  const metadata = {
    name: 'Fuzz piece',
    description: 'x',
    image: `ipfs://${cid}`,
    attributes: [{ trait_type: 'tone', value: 'red' }],
  };
  const body = { idempotencyKey: `mint-${randomUUID()}`, items: [{ editions, metadata }] };
  const minted = await expect201(
    api('POST', `/collections/${collectionId}/mint`, { token: creator.credential, body }),
  );
  return minted.tokenIds as string[];
}

async function drop(api: Client, creator: Principal, cid: string, mode: 'first-come' | 'lottery') {
  const collectionId = await collection(api, creator);
  const tokens = await mint(api, creator, collectionId, cid, 3);
  const startsAt = new Date().toISOString();
  const entriesCloseAt = new Date(Date.now() + 86_400_000).toISOString();
  const body = {
    collectionId,
    priceMinor: 1500,
    currency: 'USD',
    startsAt,
    mode,
    ...(mode === 'lottery' ? { entriesCloseAt } : {}),
  };
  const created = await expect201(api('POST', '/drops', { token: creator.credential, body }));
  return { collectionId, tokens, dropId: created.dropId as string };
}
