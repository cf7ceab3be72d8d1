import { randomUUID } from 'node:crypto';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCosignatureSignerKey, signNote } from '../libs/ledger/src/core/index.js';
import { CheckpointService, Sequencer } from '../libs/ledger/src/index.js';
import { createScratchDatabase, startTestApp, type TestApp } from './support/app.js';
import { cardCheckout, listToken } from './support/checkout.js';
import {
  createCollection,
  createUser,
  mintEditions,
  verifyRealName,
  type TestUser,
} from './support/factories.js';
import { client, type ApiResponse, type Client, type RequestOptions } from './support/http.js';
import { witnessKeys } from './support/keys.js';
import { uniquePng } from './support/media.js';

const PROBLEM_BASE = 'https://heirloom.dev/problems/';
const SCHEMAS = '#/components/schemas/';

/**
 * Real answers of the routes, checked against the API's own OpenAPI document: the status is one it
 * lists for the operation, a problem's code is listed for that status, and a JSON body has exactly
 * the documented fields (no missing, no extra, null only where nullable) and types.
 */
describe('OpenAPI document matches what the API answers', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let testApp: TestApp;
  let api: Client;
  let document: any;
  let ajv: Ajv;
  let creator: TestUser;
  let operator: TestUser;

  /**
   * Sends the request to the operation (`GET /media/{cid}`), expects `status` and checks the answer
   * against the document.
   */
  async function call(
    operation: string,
    path: string,
    status: number,
    options: RequestOptions = {},
  ): Promise<ApiResponse> {
    const [method, template] = operation.split(' ');
    const response = await api(method, path, options);
    expect(response.status, `${operation}: ${JSON.stringify(response.body)}`).toBe(status);
    expectDocumented(method.toLowerCase(), template, response);
    return response;
  }

  function expectDocumented(method: string, template: string, response: ApiResponse): void {
    const id = `${method.toUpperCase()} ${template} → ${response.status}`;
    const documented = document.paths[template]?.[method]?.responses?.[response.status];
    expect(documented, `${id} is not documented: ${JSON.stringify(response.body)}`).toBeDefined();
    const type = response.headers.get('content-type')?.split(';')[0] ?? '';
    if (response.status >= 400) {
      expect(type).toBe('application/problem+json');
      expect(documented.description, id).toContain(`\`${response.body.type.replace(PROBLEM_BASE, '')}\``);
      return;
    }
    if (response.status === 204) return;
    const media = Object.entries(documented.content ?? {}).find(([documentedType]) =>
      mediaTypeMatches(documentedType, type),
    )?.[1] as { schema: object } | undefined;
    expect(media, `${id}: ${type} is not a documented content type`).toBeDefined();
    if (type !== 'application/json') return;
    const validate = ajv.compile(inApiDocument(media!.schema));
    const valid = validate(response.body);
    const errors = (validate.errors ?? []).map(
      (e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
    );
    expect(errors, `${id}: ${JSON.stringify(response.body)}`).toEqual([]);
    expect(valid).toBe(true);
  }

  beforeAll(async () => {
    // Its own database: other tests' processes checkpoint the shared log and raise ledger alerts
    // (which readiness reports), and this test expects the answers of a ledger it alone drives.
    scratch = await createScratchDatabase();
    // Earnings are available at once, so that a payout can be documented.
    testApp = await startTestApp({ EARNINGS_HOLD_DAYS: '0' }, scratch.url, { jobs: false });
    api = client(testApp.url);
    document = (await api('GET', '/docs/openapi.json')).body;
    ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    ajv.addSchema({ $id: 'api', components: { schemas: exactSchemas(document.components.schemas) } });
    creator = await createUser(testApp, api, ['creator']);
    operator = await createUser(testApp, api, ['operator']);
  });
  afterAll(async () => {
    await testApp?.close();
    await scratch?.drop();
  });

  it('identity', async () => {
    const email = `doc-${randomUUID().slice(0, 8)}@example.com`;
    const password = `pw-${randomUUID()}`;
    const handle = `doc_${randomUUID().slice(0, 8)}`;
    const signUp = (body: object, status: number) =>
      call('POST /auth/sign-up', '/auth/sign-up', status, { body });
    const signIn = (body: object, status: number) =>
      call('POST /auth/sign-in', '/auth/sign-in', status, { body });
    const { id } = (await signUp({ email, password, handle }, 201)).body;
    await signUp({ email, password, handle: `${handle}x` }, 409);
    await signIn({ email, password: 'wrong-password' }, 401);
    const { token } = (await signIn({ email, password }, 200)).body;
    await call('GET /me', '/me', 200, { token });
    await call('GET /me/sessions', '/me/sessions', 200, { token });
    await call('DELETE /me/sessions/{id}', `/me/sessions/${randomUUID()}`, 404, { token });
    const key = await call('POST /me/api-keys', '/me/api-keys', 201, { token, body: { name: 'docs' } });
    await call('GET /me/api-keys', '/me/api-keys', 200, { token });
    await call('DELETE /me/api-keys/{id}', `/me/api-keys/${key.body.id}`, 204, { token });
    await call('DELETE /me/api-keys/{id}', `/me/api-keys/${key.body.id}`, 404, { token });
    await call('POST /me/creator-application', '/me/creator-application', 200, { token });
    const realName = { fullName: 'Li Lei', idNumber: '000000000000000000' };
    await call('POST /me/real-name', '/me/real-name', 422, { token, body: realName });

    const asOperator = { token: operator.token };
    await call('GET /operator/accounts/{id}', `/operator/accounts/${id}`, 200, asOperator);
    await call('GET /operator/accounts/{id}', `/operator/accounts/${randomUUID()}`, 404, asOperator);
    const roles = `/operator/accounts/${id}/roles`;
    await call('POST /operator/accounts/{id}/roles', roles, 200, {
      ...asOperator,
      body: { role: 'creator' },
    });
    await call('DELETE /operator/accounts/{id}/roles/{role}', `${roles}/creator`, 200, asOperator);

    // The operator console: a rejected application, applied again and approved; search; freezing.
    const reason = { reason: 'Documented' };
    const decide = (verdict: string, status: number) =>
      call(
        `POST /operator/creator-applications/{accountId}/${verdict}`,
        `/operator/creator-applications/${id}/${verdict}`,
        status,
        {
          ...asOperator,
          body: reason,
        },
      );
    await call(
      'GET /operator/creator-applications',
      '/operator/creator-applications?limit=2',
      200,
      asOperator,
    );
    await call('POST /me/creator-application', '/me/creator-application', 200, { token });
    await decide('reject', 200);
    await decide('reject', 409);
    await call('GET /me', '/me', 200, { token });
    await call('POST /me/creator-application', '/me/creator-application', 200, { token });
    await decide('approve', 200);
    await call('GET /operator/accounts', `/operator/accounts?q=${handle}`, 200, asOperator);
    await call('GET /operator/accounts', '/operator/accounts?q=a', 400, asOperator);
    const freeze = (act: string, status: number, account = id) =>
      call(`POST /operator/accounts/{id}/${act}`, `/operator/accounts/${account}/${act}`, status, {
        ...asOperator,
        body: reason,
      });
    await freeze('freeze', 200);
    await freeze('freeze', 409);
    await call('POST /me/creator-application', '/me/creator-application', 403, { token });
    await call('GET /operator/accounts/{id}', `/operator/accounts/${id}`, 200, asOperator);
    await freeze('unfreeze', 200);
    await freeze('unfreeze', 409);
    await freeze('unfreeze', 404, randomUUID());
    await call('POST /auth/sign-out', '/auth/sign-out', 204, { token });
  });

  it('media, collections, minting and the catalogue', async () => {
    const asCreator = { token: creator.token };
    const asOperator = { token: operator.token };
    const upload = (rawBody: Uint8Array, status: number) =>
      call('POST /media', '/media', status, {
        ...asCreator,
        rawBody,
        headers: { 'content-type': 'image/png' },
      });
    const { cid } = (await upload(uniquePng(), 201)).body;
    await upload(new Uint8Array(), 400);
    await call('GET /media/{cid}', `/media/${cid}`, 200);
    await call('GET /media/{cid}', '/media/bafkreinotacid', 400);
    await call('GET /operator/media/integrity', '/operator/media/integrity', 200, asOperator);
    await call('POST /operator/media/integrity/check', '/operator/media/integrity/check', 200, asOperator);

    const collection = await call('POST /collections', '/collections', 201, {
      ...asCreator,
      body: { name: 'Documented', royaltyBps: 250, supplyCap: 10, policy: { perBuyerLimit: 2 } },
    });
    await call('GET /collections/{id}', `/collections/${collection.body.id}`, 200);
    await call('GET /collections/{id}', `/collections/${randomUUID()}`, 404);
    const mint = (body: object, status: number) =>
      call('POST /collections/{id}/mint', `/collections/${collection.body.id}/mint`, status, {
        ...asCreator,
        body,
      });
    const metadata = {
      name: 'Piece',
      description: 'Documented piece',
      image: `ipfs://${cid}`,
      attributes: [],
    };
    const request = { idempotencyKey: `docs-${randomUUID()}`, items: [{ metadata, editions: 2 }] };
    const { tokenIds } = (await mint(request, 201)).body;
    expect((await mint(request, 201)).body).toMatchObject({ tokenIds, created: false });
    await mint({ ...request, items: [{ metadata, editions: 3 }] }, 409);

    await call('GET /catalogue/tokens', `/catalogue/tokens?creator=${creator.handle}&limit=1`, 200);
    await call('GET /catalogue/tokens', '/catalogue/tokens?minPrice=1', 400);
    await call('GET /catalogue/tokens', '/catalogue/tokens?cursor=abc.def', 400);
    await call('GET /catalogue/tokens/{id}', `/catalogue/tokens/${tokenIds[0]}`, 200);
    await call('GET /catalogue/tokens/{id}', '/catalogue/tokens/tok_unknown', 404);
    await call('GET /catalogue/collections', `/catalogue/collections?creator=${creator.handle}`, 200);
  });

  it('ledger, audit and health', async () => {
    const collection = await createCollection(api, creator);
    const [tokenId] = (await mintEditions(api, creator, collection.id, 1)).tokenIds;
    await testApp.app.get(Sequencer).drain();
    const { size } = (await testApp.app.get(CheckpointService).checkpointIfGrown())!;

    const note = (await call('GET /ledger/checkpoint', '/ledger/checkpoint', 200)).body as string;
    await call('GET /ledger/keys', '/ledger/keys', 200);
    await call('GET /ledger/entries', '/ledger/entries?start=0&end=2', 200);
    await call('GET /ledger/entries', '/ledger/entries?start=2&end=2', 400);
    await call('GET /ledger/proof/inclusion', '/ledger/proof/inclusion?index=0', 200);
    await call(
      'GET /ledger/proof/inclusion',
      `/ledger/proof/inclusion?index=0&leafHash=${'0'.repeat(64)}`,
      400,
    );
    await call('GET /ledger/proof/consistency', '/ledger/proof/consistency?from=1', 200);
    await call('GET /ledger/tokens/{tokenId}/history', `/ledger/tokens/${tokenId}/history`, 200);
    await call('GET /ledger/tokens/{tokenId}/history', '/ledger/tokens/tok_unknown/history', 404);
    const certificate = `/ledger/tokens/${tokenId}/certificate`;
    await call('GET /ledger/tokens/{tokenId}/certificate', certificate, 409);

    const witness = parseCosignatureSignerKey(witnessKeys.signerKey);
    const cosigned = signNote(note.slice(0, note.indexOf('\n\n') + 1), [witness]);
    const cosign = (checkpointSize: number, body: object, status: number) =>
      call(
        'POST /ledger/checkpoints/{size}/cosignatures',
        `/ledger/checkpoints/${checkpointSize}/cosignatures`,
        status,
        { body },
      );
    expect((await cosign(size, { note: cosigned }, 200)).body).toMatchObject({ size, final: true });
    await cosign(size, { note }, 422);
    await cosign(size + 1000, { note }, 404);
    await call('GET /ledger/tokens/{tokenId}/certificate', certificate, 200);

    await call('POST /operator/audit/replay', '/operator/audit/replay', 200, { token: operator.token });
    await call('GET /health', '/health', 200);
    await call('GET /ready', '/ready', 200);
  });

  it('earnings and payouts', async () => {
    const collection = await createCollection(api, creator);
    const [tokenId] = (await mintEditions(api, creator, collection.id, 1)).tokenIds;
    const { listingId } = await listToken(api, creator, tokenId, 3000);
    const buyer = await createUser(testApp, api);
    const paid = await api('POST', '/checkout', { token: buyer.token, body: cardCheckout({ listingId }) });
    expect(paid.body.status, JSON.stringify(paid.body)).toBe('paid');

    const asCreator = { token: creator.token };
    await call('GET /me/earnings', '/me/earnings?limit=1', 200, asCreator);
    await call('GET /me/earnings', '/me/earnings?cursor=x', 400, asCreator);
    const request = (amountMinor: number, idempotencyKey: string, status: number) =>
      call('POST /me/payouts', '/me/payouts', status, {
        ...asCreator,
        body: { amountMinor, currency: 'USD', idempotencyKey },
      });
    const key = `docs-${randomUUID()}`;
    await request(100, key, 201);
    await request(101, key, 409);
    await request(1e12, `docs-${randomUUID()}`, 422);
    await call('GET /me/payouts', '/me/payouts?limit=1', 200, asCreator);
    const asOperator = { token: operator.token };
    await call('POST /operator/payouts/run', '/operator/payouts/run', 200, {
      ...asOperator,
      body: { runKey: `docs-${randomUUID()}` },
    });
    await call('POST /operator/payouts/run', '/operator/payouts/run', 403, {
      ...asCreator,
      body: { runKey: 'docs' },
    });
    await call('GET /operator/payouts', `/operator/payouts?accountId=${creator.id}`, 200, asOperator);
  });

  it('data rights', async () => {
    const collection = await createCollection(api, creator);
    const [tokenId] = (await mintEditions(api, creator, collection.id, 1)).tokenIds;
    const { listingId } = await listToken(api, creator, tokenId, 1500);
    const buyer = await createUser(testApp, api);
    const paid = await api('POST', '/checkout', { token: buyer.token, body: cardCheckout({ listingId }) });
    expect(paid.body.status, JSON.stringify(paid.body)).toBe('paid');
    await verifyRealName(api, buyer);

    await call('GET /me/archive', '/me/archive', 200, { token: buyer.token });
    await call('GET /me/data-export', '/me/data-export', 200, { token: buyer.token });
    await call('GET /me/data-export', '/me/data-export', 200, { token: creator.token });
    const remove = (as: TestUser, confirmHandle: unknown, status: number) =>
      call('POST /me/delete', '/me/delete', status, { token: as.token, body: { confirmHandle } });
    await remove(buyer, 42, 400);
    await remove(buyer, creator.handle, 422);
    await remove(buyer, buyer.handle, 409);
    const leaving = await createUser(testApp, api);
    await remove(leaving, leaving.handle, 200);
  });
});

/** Whether an answer's type is one the document lists (`image/*` covers `image/png`). */
function mediaTypeMatches(documented: string, actual: string): boolean {
  return documented === actual || (documented.endsWith('/*') && actual.startsWith(documented.slice(0, -1)));
}

/** A response schema whose `#/components/schemas/…` refs point into the document added as `api`. */
function inApiDocument(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replaceAll(`"${SCHEMAS}`, `"api${SCHEMAS}`));
}

/**
 * The document's schemas as strict JSON Schema: objects allow only their documented fields, and
 * OpenAPI 3.0 `nullable` becomes "or null" (also for a `$ref`, which `nullable` alone does not cover).
 */
function exactSchemas(schemas: Record<string, unknown>): Record<string, unknown> {
  const exact = (schema: unknown): unknown => {
    if (Array.isArray(schema)) return schema.map(exact);
    if (!schema || typeof schema !== 'object') return schema;
    const { nullable, ...rest } = Object.fromEntries(
      Object.entries(schema).map(([key, value]) => [key, key === 'example' ? value : exact(value)]),
    ) as Record<string, unknown>;
    if (rest.properties && rest.additionalProperties === undefined) rest.additionalProperties = false;
    return nullable === true ? { anyOf: [{ type: 'null' }, rest] } : rest;
  };
  return Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, exact(schema)]));
}
