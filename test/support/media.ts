import { randomBytes } from 'node:crypto';

// A valid 1×1 PNG (signature, IHDR, IDAT, IEND); unique bytes are appended after IEND.
const PNG_1X1 = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

/** A distinct, real PNG file (so every upload has its own CID). */
export function uniquePng(): Buffer {
  return Buffer.concat([PNG_1X1, randomBytes(16)]);
}
