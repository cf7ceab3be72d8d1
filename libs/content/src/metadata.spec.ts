import { describe, expect, it } from 'vitest';
import { computeCid } from './cid.js';
import { InvalidMetadataError } from './content.exception.js';
import {
  assertValidMetadata,
  canonicalJson,
  encodeMetadata,
  validateMetadata,
  type NftMetadata,
} from './metadata.js';

const IMAGE = 'ipfs://bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am';

const valid: NftMetadata = {
  name: 'Dawn over the Bund #1',
  description: 'First of a numbered edition.',
  image: IMAGE,
  animation_url: 'ipfs://QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH',
  external_url: 'https://heirloom.example/tokens/1',
  attributes: [
    { trait_type: 'Palette', value: 'Amber' },
    { trait_type: 'Edition', value: 1, display_type: 'number' },
  ],
};

describe('validateMetadata', () => {
  it('accepts complete metadata', () => {
    expect(validateMetadata(valid)).toEqual([]);
    expect(assertValidMetadata(valid)).toBe(valid);
  });

  it('accepts the minimal shape and an image path inside a directory CID', () => {
    expect(validateMetadata({ name: 'x', description: '', image: `${IMAGE}/art.png` })).toEqual([]);
  });

  it('lists every problem with a JSON Pointer and a readable message', () => {
    const issues = validateMetadata({
      name: '',
      description: 'd'.repeat(5001),
      image: 'https://example.com/a.png',
      royalty: 5,
      attributes: [{ trait_type: 'Size', value: true }, { value: 'no trait' }],
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: '/name', message: 'must be at least 1 characters' },
        { path: '/description', message: 'must be at most 5000 characters' },
        {
          path: '/image',
          message: 'must be an ipfs:// URI naming a CIDv0 (Qm…) or base32 CIDv1 (bafy…/bafk…)',
        },
        { path: '/royalty', message: 'is not an allowed property' },
        { path: '/attributes/0/value', message: 'must be string or number' },
        { path: '/attributes/1/trait_type', message: 'is required' },
      ]),
    );
    expect(issues).toHaveLength(6);
  });

  it('requires name, description and image', () => {
    expect(validateMetadata({})).toEqual([
      { path: '/name', message: 'is required' },
      { path: '/description', message: 'is required' },
      { path: '/image', message: 'is required' },
    ]);
  });

  it('rejects a non-object document', () => {
    expect(validateMetadata([valid])).toEqual([{ path: '', message: 'must be object' }]);
    expect(validateMetadata(null)).toEqual([{ path: '', message: 'must be object' }]);
  });

  it('limits attributes to 100 and requires numbers for display types', () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ trait_type: `t${i}`, value: i }));
    expect(validateMetadata({ ...valid, attributes: many })).toEqual([
      { path: '/attributes', message: 'must have at most 100 items' },
    ]);
    const dated = [{ trait_type: 'Minted', value: 'yesterday', display_type: 'date' }];
    expect(validateMetadata({ ...valid, attributes: dated })).toEqual([
      { path: '/attributes/0/value', message: 'must be number' },
    ]);
    const unknownDisplay = [{ trait_type: 'Level', value: 3, display_type: 'stars' }];
    expect(validateMetadata({ ...valid, attributes: unknownDisplay })).toEqual([
      {
        path: '/attributes/0/display_type',
        message: 'must be one of number, boost_number, boost_percentage, date',
      },
    ]);
  });

  it('rejects an ipfs:// URI whose CID has the right shape but does not parse', () => {
    // Right alphabet and length, but not a valid multihash inside.
    const bogus = `ipfs://b${'a'.repeat(58)}`;
    expect(validateMetadata({ ...valid, image: bogus })).toEqual([
      { path: '/image', message: 'names a CID that does not parse' },
    ]);
  });

  it('rejects non-http external URLs', () => {
    expect(validateMetadata({ ...valid, external_url: 'javascript:alert(1)' })).toEqual([
      { path: '/external_url', message: 'must be an http:// or https:// URL' },
    ]);
  });

  it('throws InvalidMetadataError carrying the issues', () => {
    const error = (() => {
      try {
        assertValidMetadata({ name: 'x' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidMetadataError);
    expect((error as InvalidMetadataError).issues).toHaveLength(2);
    expect((error as InvalidMetadataError).status).toBe(422);
  });
});

describe('encodeMetadata', () => {
  it('is canonical: key order and formatting never change the bytes or the CID', async () => {
    const reordered = JSON.parse(
      '{ "attributes": [ {"value":"Amber","trait_type":"Palette"}, {"display_type":"number","value":1.0,"trait_type":"Edition"} ],' +
        ' "external_url":"https://heirloom.example/tokens/1", "image":"' +
        IMAGE +
        '", "animation_url":"ipfs://QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH",' +
        ' "description":"First of a numbered edition.", "name":"Dawn over the Bund #1" }',
    ) as NftMetadata;
    const a = encodeMetadata(valid);
    const b = encodeMetadata(reordered);
    expect(b).toEqual(a);
    expect(await computeCid(b)).toBe(await computeCid(a));
    expect(new TextDecoder().decode(a)).toBe(
      '{"animation_url":"ipfs://QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH",' +
        '"attributes":[{"trait_type":"Palette","value":"Amber"},{"display_type":"number","trait_type":"Edition","value":1}],' +
        '"description":"First of a numbered edition.","external_url":"https://heirloom.example/tokens/1",' +
        `"image":"${IMAGE}","name":"Dawn over the Bund #1"}`,
    );
  });

  it('refuses to encode invalid metadata', () => {
    expect(() => encodeMetadata({ ...valid, name: '' })).toThrow(InvalidMetadataError);
  });
});

describe('canonicalJson', () => {
  it('sorts keys by UTF-16 code units and writes numbers the ECMAScript way (RFC 8785)', () => {
    // RFC 8785 §3.2.3's example: "\ud83d\ude00" (😀) sorts before "\ufb33" (דּ) as UTF-16, unlike by code point.
    expect(canonicalJson({ '\ufb33': 1, '😀': 2, b: [1e21, 0.000001, -0], a: 'é\n' })).toBe(
      '{"a":"é\\n","b":[1e+21,0.000001,0],"😀":2,"\ufb33":1}',
    );
  });

  it('refuses non-finite numbers', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
  });
});
