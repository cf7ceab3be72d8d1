/**
 * Golden vectors from Go's golang.org/x/mod/sumdb/note/note_test.go (BSD-3-Clause, github.com/golang/mod):
 * keys and signed notes for "PeterNeumann" and "EnochRoot", and the malformed inputs Go rejects.
 */
import { describe, expect, it } from 'vitest';
import { fromBase64, fromUtf8, utf8 } from './bytes.js';
import {
  NoteError,
  addSignatures,
  generateKey,
  isValidKeyName,
  keyHash,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from './note.js';

const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG =
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';
const PETER = {
  name: 'PeterNeumann',
  keyHash: 0xc74f20a3,
  base64: 'x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=',
};
const ENOCH = {
  name: 'EnochRoot',
  keyHash: 0xaf0cfe78,
  base64: 'rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=',
};

const peterVerifier = parseVerifierKey(PETER_VKEY);
const enochVerifier = parseVerifierKey(ENOCH_VKEY);
const peterSigner = parseSignerKey(PETER_SKEY);

/** Go slices notes by byte offset; the em dash is 3 bytes in UTF-8 but 1 code unit in JavaScript. */
function insertAtByte(text: string, byteOffset: number, insert: string): string {
  const bytes = utf8(text);
  return fromUtf8(bytes.slice(0, byteOffset)) + insert + fromUtf8(bytes.slice(byteOffset));
}

function noteErrorCode(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof NoteError ? error.code : `not a NoteError: ${String(error)}`;
  }
}

/** Every proper substring and every single-character increment of a key must be rejected (as in Go). */
function manglings(key: string): string[] {
  const out: string[] = [];
  for (let i = 0; i <= key.length; i++) {
    for (let j = i + 1; j <= key.length; j++) if (i !== 0 || j !== key.length) out.push(key.slice(i, j));
  }
  for (let i = 0; i < key.length; i++) {
    out.push(key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) + 1) + key.slice(i + 1));
  }
  return out;
}

describe('keys (TestNewVerifier, TestNewSigner, TestGenerateKey)', () => {
  it('parses Go keys and computes the same key hash', () => {
    expect(peterVerifier.name).toBe('PeterNeumann');
    expect(peterVerifier.keyHash).toBe(0xc74f20a3);
    expect(peterSigner.keyHash).toBe(0xc74f20a3);
    expect(keyHash('PeterNeumann', fromBase64('ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'))).toBe(
      0xc74f20a3,
    );
  });

  it('regenerates the exact Go key strings from the same seed', () => {
    const seed = fromBase64('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz').slice(1);
    expect(generateKey('PeterNeumann', seed)).toEqual({ signerKey: PETER_SKEY, verifierKey: PETER_VKEY });
  });

  it('rejects every mangled verifier key', () => {
    const accepted = manglings(PETER_VKEY).filter(
      (key) => noteErrorCode(() => parseVerifierKey(key)) === undefined,
    );
    expect(accepted).toEqual([]);
    // Go's two hand-made bad keys: wrong key length and unknown algorithm, each with a matching hash.
    expect(
      noteErrorCode(() =>
        parseVerifierKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='),
      ),
    ).toBe('malformed-key');
    expect(
      noteErrorCode(() =>
        parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
      ),
    ).toBe('unknown-algorithm');
  });

  it('rejects every mangled signer key', () => {
    const accepted = manglings(PETER_SKEY).filter(
      (key) => noteErrorCode(() => parseSignerKey(key)) === undefined,
    );
    expect(accepted).toEqual([]);
  });

  it('generates self-consistent key pairs that detect corrupt signatures and messages', () => {
    const { signerKey, verifierKey } = generateKey('EnochRoot');
    const signer = parseSignerKey(signerKey);
    const verifier = parseVerifierKey(verifierKey);
    expect([signer.name, signer.keyHash]).toEqual([verifier.name, verifier.keyHash]);
    const message = utf8('hi');
    const signature = signer.sign(message);
    expect(verifier.verify(message, signature)).toBe(true);
    expect(
      verifier.verify(
        message,
        signature.map((byte, i) => (i === 0 ? byte + 1 : byte)),
      ),
    ).toBe(false);
    expect(verifier.verify(utf8('hj'), signature)).toBe(false);
  });

  it('applies the key name rules (non-empty, no Unicode space, no plus)', () => {
    expect(isValidKeyName('example.com/log42')).toBe(true);
    for (const bad of ['', 'a+b', 'a b', 'a\tb', 'a\u00a0b', 'a\u0085b', 'a\u3000b', 'a\ud800b']) {
      expect(isValidKeyName(bad), JSON.stringify(bad)).toBe(false);
    }
    expect(isValidKeyName('a\ufeffb')).toBe(true); // U+FEFF is not a space to Go
    expect(noteErrorCode(() => generateKey('bad name'))).toBe('invalid-key-name');
  });
});

describe('signNote (TestSign)', () => {
  it('produces Go output byte for byte', () => {
    expect(signNote(TEXT, [peterSigner])).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it('replaces an existing signature by the same key when co-signing', () => {
    // Same key hash (c74f20a3 leads the bytes), bogus signature: Go's "BADSIGN" case.
    const stale = `${TEXT}\n\u2014 PeterNeumann x08go/ZJ\n`;
    expect(addSignatures(stale, [peterSigner])).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it('rejects text without a final newline and signers with bad names', () => {
    expect(noteErrorCode(() => signNote('abc', [peterSigner]))).toBe('malformed-note');
    const badSigner = { ...peterSigner, name: 'bad name' };
    expect(noteErrorCode(() => signNote(TEXT, [badSigner]))).toBe('invalid-key-name');
  });
});

describe('openNote (TestOpen)', () => {
  const note = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;

  it('verifies known keys and keeps unknown ones as unverified', () => {
    expect(openNote(note, [peterVerifier])).toEqual({
      text: TEXT,
      signatures: [PETER],
      unverifiedSignatures: [ENOCH],
    });
    expect(openNote(note, [peterVerifier, enochVerifier])).toEqual({
      text: TEXT,
      signatures: [PETER, ENOCH],
      unverifiedSignatures: [],
    });
    expect(openNote(utf8(note), [peterVerifier]).signatures).toEqual([PETER]);
  });

  it('rejects a note without any verifiable signature, keeping the parse in the error', () => {
    try {
      openNote(note, []);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(NoteError);
      expect((error as NoteError).code).toBe('unverified-note');
      expect((error as NoteError).message).toBe('note has no verifiable signatures');
      expect((error as NoteError).note).toEqual({
        text: TEXT,
        signatures: [],
        unverifiedSignatures: [PETER, ENOCH],
      });
    }
  });

  it('diagnoses ambiguous verifier lists only when the key is used', () => {
    expect(() => openNote(`${TEXT}\n${ENOCH_SIG}`, [enochVerifier, peterVerifier, enochVerifier])).toThrow(
      'ambiguous key EnochRoot+af0cfe78',
    );
    expect(
      openNote(`${TEXT}\n${PETER_SIG}`, [enochVerifier, peterVerifier, enochVerifier]).signatures,
    ).toEqual([PETER]);
  });

  it('rejects more than 100 signatures', () => {
    expect(noteErrorCode(() => openNote(`${TEXT}\n${PETER_SIG.repeat(101)}`, [peterVerifier]))).toBe(
      'malformed-note',
    );
    expect(noteErrorCode(() => openNote(`${TEXT}\n${PETER_SIG.repeat(101)}`, []))).toBe('malformed-note');
  });

  it('rejects an invalid signature by a known key', () => {
    const forged = `${TEXT}\n${insertAtByte(PETER_SIG, 60, 'ABCD')}`;
    expect(() => openNote(forged, [peterVerifier])).toThrow(
      'invalid signature for key PeterNeumann+c74f20a3',
    );
  });

  it('drops duplicate signatures, verified and unverified', () => {
    const enochForged = insertAtByte(ENOCH_SIG, 60, 'ABCD');
    const opened = openNote(`${TEXT}\n${PETER_SIG}${PETER_SIG}${ENOCH_SIG}${ENOCH_SIG}${enochForged}`, [
      peterVerifier,
    ]);
    expect(opened.signatures).toEqual([PETER]);
    expect(opened.unverifiedSignatures).toEqual([
      ENOCH,
      {
        ...ENOCH,
        base64:
          'rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5nABCD2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=',
      },
    ]);
  });

  it('rejects malformed notes exactly where Go does', () => {
    const bad: (string | Uint8Array)[] = [
      TEXT,
      `${TEXT}\n`,
      `${TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\u0001${TEXT}\n${PETER_SIG}`,
      new Uint8Array([0xff, ...utf8(`${TEXT}\n${PETER_SIG}`)]),
      `${TEXT}\n\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${TEXT}\n${PETER_SIG}Unexpected line.\n`,
    ];
    for (const message of bad)
      expect(noteErrorCode(() => openNote(message, [peterVerifier]))).toBe('malformed-note');
  });

  it('rejects a wrong key and altered text', () => {
    const impostor = parseVerifierKey(generateKey('PeterNeumann', new Uint8Array(32).fill(7)).verifierKey);
    expect(noteErrorCode(() => openNote(`${TEXT}\n${PETER_SIG}`, [impostor]))).toBe('unverified-note');
    const altered = `${TEXT.replace('answer', 'answers')}\n${PETER_SIG}`;
    expect(noteErrorCode(() => openNote(altered, [peterVerifier]))).toBe('invalid-signature');
  });
});

describe('addSignatures', () => {
  it('co-signs a signed note, keeping existing signature lines in order', () => {
    const witness = generateKey('witness.example/w1', new Uint8Array(32).fill(1));
    const cosigned = addSignatures(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, [parseSignerKey(witness.signerKey)]);
    expect(cosigned.startsWith(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}\u2014 witness.example/w1 `)).toBe(true);
    const opened = openNote(cosigned, [peterVerifier, enochVerifier, parseVerifierKey(witness.verifierKey)]);
    expect(opened.signatures.map((signature) => signature.name)).toEqual([
      'PeterNeumann',
      'EnochRoot',
      'witness.example/w1',
    ]);
  });

  it('refuses to co-sign something that is not a signed note', () => {
    expect(noteErrorCode(() => addSignatures(TEXT, [peterSigner]))).toBe('malformed-note');
  });
});
