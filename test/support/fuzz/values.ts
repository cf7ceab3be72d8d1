// Hostile values for every place a request carries text: path segments, query strings, headers and
// JSON fields. Real ids of the fuzz world are mixed in so that requests get past "not found".
import fc from 'fast-check';
import type { World } from './world.js';

const NUL = '\u0000';

/** Strings that have broken servers before: NULs, escapes, numbers out of range, injections. */
const NASTY = [
  '',
  ' ',
  NUL,
  `abc${NUL}def`,
  '\\',
  '"',
  "'",
  "' OR 1=1 --",
  '%',
  '%00',
  '_',
  '..',
  '../../etc/passwd',
  '-1',
  '0',
  '1.5',
  '1e309',
  'NaN',
  'Infinity',
  '0x10',
  '9007199254740993',
  '99999999999999999999999999',
  'true',
  'null',
  'undefined',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  '<script>alert(1)</script>',
  '\ud800',
  '\u202e\u0041',
  '🧨💥',
  'ｆｕｌｌｗｉｄｔｈ',
  '\r\nX-Injected: 1',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'hls_x',
  'hlk_x',
  'ipfs://bafy',
  'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
];

/**
 * A string an attacker would send: random text, a nasty constant, a NUL, lone surrogate or BOM
 * inside, a huge one, or (with a world) a real id, perhaps mangled.
 */
export function hostileString(world?: World): fc.Arbitrary<string> {
  const options: fc.WeightedArbitrary<string>[] = [
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
    { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.string({ maxLength: 10 }),
          fc.constantFrom(NUL, '\ud800', '\udfff', '\ufeff'),
          fc.string({ maxLength: 10 }),
        )
        .map(([a, odd, b]) => `${a}${odd}${b}`),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(300, 10_000, 100_000)
        .chain((length) => fc.constantFrom('x', 'é', '0', '%', NUL).map((c) => c.repeat(length))),
    },
  ];
  if (world) {
    options.push(
      { weight: 3, arbitrary: realId(world) },
      { weight: 1, arbitrary: realId(world).map((id) => id.toUpperCase()) },
      { weight: 1, arbitrary: realId(world).map((id) => id + NUL) },
    );
  }
  return fc.oneof(...options);
}

/** Any real id or value of the world. */
export function realId(world: World): fc.Arbitrary<string> {
  const all = Object.values(world.ids).flat();
  return fc.constantFrom(...all);
}

/** A numeric-looking value for a number field or parameter, in and out of range. */
export function numberish(): fc.Arbitrary<number> {
  return fc.oneof(
    fc.integer({ min: -5, max: 20 }),
    fc.constantFrom(
      0,
      -1,
      1,
      2 ** 31,
      2 ** 53,
      -(2 ** 53),
      1e12,
      1e21,
      1e308,
      0.5,
      -0.0,
      Number.MAX_SAFE_INTEGER,
    ),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );
}

/** Percent-encodes like a client would; lone surrogates become U+FFFD first (encodeURIComponent throws). */
export function encode(value: string): string {
  return encodeURIComponent(value.replace(/\p{Surrogate}/gu, '\ufffd'));
}

/** Text that is not valid percent-encoding, sent as is. */
const RAW_SEGMENTS = [
  '%',
  '%zz',
  '%C0%AE',
  '%ED%A0%80',
  '%ff%fe',
  '%2F',
  '%2e%2e',
  ';x=1',
  '%E2%80%AE',
  '%00',
];

/** A path parameter: a real id (often of the right kind), or anything else, already encoded. */
export function pathSegment(world: World, template: string, name: string): fc.Arbitrary<string> {
  const matching = idsForParam(world, template, name);
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...matching).map(encode) },
    { weight: 1, arbitrary: realId(world).map(encode) },
    { weight: 1, arbitrary: fc.uuid().map(encode) },
    { weight: 3, arbitrary: hostileString(world).map(encode) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
  );
}

/** The world's ids a parameter names: by its name, or for `{id}` by the collection before it. */
function idsForParam(world: World, template: string, name: string): string[] {
  const byName: Record<string, string[]> = {
    tokenId: world.ids.token,
    paymentId: world.ids.payment,
    cid: world.ids.cid,
    size: world.ids.checkpointSize,
    role: ['collector', 'creator', 'operator', 'auditor'],
  };
  const byCollection: Record<string, string[]> = {
    sessions: world.ids.session,
    'api-keys': world.ids.apiKey,
    accounts: world.ids.account,
    collections: world.ids.collection,
    tokens: world.ids.token,
    orders: world.ids.order,
    drops: world.ids.drop,
  };
  const collection = template.split(`/{${name}}`)[0].split('/').pop() ?? '';
  return byName[name] ?? byCollection[collection] ?? Object.values(world.ids).flat();
}

/** A query string: documented parameters with fitting or hostile values, unknown ones, repeats. */
export function queryString(world: World, documented: { name: string; schema: { enum?: unknown[] } }[]) {
  const fitting = documented.map((param) =>
    fc.tuple(
      fc.constant(param.name),
      param.schema.enum?.length
        ? fc.constantFrom(...param.schema.enum.map(String))
        : fittingQueryValue(world, param.name),
    ),
  );
  const hostile = fc.tuple(
    fc.oneof(
      {
        weight: 3,
        arbitrary: documented.length ? fc.constantFrom(...documented.map((p) => p.name)) : fc.constant('q'),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '__proto__',
          'constructor[prototype][admin]',
          'a[b][c]',
          'limit[]',
          'x'.repeat(5000),
        ),
      },
      { weight: 1, arbitrary: hostileString() },
    ),
    fc.oneof(numberish().map(String), hostileString(world)),
  );
  const pair = fc.oneof(
    {
      weight: fitting.length ? 6 : 0,
      arbitrary: fitting.length ? fc.oneof(...fitting) : fc.constant(['q', '1'] as [string, string]),
    },
    { weight: 3, arbitrary: hostile },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('%', 'a=%zz', '&&&', '=', 'q', 'q=%00', 'q=%ED%A0%80', 'q[]=1&q[]=2')
        .map((raw) => [raw] as [string]),
    },
  );
  // Often every documented parameter with a fitting value (some are required together), plus a few more.
  const complete = fc.tuple(...fitting.map((arbitrary) => fc.option(arbitrary, { freq: 4, nil: undefined })));
  return fc
    .tuple(
      fc.oneof({ weight: 3, arbitrary: complete }, { weight: 1, arbitrary: fc.constant([]) }),
      fc.array(pair, { maxLength: documented.length ? 3 : 2 }),
    )
    .map(([all, more]) => [...all.filter((pair) => pair !== undefined), ...more])
    .map((pairs) =>
      pairs.length
        ? `?${pairs.map(([name, value]) => (value === undefined ? name : `${encode(name)}=${encode(value)}`)).join('&')}`
        : '',
    );
}

/** A value the named query parameter accepts, mostly. */
function fittingQueryValue(world: World, name: string): fc.Arbitrary<string> {
  const small = fc.integer({ min: 0, max: 12 }).map(String);
  const byName: Record<string, fc.Arbitrary<string>> = {
    q: fc.oneof(
      fc.constantFrom('fuzz', 'piece', '"fuzz piece"', '-red or blue'),
      fc.string({ minLength: 1, maxLength: 30 }),
    ),
    creator: fc.constantFrom(...world.ids.account, 'fuzz_creator', 'nobody'),
    collection: fc.constantFrom(...world.ids.collection),
    limit: fc.integer({ min: 1, max: 100 }).map(String),
    cursor: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}\.[A-Za-z0-9_-]{1,20}$/),
    minPrice: small,
    maxPrice: fc.integer({ min: 0, max: 100_000 }).map(String),
    currency: fc.constantFrom('USD', 'EUR', 'XXX'),
    attr: fc.constantFrom('tone:red', 'tone:blue', 'a:b:c'),
    leafHash: fc.constantFrom(...world.ids.leafHash, 'ab'.repeat(32)),
    final: fc.constantFrom('true', 'false'),
  };
  return byName[name] ?? small;
}

/** Printable ASCII only: fetch refuses anything else in a header value. */
export function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?');
}
