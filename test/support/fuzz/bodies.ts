// Request bodies: the documented JSON schema filled with fitting values, then broken in every way a
// client can break it (wrong types, missing and unknown fields, NULs, huge strings, deep nesting,
// bytes, forms), described compactly so a failing case prints short and is rebuilt at send time.
import fc from 'fast-check';
import { uniquePng } from '../media.js';
import type { JsonSchema } from './openapi.js';
import { brokenObject, valueFor } from './schema-values.js';
import type { World } from './world.js';

export type BodySpec =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  /** `depth` nested arrays or objects, alone or as the value of `field` in an otherwise valid body. */
  | { kind: 'deep'; depth: number; shape: 'array' | 'object'; field?: string }
  /** A JSON body of about `bytes` bytes: one huge string, or very many small members. */
  | { kind: 'big'; bytes: number; shape: 'string' | 'members' }
  | { kind: 'bytes'; seed: number; length: number }
  | { kind: 'png' }
  | { kind: 'form'; value: Record<string, string> }
  | { kind: 'multipart' };

/** Content types sent with bodies, regardless of what the body is: mismatches are the point. */
export const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/problem+json',
  'text/json',
  'text/plain',
  'text/html',
  'application/octet-stream',
  'image/png',
  'image/svg+xml',
  'video/mp4',
  'audio/ogg',
  'model/gltf-binary',
  'multipart/form-data',
  'multipart/form-data; boundary=fuzz',
  'application/x-www-form-urlencoded',
  'application/xml',
  'garbage',
  ';;;',
  'application/',
  '*/*',
  'application/json, image/png',
] as const;

export interface Payload {
  contentType?: string;
  body: BodySpec;
}

/**
 * Content type and body of a request. Two times in three they fit the operation — JSON (valid or
 * broken, deep, big) for a JSON body, media bytes for an upload, nothing for an operation without
 * a body — so the request gets past the parser; otherwise any type with any body.
 */
export function payload(
  world: World,
  schema: JsonSchema | undefined,
  consumes: string[],
): fc.Arbitrary<Payload> {
  const json = consumes.filter((type) => type.includes('json'));
  const binary = consumes.filter((type) => !type.includes('json'));
  const fitting: fc.Arbitrary<Payload> = schema
    ? fc.record({
        contentType: fc.constantFrom(...(json.length ? json : ['application/json'])),
        body: jsonBody(world, schema),
      })
    : binary.length
      ? fc.record({ contentType: fc.constantFrom(...binary), body: binaryBody() })
      : fc.constant({ body: { kind: 'none' } as BodySpec });
  const anything = fc.record(
    {
      contentType: fc.constantFrom(...CONTENT_TYPES, ...consumes),
      body: fc.oneof(jsonBody(world, schema), binaryBody(), otherBody(schema)),
    },
    { requiredKeys: ['body'] },
  );
  return fc.oneof({ weight: 2, arbitrary: fitting }, { weight: 1, arbitrary: anything });
}

/** JSON text: the documented shape, broken, very deep or very big. */
function jsonBody(world: World, schema: JsonSchema | undefined): fc.Arbitrary<BodySpec> {
  const clean = schema ? valueFor(world, schema, '', false) : fc.jsonValue({ maxDepth: 2 });
  const documented = schema ? valueFor(world, schema, '') : fc.jsonValue({ maxDepth: 2 });
  const broken = schema ? brokenObject(world, schema) : fc.jsonValue({ maxDepth: 3 });
  const fields = Object.keys(schema?.properties ?? { x: {} });
  return fc.oneof(
    { weight: 5, arbitrary: clean.map((value) => ({ kind: 'json', value }) as BodySpec) },
    { weight: 4, arbitrary: documented.map((value) => ({ kind: 'json', value }) as BodySpec) },
    { weight: 8, arbitrary: broken.map((value) => ({ kind: 'json', value }) as BodySpec) },
    { weight: 1, arbitrary: rawText().map((text) => ({ kind: 'text', text }) as BodySpec) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('deep' as const),
        depth: fc.constantFrom(1_000, 5_000, 20_000, 100_000),
        shape: fc.constantFrom('array' as const, 'object' as const),
        field: fc.option(fc.constantFrom(...fields), { nil: undefined }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('big' as const),
        bytes: fc.constantFrom(200_000, 800_000, 1_200_000),
        shape: fc.constantFrom('string' as const, 'members' as const),
      }),
    },
  );
}

function binaryBody(): fc.Arbitrary<BodySpec> {
  return fc.oneof(
    fc.record({
      kind: fc.constant('bytes' as const),
      seed: fc.nat(),
      length: fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.constant(1_200_000)),
    }),
    fc.constant<BodySpec>({ kind: 'png' }),
  );
}

function otherBody(schema: JsonSchema | undefined): fc.Arbitrary<BodySpec> {
  const fields = Object.keys(schema?.properties ?? { x: {} });
  return fc.oneof(
    fc.constant<BodySpec>({ kind: 'none' }),
    fc
      .dictionary(fc.constantFrom(...fields), fc.string({ maxLength: 20 }))
      .map((value) => ({ kind: 'form', value }) as BodySpec),
    fc.constant<BodySpec>({ kind: 'multipart' }),
  );
}

/** The bytes (or text) sent for a body spec. */
export function materialize(spec: BodySpec): string | Uint8Array | undefined {
  switch (spec.kind) {
    case 'none':
      return undefined;
    case 'json':
      return JSON.stringify(spec.value) ?? 'undefined';
    case 'text':
      return spec.text;
    case 'deep': {
      const [open, close] = spec.shape === 'array' ? ['[', ']'] : ['{"a":', '}'];
      const nested = `${open.repeat(spec.depth)}1${close.repeat(spec.depth)}`;
      return spec.field ? `{${JSON.stringify(spec.field)}:${nested}}` : nested;
    }
    case 'big':
      return spec.shape === 'string'
        ? JSON.stringify({ name: 'x'.repeat(spec.bytes) })
        : `{${Array.from({ length: Math.floor(spec.bytes / 12) }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    case 'bytes':
      return seededBytes(spec.seed, spec.length);
    case 'png':
      return uniquePng();
    case 'form':
      return new URLSearchParams(spec.value).toString();
    case 'multipart':
      return [
        '--fuzz',
        'Content-Disposition: form-data; name="file"; filename="a.png"',
        'Content-Type: image/png',
        '',
        'PNG',
        '--fuzz--',
        '',
      ].join('\r\n');
  }
}

/** JSON text that is not quite JSON, or JSON with keys that poison naive merging. */
function rawText(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      '',
      '{',
      '{"a":',
      'nul\u0000l',
      '{"a":"\\u0000"}',
      '{"__proto__":{"roles":["operator"]},"constructor":{"prototype":{"admin":true}}}',
      '{"a":1,"a":2}',
      'null',
      '[]',
      '"string"',
      '12345678901234567890',
      '\ufeff{}',
      '{"a":1e999999}',
      '{"a":"\\ud800"}',
    ),
    fc.string({ maxLength: 200 }),
  );
}

/** Reproducible bytes for a seed (xorshift32), so a failing case sends the same body again. */
function seededBytes(seed: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed | 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}
