import { fileTypeFromBuffer } from 'file-type';
import { MediaTypeMismatchError, UnsupportedMediaTypeError } from './content.exception.js';

/** What a collectible's media can be. */
export type MediaKind = 'image' | 'video' | 'audio' | 'model';

/** A type recognised from the bytes themselves. */
export interface SniffedMediaType {
  mime: string;
  ext: string;
  kind: MediaKind;
}

/** Accepted types, keyed by the MIME type file-type reports (parameters stripped). */
export const ALLOWED_MEDIA_TYPES: ReadonlyMap<string, MediaKind> = new Map<string, MediaKind>([
  ['image/png', 'image'],
  ['image/jpeg', 'image'],
  ['image/gif', 'image'],
  ['image/webp', 'image'],
  ['image/avif', 'image'],
  ['video/mp4', 'video'],
  ['video/webm', 'video'],
  ['audio/mpeg', 'audio'],
  ['audio/ogg', 'audio'],
  ['audio/wav', 'audio'],
  ['audio/flac', 'audio'],
  ['model/gltf-binary', 'model'],
]);

/** How many leading bytes to pass to sniffMediaType (file-type's own detection window). */
export const MEDIA_SNIFF_BYTES = 4100;

// Other spellings clients and browsers send for the same types.
const MIME_ALIASES: ReadonlyMap<string, string> = new Map([
  ['image/jpg', 'image/jpeg'],
  ['image/pjpeg', 'image/jpeg'],
  ['image/x-png', 'image/png'],
  ['audio/mp3', 'audio/mpeg'],
  ['audio/x-mp3', 'audio/mpeg'],
  ['audio/mpeg3', 'audio/mpeg'],
  ['audio/x-mpeg', 'audio/mpeg'],
  ['audio/x-wav', 'audio/wav'],
  ['audio/wave', 'audio/wav'],
  ['audio/vnd.wave', 'audio/wav'],
  ['audio/x-flac', 'audio/flac'],
  ['application/ogg', 'audio/ogg'],
  ['audio/opus', 'audio/ogg'],
]);

// Declarations that make no claim: browsers send these when they do not know the type.
const NO_CLAIM = new Set(['', 'application/octet-stream']);

/**
 * Recognises an upload's type from its first bytes (pass at least MEDIA_SNIFF_BYTES, or the whole
 * file if shorter). Throws UnsupportedMediaTypeError unless the type is allowed, and
 * MediaTypeMismatchError when the client declared a different type: the bytes decide, never the
 * client's label.
 */
export async function sniffMediaType(head: Uint8Array, declaredMime?: string): Promise<SniffedMediaType> {
  const detected = await fileTypeFromBuffer(head);
  const mime = detected === undefined ? undefined : baseMime(detected.mime);
  const kind = mime === undefined ? undefined : ALLOWED_MEDIA_TYPES.get(mime);
  if (detected === undefined || mime === undefined || kind === undefined) {
    throw new UnsupportedMediaTypeError(mime);
  }
  if (declaredMime !== undefined) {
    const declared = normalizeDeclaredMime(declaredMime);
    if (!NO_CLAIM.has(declared) && declared !== mime) throw new MediaTypeMismatchError(declaredMime, mime);
  }
  return { mime, ext: detected.ext, kind };
}

/** Lower-cases a client's Content-Type, drops parameters and maps common aliases. */
export function normalizeDeclaredMime(value: string): string {
  const base = baseMime(value);
  return MIME_ALIASES.get(base) ?? base;
}

function baseMime(value: string): string {
  return value.split(';')[0].trim().toLowerCase();
}
