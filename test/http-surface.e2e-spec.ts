import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { createUser, uploadImage, type TestUser } from './support/factories.js';
import { client, type ApiResponse, type Client } from './support/http.js';
import { uniquePng } from './support/media.js';

const PROBLEMS = 'https://heirloom.dev/problems/';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The response is an RFC 9457 problem with this status and stable code. */
function expectProblem(response: ApiResponse, status: number, code: string) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.body).toMatchObject({ type: PROBLEMS + code, status });
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends bytes on a fresh TCP connection and reads the answer until the server closes it. */
function rawRequest(url: string, request: string): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => (chunks.length > 0 ? socket.destroy() : reject(error)));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
        }),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.write(request);
  });
}

function expectRawProblem(response: RawResponse, status: number, code: string) {
  expect(response.status, response.body).toBe(status);
  expect(response.headers['content-type']).toBe('application/problem+json');
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['x-request-id']).toMatch(UUID);
  expect(JSON.parse(response.body)).toMatchObject({ type: PROBLEMS + code, status });
}

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('HTTP surface (e2e): hostile input is refused with problem+json, never a 5xx', () => {
  let testApp: TestApp;
  let api: Client;
  let creator: TestUser;

  beforeAll(async () => {
    testApp = await startTestApp();
    api = client(testApp.url);
    creator = await createUser(testApp, api, ['creator']);
  });
  afterAll(async () => {
    await testApp?.close();
  });

  describe('content types', () => {
    const binaryTypes = [
      'application/octet-stream',
      'image/png',
      'video/mp4',
      'audio/ogg',
      'model/gltf-binary',
    ];

    it('answers 415 to a binary body on a JSON route, and the process keeps serving', async () => {
      const routes = ['/auth/sign-in', '/auth/sign-up', '/collections', '/checkout'];
      for (const route of routes) {
        for (const type of binaryTypes) {
          const response = await api('POST', route, {
            token: creator.token,
            rawBody: '{}',
            headers: { 'content-type': type },
          });
          expectProblem(response, 415, 'unsupported-media-type');
          expect(response.body.detail).toMatch(/application\/json/);
        }
      }
      const signIn = await api('POST', '/auth/sign-in', {
        body: { email: creator.email, password: creator.password },
        headers: { 'content-type': 'Application/JSON; charset=utf-8' },
      });
      expect(signIn.status).toBe(200);
      expect((await api('GET', '/health')).status).toBe(200);
    });

    it('answers 415 to a large binary body without reading it into the JSON route', async () => {
      for (const size of [512 * 1024, 8 * 1024 * 1024]) {
        const response = await api('POST', '/auth/sign-in', {
          rawBody: new Uint8Array(size),
          headers: { 'content-type': 'application/octet-stream' },
        });
        expectProblem(response, 415, 'unsupported-media-type');
      }
      expect((await api('GET', '/health')).status).toBe(200);
    });

    it('still takes raw media bytes on POST /media', async () => {
      expect(await uploadImage(api, creator)).toMatch(/^b/);
    });

    it('keeps a connection usable after refusing an upload from its first bytes', async () => {
      // 1.2 MB that is no image, declared image/png: refused after sniffing, the rest unread.
      const notAnImage = new Uint8Array(1_200_000).fill(0x41);
      const response = await api('POST', '/media', {
        token: creator.token,
        rawBody: notAnImage,
        headers: { 'content-type': 'image/png' },
      });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      // Requests that follow reuse the pooled connection; each must be answered, not hang.
      for (let i = 0; i < 3; i++) {
        const health = await fetch(`${testApp.url}/health`, { signal: AbortSignal.timeout(5000) });
        expect(health.status).toBe(200);
      }
    });

    it('tells a multipart upload to send the raw bytes with their Content-Type', async () => {
      const form = new FormData();
      form.append('file', new Blob([uniquePng()], { type: 'image/png' }), 'a.png');
      const response = await fetch(`${testApp.url}/media`, {
        method: 'POST',
        headers: { authorization: `Bearer ${creator.token}` },
        body: form,
      });
      const body = (await response.json()) as { detail: string };
      expectProblem(
        { status: response.status, headers: response.headers, body },
        415,
        'unsupported-media-type',
      );
      expect(body.detail).toMatch(
        /send the raw bytes with their Content-Type \(image\/png, .*not multipart/i,
      );
    });

    it('answers 415 to JSON, text, form data or no type where the route does not take it', async () => {
      const cases: [string, string, Record<string, string>][] = [
        ['/media', '{}', { 'content-type': 'application/json' }],
        ['/auth/sign-in', 'email=a', { 'content-type': 'application/x-www-form-urlencoded' }],
        ['/auth/sign-in', 'hello', { 'content-type': 'text/plain' }],
        ['/auth/sign-in', '--x\r\n\r\n--x--', { 'content-type': 'multipart/form-data; boundary=x' }],
        ['/auth/sign-in', '{}', {}],
        ['/auth/sign-in', '{}', { 'content-type': ';;;' }],
        ['/auth/sign-in', '{}', { 'content-type': 'application/problem+json' }],
      ];
      for (const [route, rawBody, headers] of cases) {
        const response = await api('POST', route, { token: creator.token, rawBody, headers });
        expectProblem(response, 415, 'unsupported-media-type');
      }
    });

    it('keeps 404 for a binary body sent to an unknown route', async () => {
      const response = await api('POST', '/no-such-route', {
        rawBody: 'bytes',
        headers: { 'content-type': 'application/octet-stream' },
      });
      expectProblem(response, 404, 'not-found');
    });
  });

  describe('NUL characters and deep nesting', () => {
    it('answers 400 invalid-characters to NUL in a query, a path id or a JSON string', async () => {
      const attempts = [
        api('GET', '/catalogue/tokens?q=%00'),
        api('GET', '/catalogue/tokens?q=caf%00e'),
        api('GET', '/catalogue/collections?q=a%00'),
        api('GET', '/ledger/tokens/abc%00/history'),
        api('POST', '/me/api-keys', { token: creator.token, body: { name: 'key\u0000name' } }),
        api('POST', '/collections', { token: creator.token, body: { name: '\u0000', royaltyBps: 0 } }),
        api('POST', '/auth/sign-in', { body: { email: 'a@example.com', 'pass\u0000word': 'x' } }),
      ];
      for (const response of await Promise.all(attempts)) expectProblem(response, 400, 'invalid-characters');
      const keys = await api('GET', '/me/api-keys', { token: creator.token });
      expect(JSON.stringify(keys.body)).not.toContain('key\\u0000name');
    });

    it('answers 400 invalid-characters to a lone surrogate in a JSON string', async () => {
      const attempts = [
        api('POST', '/auth/sign-in', {
          rawBody: '{"email":"\\ud800","password":"          "}',
          headers: { 'content-type': 'application/json' },
        }),
        api('POST', '/auth/sign-up', {
          rawBody: '{"email":"a\\ud800@example.com","password":"long enough password","handle":"lone"}',
          headers: { 'content-type': 'application/json' },
        }),
      ];
      for (const response of await Promise.all(attempts)) expectProblem(response, 400, 'invalid-characters');
      const pair = await api('POST', '/me/api-keys', {
        token: creator.token,
        body: { name: 'key \ud83d\ude00' },
      });
      expect(pair.status, JSON.stringify(pair.body)).toBe(201);
    });

    it('accepts the six characters \\u0000 as text (an escaped backslash), not as NUL', async () => {
      const response = await api('POST', '/me/api-keys', {
        token: creator.token,
        body: { name: 'a\\u0000' },
      });
      expect(response.status, JSON.stringify(response.body)).toBe(201);
    });

    it('answers 400 too-deeply-nested to 5,000-deep JSON and to an 800 KB nested body', async () => {
      const deep = await api('POST', '/auth/sign-in', {
        rawBody: nested(5000),
        headers: { 'content-type': 'application/json' },
      });
      expectProblem(deep, 400, 'too-deeply-nested');
      const levels = Math.floor((800 * 1024) / 6);
      const heavy = await api('POST', '/collections', {
        token: creator.token,
        rawBody: '{"a":'.repeat(levels) + '1' + '}'.repeat(levels),
        headers: { 'content-type': 'application/json' },
      });
      expectProblem(heavy, 400, 'too-deeply-nested');
    });

    it('answers 400 too-many-members at once to a 900 KB object of 60,000 keys (seconds of CPU to map)', async () => {
      const keys = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`k${i}`, i]));
      const started = performance.now();
      const wide = await api('POST', '/auth/sign-in', { body: keys });
      expectProblem(wide, 400, 'too-many-members');
      expect(performance.now() - started).toBeLessThan(2_500);
    });

    it('answers 400 bad-request to a malformed body, and 413 to one over the limit', async () => {
      const malformed = await api('POST', '/auth/sign-in', {
        rawBody: '{"email": ',
        headers: { 'content-type': 'application/json' },
      });
      expectProblem(malformed, 400, 'bad-request');
      expect(malformed.body.detail).toBe('The request body is not valid JSON');
      const proto = await api('POST', '/auth/sign-in', {
        rawBody: '{"__proto__": {"admin": true}}',
        headers: { 'content-type': 'application/json' },
      });
      expectProblem(proto, 400, 'bad-request');
      const huge = await api('POST', '/auth/sign-in', {
        body: { email: 'a@example.com', password: 'x'.repeat(testApp.config.maxJsonBodyBytes) },
      });
      expectProblem(huge, 413, 'payload-too-large');
    });
  });

  describe('request ids', () => {
    it('replaces an 8 KB or a markup x-request-id with a generated one, and echoes a safe one', async () => {
      for (const hostile of ['a'.repeat(8 * 1024), '<script>alert(1)</script>']) {
        const response = await api('GET', '/no-such-route', { headers: { 'x-request-id': hostile } });
        expect(response.status).toBe(404);
        expect(response.headers.get('x-request-id')).toMatch(UUID);
        expect(response.body.requestId).toBe(response.headers.get('x-request-id'));
      }
      const safe = await api('GET', '/health', { headers: { 'x-request-id': 'trace-42:abc.DEF_9' } });
      expect(safe.headers.get('x-request-id')).toBe('trace-42:abc.DEF_9');
      expect(safe.headers.get('x-content-type-options')).toBe('nosniff');
    });
  });

  describe('errors Fastify and Node answer themselves', () => {
    it('answers 414 problem+json to a request target over 8 KiB', async () => {
      const response = await api('GET', `/catalogue/tokens?q=${'a'.repeat(9 * 1024)}`);
      expectProblem(response, 414, 'uri-too-long');
      expect(response.body.instance).toBeUndefined();
    });

    it('answers 431 problem+json to 64 KB of headers', async () => {
      const response = await rawRequest(
        testApp.url,
        `GET /health HTTP/1.1\r\nhost: localhost\r\nx-big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
      );
      expectRawProblem(response, 431, 'headers-too-large');
    });

    it('answers 400 problem+json to a malformed request line and to NUL in a header', async () => {
      expectRawProblem(await rawRequest(testApp.url, 'NOT HTTP AT ALL\r\n\r\n'), 400, 'bad-request');
      expectRawProblem(
        await rawRequest(testApp.url, 'GET /he\0alth HTTP/1.1\r\nhost: x\r\n\r\n'),
        400,
        'bad-request',
      );
      expectRawProblem(
        await rawRequest(testApp.url, 'GET /health HTTP/1.1\r\nhost: x\r\nx-name: a\0b\r\n\r\n'),
        400,
        'bad-request',
      );
    });

    it('answers problem+json to unknown routes, wrong methods and undecodable paths', async () => {
      expectProblem(await api('GET', '/no-such-route'), 404, 'not-found');
      expectProblem(await api('PATCH', '/auth/sign-in', { body: {} }), 404, 'not-found');
      expectProblem(await api('GET', '/catalogue/tokens/%zz'), 400, 'bad-url');
      const long = await api('GET', `/catalogue/tokens/${'a'.repeat(500)}`);
      expect(long.status).toBeLessThan(500);
      expect(long.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });
  });
});
