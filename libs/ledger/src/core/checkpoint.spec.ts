/**
 * C2SP tlog-checkpoint bodies, plus real signed checkpoints of the Go checksum database:
 * sum.golang.org /lookup responses quoted in public write-ups, checked against the sumdb verifier key
 * published in Go's src/cmd/go/internal/modfetch/key.go. They show interoperability with Go's
 * sumdb/note and tlog tooling on data we did not produce.
 */
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from './bytes.js';
import { CheckpointError, formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { generateKey, openNote, parseSignerKey, parseVerifierKey, signNote } from './note.js';

const SUMDB_VKEY = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';
const SUMDB_CHECKPOINTS = [
  {
    size: 63512409,
    root: 'F7eHRPqN/cqPtqti14NKdGGaI1Giw8coWP3KxihFZbg=',
    sig: 'Az3gri1OBHKT87Xj8UXU8zjoHGy/X+7Nl94f8TZkELVaasolmGApUsWqwVG9vE6hgqYb/ph/w2vdkLIVRH7bMB/FPQ4=',
  },
  {
    size: 15368405,
    root: '/g9am3I6YWNKaZX/jkne1fqd9zEyjss+JXyPXG0WfkY=',
    sig: 'Az3grqJGUaSGukG9p8nI2vKgiFn7qGHxn0W+mrwyI6Gz3F0t1J3LzmWk/p96Ybf295EjwdSwlzgijq5WA9d1Ded7owM=',
  },
  {
    size: 63096908,
    root: '8lHrQPRYe4KT4WQ9/Qk8/taKnD6IRHbFgfN7vQE2Y54=',
    sig: 'Az3gri/oVBN1jAhNZ/iS+W31psFAWRT20/GyrhpU6taFwulQGetBkH5S7wpGXdS935jiIGiUUAXBVHzT/P6fYhqAmAk=',
  },
  {
    size: 59045944,
    root: 'LE6Lx+GNVyuFBv/jKcFIiPkG1WC7DHwG0clpfN/TBlA=',
    sig: 'Az3grk9ctaTv+CITXOwxCEHU3APAw5X7Ck14+fvFlh0GCktwX15+XPzy//GgL2G50ZgY05e8eXFTWcvW6pN5tozsLQQ=',
  },
];
const signedSumdbCheckpoint = ({ size, root, sig }: { size: number; root: string; sig: string }): string =>
  `go.sum database tree\n${size}\n${root}\n\n\u2014 sum.golang.org ${sig}\n`;

const ROOT = fromBase64('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');

function codeOf(text: string): string | undefined {
  try {
    parseCheckpoint(text);
    return undefined;
  } catch (error) {
    return error instanceof CheckpointError ? error.code : String(error);
  }
}

describe('checkpoint body', () => {
  it('formats and parses the C2SP example', () => {
    const body = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    expect(formatCheckpoint({ origin: 'example.com/behind-the-sofa', size: 20852163, rootHash: ROOT })).toBe(
      body,
    );
    expect(parseCheckpoint(body)).toEqual({
      origin: 'example.com/behind-the-sofa',
      size: 20852163,
      rootHash: ROOT,
    });
  });

  it('round-trips the empty tree and extension lines', () => {
    const checkpoint = {
      origin: 'heirloom.example/ledger',
      size: 0,
      rootHash: ROOT,
      extensions: ['ext one', 'two'],
    };
    expect(parseCheckpoint(formatCheckpoint(checkpoint))).toEqual(checkpoint);
  });

  it.each([
    ['no final newline', 'o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'malformed-checkpoint'],
    ['missing root line', 'o\n1\n', 'malformed-checkpoint'],
    ['empty origin', '\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', 'invalid-origin'],
    ['leading zero', 'o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', 'invalid-size'],
    ['signed size', 'o\n+1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', 'invalid-size'],
    ['negative size', 'o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', 'invalid-size'],
    ['spaces in size', 'o\n 1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', 'invalid-size'],
    ['size too large', 'o\n9007199254740992\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', 'invalid-size'],
    ['31-byte root', `o\n1\n${toBase64(new Uint8Array(31))}\n`, 'invalid-root-hash'],
    ['unpadded root', 'o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n', 'invalid-root-hash'],
    ['non-canonical root', 'o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n', 'invalid-root-hash'],
    ['empty extension', 'o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n', 'invalid-extension'],
    ['control character', 'o\r\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', 'invalid-origin'],
  ])('rejects %s', (_, text, code) => {
    expect(codeOf(text)).toBe(code);
  });

  it('refuses to format invalid checkpoints', () => {
    expect(() => formatCheckpoint({ origin: '', size: 1, rootHash: ROOT })).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'o', size: 1.5, rootHash: ROOT })).toThrow(CheckpointError);
    expect(() => formatCheckpoint({ origin: 'o', size: 1, rootHash: ROOT.slice(1) })).toThrow(
      CheckpointError,
    );
  });
});

describe('signed checkpoints', () => {
  it.each(SUMDB_CHECKPOINTS)('verifies sum.golang.org checkpoint of size $size', (vector) => {
    const opened = openNote(signedSumdbCheckpoint(vector), [parseVerifierKey(SUMDB_VKEY)]);
    expect(opened.signatures.map((signature) => signature.name)).toEqual(['sum.golang.org']);
    const checkpoint = parseCheckpoint(opened.text);
    expect(checkpoint.origin).toBe('go.sum database tree');
    expect(checkpoint.size).toBe(vector.size);
    expect(toBase64(checkpoint.rootHash)).toBe(vector.root);
  });

  it('rejects a sum.golang.org checkpoint whose size or root was altered', () => {
    const verifier = parseVerifierKey(SUMDB_VKEY);
    const note = signedSumdbCheckpoint(SUMDB_CHECKPOINTS[0]!);
    expect(() => openNote(note.replace('63512409', '63512410'), [verifier])).toThrow(/invalid signature/);
    expect(() => openNote(note.replace('F7eH', 'F7eI'), [verifier])).toThrow(/invalid signature/);
  });

  it('signs our own checkpoints under the origin as key name', () => {
    const keys = generateKey('heirloom.example/ledger', new Uint8Array(32).fill(3));
    const body = formatCheckpoint({ origin: 'heirloom.example/ledger', size: 5, rootHash: ROOT });
    const opened = openNote(signNote(body, [parseSignerKey(keys.signerKey)]), [
      parseVerifierKey(keys.verifierKey),
    ]);
    expect(parseCheckpoint(opened.text).size).toBe(5);
  });
});
