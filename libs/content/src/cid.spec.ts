import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base36 } from 'multiformats/bases/base36';
import { CID } from 'multiformats/cid';
import { describe, expect, it } from 'vitest';
import { collectBytes } from './byte-channel.js';
import { computeCid, parseContentCid, verifyingStream } from './cid.js';
import { ContentCorruptedError, InvalidCidError } from './content.exception.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const GO_CACHE = join(tmpdir(), 'heirloom-go-cache');

describe('computeCid matches CIDs Kubo published for `ipfs add --cid-version=1`', () => {
  it.each([
    // kubo test/sharness/t0040-add-and-cat.sh, test_add_cat_raw: `touch zero-length-file; ipfs add --raw-leaves`.
    ['', 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'],
    // kubo test/sharness/t0114-gateway-subdomains/README.md (ipfs 0.18.1): `echo hello | ipfs add --cid-version 1`.
    ['hello\n', 'bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am'],
    // kubo test/cli/add_test.go, shortStringCidV1: "hello world" with Import.CidVersion=1.
    ['hello world', 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'],
    // kubo test/sharness/t0040-add-and-cat.sh, add_directory '--cid-version=1': MARS and VENUS.
    ['Hello Mars!\n', 'bafkreibmlvvgdyihetgocpof6xk64kjjzdeq2e4c7hqs3krdheosk4tgj4'],
    ['Hello Venus!\n', 'bafkreihfsphazrk2ilejpekyltjeh5k4yvwgjuwg26ueafohqioeo3sdca'],
    // ipfs/gateway-conformance fixtures/README.md: `ipfs add --recursive --raw-leaves --cid-version=1`, dir/ascii.txt.
    ['goodbye application/vnd.ipld.raw\n', 'bafkreibyniihaqnhs536mbvc3wx66vbfttisc6zrvea6kzeku3w4as6lum'],
  ])('%j → %s', async (text, cid) => {
    expect(await computeCid(utf8(text))).toBe(cid);
  });

  it('gives the same CID for a stream in odd-sized pieces as for one buffer', async () => {
    const bytes = new Uint8Array(randomBytes(600 * 1024 + 7));
    async function* pieces() {
      for (let at = 0; at < bytes.length; at += 99_991) yield bytes.slice(at, at + 99_991);
    }
    expect(await computeCid(pieces())).toBe(await computeCid(bytes));
  });
});

describe.skipIf(spawnSync('go', ['version']).status !== 0)(
  'Kubo sharness go-random vectors (needs Go)',
  () => {
    // kubo test/sharness/t0040-add-and-cat.sh publishes, for `ipfs add --cid-version=1`, the CIDs of
    // `random 5242880 41` (20 chunks) and `random 104857600 42` (400 chunks, two levels) from
    // github.com/jbenet/go-random, with their SHA-1s. Regenerating those bytes needs Go's math/rand.
    it.each([
      [
        5242880,
        41,
        '5620fb92eb5a49c9986b5c6844efda37e471660e',
        'bafybeigfnx3tka2rf5ovv2slb7ymrt4zbwa3ryeqibe6fipyt5vgsrli3u',
      ],
      [
        104857600,
        42,
        '885b197b01e0f7ff584458dc236cb9477d2e736d',
        'bafybeidkj5ecbhrqmzrcee2rw7qwsx24z3364qya3fnp2ktkg2tnsrewhi',
      ],
    ])('random %i %i → %s', async (count, seed, sha1, cid) => {
      const dir = mkdtempSync(join(tmpdir(), 'go-random-'));
      try {
        writeFileSync(join(dir, 'main.go'), GO_RANDOM_SOURCE);
        const file = join(dir, 'bigfile');
        execFileSync('go', ['run', 'main.go', String(count), String(seed), file], {
          cwd: dir,
          // Cache and GOPATH under tmp so this works for users without a HOME (e.g. CI).
          env: { ...process.env, GO111MODULE: 'off', GOCACHE: GO_CACHE, GOPATH: GO_CACHE },
        });
        const hash = createHash('sha1');
        for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
        expect(hash.digest('hex')).toBe(sha1);
        expect(await computeCid(createReadStream(file))).toBe(cid);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);

describe('parseContentCid', () => {
  it('accepts canonical base32 CIDv1 of raw and dag-pb content', () => {
    expect(parseContentCid('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku').code).toBe(0x55);
    expect(parseContentCid('bafybeigfnx3tka2rf5ovv2slb7ymrt4zbwa3ryeqibe6fipyt5vgsrli3u').code).toBe(0x70);
  });

  it.each([
    'QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH', // CIDv0
    'BAFKREIHDWDCEFGH4DQKJV67UZCMW7OJEE6XEDZDETOJUZJEVTENXQUVYKU', // not the canonical spelling
    CID.parse('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku').toString(base36), // other base
    '../../etc/passwd',
    '',
  ])('rejects %s', (value) => {
    expect(() => parseContentCid(value)).toThrow(InvalidCidError);
  });
});

describe('verifyingStream', () => {
  it('passes matching bytes through unchanged', async () => {
    const cid = await computeCid(utf8('hello world'));
    expect(await collectBytes(verifyingStream(cid, chunked(utf8('hello world'), 3)))).toEqual(
      utf8('hello world'),
    );
  });

  it('fails before the last chunk when the bytes do not match', async () => {
    const cid = await computeCid(utf8('hello world'));
    const received: Uint8Array[] = [];
    const read = async () => {
      for await (const chunk of verifyingStream(cid, chunked(utf8('hello wOrld'), 3))) received.push(chunk);
    };
    await expect(read()).rejects.toBeInstanceOf(ContentCorruptedError);
    expect(Buffer.concat(received).byteLength).toBeLessThan('hello world'.length);
  });
});

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
}

const GO_RANDOM_SOURCE = `package main

import (
	"bufio"
	"math/rand"
	"os"
	"strconv"
)

func main() {
	count, _ := strconv.ParseInt(os.Args[1], 10, 64)
	seed, _ := strconv.ParseInt(os.Args[2], 10, 64)
	out, err := os.Create(os.Args[3])
	if err != nil {
		panic(err)
	}
	w := bufio.NewWriter(out)
	r := rand.New(rand.NewSource(seed))
	for i := int64(0); i < count; {
		n := r.Uint32()
		for j := 0; j < 4 && i < count; j++ {
			w.WriteByte(byte(n))
			n >>= 8
			i++
		}
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}
	out.Close()
}
`;
