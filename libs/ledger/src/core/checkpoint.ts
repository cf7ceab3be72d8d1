/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint) note body:
 *   <origin>\n<decimal tree size>\n<base64 root hash>\n[<extension line>\n]*
 * Only the body lives here; signing and verifying it is note.ts's job.
 */
import { hasControlCharacter, isWellFormedText, toBase64, tryFromBase64 } from './bytes.js';
import { LedgerCoreError } from './errors.js';
import { HASH_SIZE } from './hasher.js';

export type CheckpointErrorCode =
  'malformed-checkpoint' | 'invalid-origin' | 'invalid-size' | 'invalid-root-hash' | 'invalid-extension';

/** A checkpoint body was rejected; `code` names the offending part. */
export class CheckpointError extends LedgerCoreError<CheckpointErrorCode> {}

/** A log's commitment to its tree at one size. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Opaque extra lines; C2SP discourages them, so we never emit any ourselves. */
  readonly extensions?: readonly string[];
}

const TREE_SIZE = /^(?:0|[1-9][0-9]*)$/;

function assertLine(line: string, code: CheckpointErrorCode, what: string): void {
  if (line === '' || hasControlCharacter(line) || !isWellFormedText(line)) {
    throw new CheckpointError(code, `${what} must be a non-empty line without control characters`);
  }
}

/** Formats a checkpoint body (the note text to be signed). */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  assertLine(origin, 'invalid-origin', 'origin');
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new CheckpointError('invalid-size', `tree size must be a non-negative safe integer, got ${size}`);
  }
  if (rootHash.length !== HASH_SIZE) {
    throw new CheckpointError(
      'invalid-root-hash',
      `root hash has ${rootHash.length} bytes, want ${HASH_SIZE}`,
    );
  }
  extensions.forEach((line, i) => assertLine(line, 'invalid-extension', `extension line ${i + 1}`));
  return [origin, String(size), toBase64(rootHash), ...extensions].map((line) => line + '\n').join('');
}

/** Parses a checkpoint body strictly: canonical decimal size, canonical base64 32-byte root, non-empty lines. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n'))
    throw new CheckpointError('malformed-checkpoint', 'checkpoint must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3)
    throw new CheckpointError('malformed-checkpoint', 'checkpoint needs origin, size and root lines');
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  assertLine(origin, 'invalid-origin', 'origin');
  if (!TREE_SIZE.test(sizeLine) || !Number.isSafeInteger(Number(sizeLine))) {
    throw new CheckpointError(
      'invalid-size',
      `tree size ${JSON.stringify(sizeLine)} is not a canonical decimal number`,
    );
  }
  const rootHash = tryFromBase64(rootLine);
  if (rootHash === undefined || rootHash.length !== HASH_SIZE) {
    throw new CheckpointError(
      'invalid-root-hash',
      `root hash ${JSON.stringify(rootLine)} is not base64 of 32 bytes`,
    );
  }
  extensions.forEach((line, i) => assertLine(line, 'invalid-extension', `extension line ${i + 1}`));
  return extensions.length > 0
    ? { origin, size: Number(sizeLine), rootHash, extensions }
    : { origin, size: Number(sizeLine), rootHash };
}
