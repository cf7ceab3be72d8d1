import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { CID } from 'multiformats/cid';
import { InvalidMetadataError, type MetadataIssue } from './content.exception.js';

/** One trait of a token, in the common (OpenSea-style) NFT metadata shape. */
export interface NftAttribute {
  trait_type: string;
  value: string | number;
  display_type?: 'number' | 'boost_number' | 'boost_percentage' | 'date';
}

/** Token metadata in the common NFT shape; media are referenced as `ipfs://<CID>`. */
export interface NftMetadata {
  name: string;
  description: string;
  image: string;
  animation_url?: string;
  external_url?: string;
  attributes?: NftAttribute[];
}

// ipfs://<CIDv0 | base32 CIDv1>[/path]; the CID itself is parsed again after the schema passes.
const IPFS_URI_PATTERN = '^ipfs://(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{58,})(/[^\\s?#]*)?$';
const IPFS_URI_HINT = 'must be an ipfs:// URI naming a CIDv0 (Qm…) or base32 CIDv1 (bafy…/bafk…)';

/** JSON Schema (draft 2020-12) of NftMetadata; unknown properties are rejected. */
export const NFT_METADATA_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://heirloom.dev/schemas/nft-metadata.json',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description', 'image'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 5000 },
    image: { type: 'string', maxLength: 2048, pattern: IPFS_URI_PATTERN, description: IPFS_URI_HINT },
    animation_url: { type: 'string', maxLength: 2048, pattern: IPFS_URI_PATTERN, description: IPFS_URI_HINT },
    external_url: {
      type: 'string',
      maxLength: 2048,
      pattern: '^https?://\\S+$',
      description: 'must be an http:// or https:// URL',
    },
    attributes: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['trait_type', 'value'],
        properties: {
          trait_type: { type: 'string', minLength: 1, maxLength: 100 },
          value: { type: ['string', 'number'], maxLength: 500 },
          display_type: { enum: ['number', 'boost_number', 'boost_percentage', 'date'] },
        },
        // Every display type renders a number (a date is a Unix timestamp).
        dependentSchemas: { display_type: { type: 'object', properties: { value: { type: 'number' } } } },
      },
    },
  },
} as const;

const validateSchema = new Ajv2020({
  allErrors: true,
  verbose: true,
  strict: true,
  allowUnionTypes: true,
}).compile(NFT_METADATA_SCHEMA);

/** Lists every problem in a metadata document, readably; an empty list means it is valid. */
export function validateMetadata(json: unknown): MetadataIssue[] {
  if (!validateSchema(json)) {
    return (validateSchema.errors ?? []).map(toIssue);
  }
  const metadata = json as NftMetadata;
  const issues: MetadataIssue[] = [];
  for (const field of ['image', 'animation_url'] as const) {
    const uri = metadata[field];
    if (uri !== undefined && !isParsableCid(uri.slice('ipfs://'.length).split('/')[0])) {
      issues.push({ path: `/${field}`, message: 'names a CID that does not parse' });
    }
  }
  return issues;
}

/** Returns the metadata typed, or throws InvalidMetadataError listing every issue. */
export function assertValidMetadata(json: unknown): NftMetadata {
  const issues = validateMetadata(json);
  if (issues.length > 0) throw new InvalidMetadataError(issues);
  return json as NftMetadata;
}

/**
 * Encodes valid metadata as canonical JSON (RFC 8785 style: sorted keys, no whitespace, ECMAScript
 * number form) in UTF-8, so equal metadata always yields the same bytes and so the same CID.
 */
export function encodeMetadata(metadata: NftMetadata): Uint8Array {
  return new TextEncoder().encode(canonicalJson(assertValidMetadata(metadata)));
}

/** Serialises a JSON value with object keys sorted by UTF-16 code units, as RFC 8785 does. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('Non-finite number in JSON');
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`Cannot encode ${typeof value} as JSON`);
  return text;
}

function isParsableCid(text: string): boolean {
  try {
    CID.parse(text);
    return true;
  } catch {
    return false;
  }
}

function toIssue(error: ErrorObject): MetadataIssue {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: `${error.instancePath}/${String(params.missingProperty)}`, message: 'is required' };
    case 'additionalProperties':
      return {
        path: `${error.instancePath}/${String(params.additionalProperty)}`,
        message: 'is not an allowed property',
      };
    case 'type':
      return { path: error.instancePath, message: `must be ${String(params.type).split(',').join(' or ')}` };
    case 'minLength':
      return { path: error.instancePath, message: `must be at least ${String(params.limit)} characters` };
    case 'maxLength':
      return { path: error.instancePath, message: `must be at most ${String(params.limit)} characters` };
    case 'maxItems':
      return { path: error.instancePath, message: `must have at most ${String(params.limit)} items` };
    case 'enum':
      return {
        path: error.instancePath,
        message: `must be one of ${(params.allowedValues as unknown[]).join(', ')}`,
      };
    case 'pattern': {
      const hint = (error.parentSchema as { description?: string } | undefined)?.description;
      return { path: error.instancePath, message: hint ?? 'has an invalid format' };
    }
    default:
      return { path: error.instancePath, message: error.message ?? 'is invalid' };
  }
}
