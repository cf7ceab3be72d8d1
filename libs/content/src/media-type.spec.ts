import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MediaTypeMismatchError, UnsupportedMediaTypeError } from './content.exception.js';
import { normalizeDeclaredMime, sniffMediaType } from './media-type.js';

// Minimal but real file headers, built byte by byte so the test needs no fixture files.
const bytes = (...parts: Array<string | number[] | Uint8Array>) =>
  new Uint8Array(
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))),
  );
const u32be = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const u32le = (n: number) => u32be(n).reverse();
const pngChunk = (type: string, data: Uint8Array) =>
  bytes(u32be(data.length), type, data, u32be(crc32(bytes(type, data))));

/** A complete 1x1 greyscale PNG. */
const PNG = bytes(
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  pngChunk('IHDR', bytes(u32be(1), u32be(1), [8, 0, 0, 0, 0])),
  pngChunk('IDAT', deflateSync(Buffer.from([0, 0]))),
  pngChunk('IEND', new Uint8Array()),
);
/** SOI, a JFIF APP0 segment, EOI. */
const JPEG = bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'JFIF\0', [1, 1, 0, 0, 1, 0, 1, 0, 0], [0xff, 0xd9]);
/** Three MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz, 417 bytes each). */
const MP3_FRAME = bytes([0xff, 0xfb, 0x90, 0x64], new Uint8Array(413));
const MP3 = bytes(MP3_FRAME, MP3_FRAME, MP3_FRAME);
const MP3_WITH_ID3 = bytes('ID3', [3, 0, 0, 0, 0, 0, 0], MP3_FRAME, MP3_FRAME);
const WAV_FMT = bytes('fmt ', u32le(16), [1, 0, 1, 0], u32le(8000), u32le(8000), [1, 0, 8, 0]);
const VORBIS_ID = bytes('\x01vorbis', new Uint8Array(23));

const ACCEPTED: Array<[string, Uint8Array, string, string]> = [
  ['PNG', PNG, 'image/png', 'png'],
  ['JPEG', JPEG, 'image/jpeg', 'jpg'],
  ['GIF', bytes('GIF89a', [1, 0, 1, 0, 0, 0, 0], ';'), 'image/gif', 'gif'],
  ['WebP', bytes('RIFF', u32le(12), 'WEBPVP8 ', u32le(0)), 'image/webp', 'webp'],
  ['AVIF', bytes(u32be(24), 'ftypavif', u32be(0), 'avifmif1'), 'image/avif', 'avif'],
  ['MP4', bytes(u32be(24), 'ftypisom', u32be(0x200), 'isommp41'), 'video/mp4', 'mp4'],
  [
    'WebM',
    bytes(
      [0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 1, 0x42, 0xf7, 0x81, 1, 0x42, 0xf2, 0x81, 4],
      [0x42, 0xf3, 0x81, 8, 0x42, 0x82, 0x84],
      'webm',
      [0x42, 0x87, 0x81, 4, 0x42, 0x85, 0x81, 2],
    ),
    'video/webm',
    'webm',
  ],
  ['MP3', MP3, 'audio/mpeg', 'mp3'],
  ['MP3 with an ID3 tag', MP3_WITH_ID3, 'audio/mpeg', 'mp3'],
  [
    'Ogg Vorbis',
    bytes('OggS', [0, 2], new Uint8Array(20), [1, VORBIS_ID.length], VORBIS_ID),
    'audio/ogg',
    'ogg',
  ],
  ['WAV', bytes('RIFF', u32le(36), 'WAVE', WAV_FMT, 'data', u32le(0)), 'audio/wav', 'wav'],
  ['FLAC', bytes('fLaC', [0x80, 0, 0, 34], new Uint8Array(34)), 'audio/flac', 'flac'],
  ['glTF binary', bytes('glTF', u32le(2), u32le(12)), 'model/gltf-binary', 'glb'],
];

describe('sniffMediaType', () => {
  it.each(ACCEPTED)('recognises %s from its bytes', async (_name, head, mime, ext) => {
    expect(await sniffMediaType(head)).toMatchObject({ mime, ext });
    expect(await sniffMediaType(head, mime)).toMatchObject({ mime, ext });
  });

  it('reports the kind of media', async () => {
    expect((await sniffMediaType(PNG)).kind).toBe('image');
    expect((await sniffMediaType(MP3)).kind).toBe('audio');
  });

  it.each([
    ['PDF', bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'), 'application/pdf'],
    ['ZIP', bytes('PK', [3, 4, 20, 0, 0, 0, 0, 0], new Uint8Array(20)), 'application/zip'],
    ['SVG (script-capable, text only)', bytes('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), undefined],
    ['HTML', bytes('<!doctype html><html><script>alert(1)</script></html>'), undefined],
    ['empty input', new Uint8Array(), undefined],
  ])('rejects %s', async (_name, head, sniffed) => {
    const error = await sniffMediaType(head, 'image/png').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect((error as UnsupportedMediaTypeError).sniffedMime).toBe(sniffed);
  });

  it('rejects a spoofed type: PNG bytes declared as JPEG', async () => {
    const error = await sniffMediaType(PNG, 'image/jpeg').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaTypeMismatchError);
    expect(error).toMatchObject({ declaredMime: 'image/jpeg', sniffedMime: 'image/png', status: 422 });
  });

  it('rejects audio declared as an image', async () => {
    await expect(sniffMediaType(MP3, 'image/gif')).rejects.toBeInstanceOf(MediaTypeMismatchError);
  });

  it.each([
    [JPEG, 'image/jpg'],
    [JPEG, 'IMAGE/JPEG; charset=binary'],
    [MP3, 'audio/mp3'],
    [PNG, 'application/octet-stream'],
    [PNG, ''],
  ])('accepts an equivalent or empty declaration (%#: %s)', async (head, declared) => {
    await expect(sniffMediaType(head, declared)).resolves.toBeDefined();
  });
});

describe('normalizeDeclaredMime', () => {
  it('lower-cases, drops parameters and maps aliases', () => {
    expect(normalizeDeclaredMime(' Audio/X-WAV ; rate=8000')).toBe('audio/wav');
    expect(normalizeDeclaredMime('image/png')).toBe('image/png');
  });
});
