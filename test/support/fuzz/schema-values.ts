// JSON values for a documented schema: fitting ones (real ids, test cards and dates where the
// field names ask for them), and the same objects broken the ways careless clients break them.
import fc from 'fast-check';
import { CARDS } from '../checkout.js';
import type { JsonSchema } from './openapi.js';
import { hostileString, numberish } from './values.js';
import type { World } from './world.js';

/**
 * A value fitting the schema, with real ids and test cards where the field names ask for them;
 * `hostile` strings and numbers now and then unless it is false.
 */
export function valueFor(
  world: World,
  schema: JsonSchema,
  field: string,
  hostile = true,
): fc.Arbitrary<unknown> {
  if (schema.enum?.length) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'object': {
      if (!schema.properties) return metadataLike(world, hostile);
      const required = new Set(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, property] of Object.entries(schema.properties))
        record[name] = valueFor(world, property, name, hostile);
      return fc.record(record, { requiredKeys: [...required].filter((name) => name in record) });
    }
    case 'array':
      return fc.array(valueFor(world, schema.items ?? {}, field, hostile), {
        minLength: hostile ? 0 : 1,
        maxLength: 3,
      });
    case 'number':
    case 'integer':
      return fieldNumber(field, hostile);
    case 'boolean':
      return fc.boolean();
    default:
      return fieldString(world, field, hostile);
  }
}

function fieldString(world: World, field: string, hostile: boolean): fc.Arbitrary<string> {
  const fitting: Record<string, fc.Arbitrary<string>> = {
    tokenId: fc.constantFrom(...world.ids.token),
    listingId: fc.constantFrom(...world.ids.listing),
    dropId: fc.constantFrom(...world.ids.drop),
    collectionId: fc.constantFrom(...world.ids.collection),
    email: fc.emailAddress(),
    password: fc.string({ minLength: 10, maxLength: 30 }),
    handle: fc.stringMatching(/^[a-z0-9_-]{3,30}$/),
    idempotencyKey: fc.uuid().map((id) => `fz-${id}`),
    number: fc.constantFrom(...Object.values(CARDS)),
    cvc: fc.constantFrom('123', '1234'),
    startsAt: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    entriesCloseAt: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    note: fc.constantFrom(...world.notes),
    idNumber: fc.stringMatching(/^\d{17}[\dX]$/),
    paymentMethodId: fc.constantFrom(
      'pm_card_visa',
      'pm_card_chargeDeclined',
      'pm_unknown',
      `pm_${'x'.repeat(5000)}`,
    ),
  };
  const plain = fitting[field] ?? fc.string({ minLength: 2, maxLength: 30 });
  return hostile
    ? fc.oneof({ weight: 3, arbitrary: plain }, { weight: 1, arbitrary: hostileString(world) })
    : plain;
}

function fieldNumber(field: string, hostile: boolean): fc.Arbitrary<number> {
  const fitting: Record<string, fc.Arbitrary<number>> = {
    expMonth: fc.integer({ min: 1, max: 12 }),
    expYear: fc.integer({ min: 2027, max: 2040 }),
    royaltyBps: fc.integer({ min: 0, max: 2500 }),
    priceMinor: fc.integer({ min: 1, max: 100_000 }),
    editions: fc.integer({ min: 1, max: 3 }),
  };
  const plain = fitting[field] ?? fc.integer({ min: 1, max: 10 });
  return hostile ? fc.oneof({ weight: 2, arbitrary: plain }, { weight: 1, arbitrary: numberish() }) : plain;
}

/** Free-form metadata: NFT-ish members with hostile values, or anything JSON. */
function metadataLike(world: World, hostile: boolean): fc.Arbitrary<unknown> {
  if (!hostile) {
    return fc.record({
      name: fc.string({ minLength: 1, maxLength: 20 }),
      description: fc.string({ maxLength: 40 }),
      image: fc.constantFrom(...world.ids.cid.map((cid) => `ipfs://${cid}`)),
      attributes: fc.constant([{ trait_type: 'tone', value: 'blue' }]),
    });
  }
  return fc.oneof(
    fc.record(
      {
        name: hostileString(world),
        description: hostileString(world),
        image: fc.oneof(
          fc.constantFrom(...world.ids.cid.map((cid) => `ipfs://${cid}`)),
          hostileString(world),
        ),
        attributes: fc.array(
          fc.record({ trait_type: fc.string({ maxLength: 10 }), value: fc.jsonValue({ maxDepth: 1 }) }),
          { maxLength: 3 },
        ),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue({ maxDepth: 3 }),
  );
}

/** The schema's object broken: a field of the wrong type, fields missing, unknown fields, or not an object. */
export function brokenObject(world: World, schema: JsonSchema): fc.Arbitrary<unknown> {
  const valid = valueFor(world, schema, '');
  const names = Object.keys(schema.properties ?? {});
  const wrong = fc.oneof(fc.jsonValue({ maxDepth: 2 }), hostileString(world), numberish(), fc.constant(null));
  const unknownKey = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'roles', 'isAdmin', 'id'),
  );
  const asObject = (value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  return fc.oneof(
    names.length
      ? fc
          .tuple(valid, fc.constantFrom(...names), wrong)
          .map(([value, name, bad]) => ({ ...asObject(value), [name]: bad }))
      : wrong,
    fc.tuple(valid, fc.subarray(names)).map(([value, drop]) => {
      const copy = { ...asObject(value) };
      for (const name of drop) delete copy[name];
      return copy;
    }),
    fc
      .tuple(valid, fc.dictionary(unknownKey, wrong, { minKeys: 1, maxKeys: 3 }))
      .map(([value, extra]) => ({ ...asObject(value), ...extra })),
    wrong,
    fc.array(valid, { maxLength: 2 }),
  );
}
