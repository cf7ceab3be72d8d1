/**
 * cosignature/v1 (c2sp.org/tlog-cosignature). Vectors: the spec's own example signature line, and
 * transparency-dev/formats note/note_cosigv1_test.go (Apache-2.0): the native 0x04 key
 * "remora.n621.de", the 0x01 key "TEST", the malformed keys, and the timestamped signature. The
 * signed message is cross-checked against Node's own Ed25519 over bytes built from the spec's text.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromBase64, toBase64, utf8 } from './bytes.js';
import { formatCheckpoint } from './checkpoint.js';
import {
  COSIGNATURE_V1_ALG,
  CosignatureError,
  cosignatureKeyId,
  cosignatureLine,
  cosignatureMessage,
  cosignatureTimestamp,
  generateCosignatureKey,
  parseCosignatureSignerKey,
  parseCosignatureVerifierKey,
} from './cosignature.js';
import { generateKey, NoteError, openNote, parseSignerKey, parseVerifierKey, signNote } from './note.js';

const REMORA_VKEY = 'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2';
const TEST_ED25519_VKEY = 'TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6';
const SPEC_SIGNATURE =
  'jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==';
const FORMATS_SIGNATURE =
  'ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==';
const PLAIN_ED25519_SIGNATURE =
  'eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY=';

const CHECKPOINT = formatCheckpoint({
  origin: 'example.com/behind-the-sofa',
  size: 20852163,
  rootHash: fromBase64('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I='),
});
const witness = generateCosignatureKey('witness.example/w1', new Uint8Array(32).fill(3));
const operator = generateKey('example.com/behind-the-sofa', new Uint8Array(32).fill(4));

function errorCode(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof CosignatureError ? error.code : `not a CosignatureError: ${String(error)}`;
  }
}

describe('cosignature/v1 keys', () => {
  it('computes the key ID of a native 0x04 verifier key as formats does', () => {
    const verifier = parseCosignatureVerifierKey(REMORA_VKEY);
    expect(verifier.name).toBe('remora.n621.de');
    expect(verifier.keyHash).toBe(0xda77ade7);
    expect(verifier.verifierKey).toBe(REMORA_VKEY);
    expect(cosignatureKeyId('remora.n621.de', verifier.publicKey)).toBe(0xda77ade7);
  });

  it('takes a plain Ed25519 (0x01) key as the same key pair with a 0x04 key ID', () => {
    const verifier = parseCosignatureVerifierKey(TEST_ED25519_VKEY);
    const plain = parseVerifierKey(TEST_ED25519_VKEY);
    expect(verifier.publicKey).toEqual(plain.publicKey);
    expect(plain.keyHash).toBe(0x7997405c);
    expect(verifier.keyHash).not.toBe(plain.keyHash);
    // Same key bytes, type byte 0x01 → 0x04 ("AQcC" → "BAcC").
    expect(verifier.verifierKey).toMatch(
      /^TEST\+[0-9a-f]{8}\+BAcC\+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6$/,
    );
    expect(parseCosignatureVerifierKey(verifier.verifierKey).keyHash).toBe(verifier.keyHash);
  });

  it('rejects the malformed keys formats rejects, and a wrong key ID', () => {
    expect(errorCode(() => parseCosignatureVerifierKey('bananas.sigstore.dev+12344556'))).toBe(
      'malformed-key',
    );
    expect(
      errorCode(() => parseCosignatureVerifierKey('rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!')),
    ).toBe('malformed-key');
    const alg3 = 'rekor.sigstore.dev+12345678+' + toBase64(concatBytes(Uint8Array.of(3), new Uint8Array(32)));
    expect(errorCode(() => parseCosignatureVerifierKey(alg3))).toBe('unknown-algorithm');
    expect(errorCode(() => parseCosignatureVerifierKey(REMORA_VKEY.replace('da77ade7', '00000000')))).toBe(
      'key-hash-mismatch',
    );
    expect(errorCode(() => parseCosignatureVerifierKey(REMORA_VKEY.replace('remora', 'remorb')))).toBe(
      'key-hash-mismatch',
    );
    expect(errorCode(() => parseCosignatureVerifierKey(REMORA_VKEY.slice(0, -4)))).toBe('malformed-key');
  });

  it('generates 0x04 key pairs whose signer and verifier agree, and reads 0x01 signer keys too', () => {
    expect(fromBase64(witness.verifierKey.split('+')[2]!)[0]).toBe(COSIGNATURE_V1_ALG);
    const signer = parseCosignatureSignerKey(witness.signerKey);
    expect(signer.verifierKey).toBe(witness.verifierKey);
    expect(signer.keyHash).toBe(parseCosignatureVerifierKey(witness.verifierKey).keyHash);

    const plain = generateKey('plain.example/w2', new Uint8Array(32).fill(5));
    const fromPlain = parseCosignatureSignerKey(plain.signerKey);
    expect(fromPlain.verifierKey).toBe(parseCosignatureVerifierKey(plain.verifierKey).verifierKey);
    expect(
      errorCode(() => parseCosignatureSignerKey(witness.signerKey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'))),
    ).toBe('key-hash-mismatch');
  });
});

describe('cosignature/v1 signatures', () => {
  it('reads the timestamp and key ID of the spec example and of formats’ vector', () => {
    expect(cosignatureTimestamp(SPEC_SIGNATURE)).toBe(1679315147); // the spec's "time 1679315147"
    expect(new DataView(fromBase64(SPEC_SIGNATURE).buffer).getUint32(0)).toBe(0x8d66cf3f);
    expect(cosignatureTimestamp(FORMATS_SIGNATURE)).toBe(1727964367);
    expect(errorCode(() => cosignatureTimestamp(PLAIN_ED25519_SIGNATURE))).toBe('malformed-cosignature');
    expect(errorCode(() => cosignatureTimestamp('5%/$!\n 2'))).toBe('malformed-cosignature');
  });

  it('signs exactly the spec message: header, time line, checkpoint body (checked with node:crypto)', () => {
    const expected =
      'cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    expect(new TextDecoder().decode(cosignatureMessage(CHECKPOINT, 1679315147))).toBe(expected);

    const signer = parseCosignatureSignerKey(witness.signerKey);
    const line = cosignatureLine(signer, CHECKPOINT, 1679315147);
    expect(line).toMatch(/^— witness\.example\/w1 [A-Za-z0-9+/]{102}==\n$/);
    const raw = fromBase64(line.slice('— witness.example/w1 '.length, -1));
    expect(raw).toHaveLength(4 + 8 + 64);
    expect(new DataView(raw.buffer).getUint32(0)).toBe(signer.keyHash);
    expect(new DataView(raw.buffer).getBigUint64(4)).toBe(1679315147n);
    const spki = concatBytes(
      Uint8Array.from(Buffer.from('302a300506032b6570032100', 'hex')),
      signer.publicKey,
    );
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    expect(nodeVerify(null, utf8(expected), key, raw.slice(12))).toBe(true);
  });

  it('opens a co-signed checkpoint with the cosignature verifier and not with a plain Ed25519 one', () => {
    const signed = signNote(CHECKPOINT, [parseSignerKey(operator.signerKey)]);
    const signer = parseCosignatureSignerKey(witness.signerKey, () => 1700000000);
    const cosigned = signed + cosignatureLine(signer, CHECKPOINT, 1700000000);
    const opened = openNote(cosigned, [
      parseVerifierKey(operator.verifierKey),
      parseCosignatureVerifierKey(witness.verifierKey),
    ]);
    expect(opened.signatures.map((s) => s.name)).toEqual([
      'example.com/behind-the-sofa',
      'witness.example/w1',
    ]);
    expect(cosignatureTimestamp(opened.signatures[1]!.base64)).toBe(1700000000);
    // signNote with the signer as a NoteSigner gives the same line at the signer's clock.
    expect(signNote(CHECKPOINT, [signer])).toBe(
      CHECKPOINT + '\n' + cosignatureLine(signer, CHECKPOINT, 1700000000),
    );

    // A plain Ed25519 verifier of the same key pair has another key ID: the cosignature is unknown to it.
    const plainOnly = generateKey('witness.example/w1', new Uint8Array(32).fill(3));
    expect(() =>
      openNote(signed.slice(0, signed.indexOf('\n\n') + 2) + cosignatureLine(signer, CHECKPOINT, 1), [
        parseVerifierKey(plainOnly.verifierKey),
      ]),
    ).toThrow(NoteError);
  });

  it('covers the time line, the extension lines and the key: any change fails', () => {
    const verifier = parseCosignatureVerifierKey(witness.verifierKey);
    const signer = parseCosignatureSignerKey(witness.signerKey);
    const withExtension = CHECKPOINT + 'heirloom-token-map AAAA\n';
    const sig = signer.signAt(withExtension, 1700000000);
    expect(verifier.verify(utf8(withExtension), sig)).toBe(true);
    expect(verifier.verify(utf8(CHECKPOINT + 'heirloom-token-map AAAB\n'), sig)).toBe(false);
    const laterTime = sig.slice();
    laterTime[7] ^= 1;
    expect(verifier.verify(utf8(withExtension), laterTime)).toBe(false);
    expect(verifier.verify(utf8(withExtension), sig.slice(8))).toBe(false); // no timestamp: plain Ed25519
    const other = parseCosignatureVerifierKey(generateCosignatureKey('witness.example/w1').verifierKey);
    expect(other.verify(utf8(withExtension), sig)).toBe(false);
    // A timestamp above 2^63-1 is never valid.
    const huge = sig.slice();
    new DataView(huge.buffer).setBigUint64(0, 2n ** 63n);
    expect(verifier.verify(utf8(withExtension), huge)).toBe(false);
    expect(errorCode(() => cosignatureMessage(CHECKPOINT, -1))).toBe('invalid-timestamp');
    expect(errorCode(() => cosignatureMessage('only\ntwo\n', 1))).toBe('malformed-checkpoint');
  });
});
