import type { DataSource } from 'typeorm';
import type { NftMetadata } from '#content';
import { DomainError, problems } from '#http';

/** The media fields of token metadata; each names `ipfs://<CID>` of an upload. */
const MEDIA_FIELDS = ['image', 'animation_url'] as const;

/** One media reference of a mint request: which item and field name which CID. */
export interface MediaReference {
  item: number;
  field: (typeof MEDIA_FIELDS)[number];
  cid: string;
}

/** Every media reference of the items' metadata (valid metadata: each is an ipfs:// URI). */
export function mediaReferences(metadata: readonly NftMetadata[]): MediaReference[] {
  return metadata.flatMap((m, item) =>
    MEDIA_FIELDS.flatMap((field) => {
      const uri = m[field];
      // A path after the CID stays part of it, so it names no upload and is refused as unknown.
      return uri === undefined ? [] : [{ item, field, cid: uri.replace(/^ipfs:\/\//, '') }];
    }),
  );
}

/**
 * Refuses a mint whose media the creator may not use, before anything is written: each CID must be
 * intact media on Heirloom (else 422 `unknown-media`) that this creator uploaded — possibly after
 * someone else uploaded the same bytes — or that is already public in one of their collections
 * (else 403 `media-not-yours`). The second case needs no query of its own: a token can only be
 * minted with its creator's upload, and migration RecordMediaUploaders recorded the images of tokens
 * minted before uploads were recorded per uploader as their creator's uploads.
 */
export async function assertMintableMedia(
  db: DataSource,
  creatorId: string,
  references: readonly MediaReference[],
): Promise<void> {
  const cids = [...new Set(references.map((r) => r.cid))];
  const rows: { cid: string; uploaded_by_creator: boolean }[] = await db.query(
    `SELECT m.cid, EXISTS (SELECT 1 FROM media_uploads u WHERE u.cid = m.cid AND u.account_id = $2)
       AS uploaded_by_creator
     FROM media m WHERE m.cid = ANY($1) AND m.integrity = 'ok'`,
    [cids, creatorId],
  );
  const usable = new Map(rows.map((row) => [row.cid, row.uploaded_by_creator]));
  const unknown = references.filter((r) => !usable.has(r.cid));
  if (unknown.length > 0) {
    throw problems.unprocessable(
      'unknown-media',
      'image and animation_url must reference media uploaded to Heirloom; nothing was minted',
      { errors: unknown },
    );
  }
  const notYours = references.filter((r) => usable.get(r.cid) === false);
  if (notYours.length > 0) throw mediaNotYours(notYours);
}

function mediaNotYours(references: MediaReference[]): DomainError {
  return new DomainError(
    'media-not-yours',
    403,
    'Forbidden',
    'Mint only with media you uploaded yourself (upload the file to use it); nothing was minted',
    { errors: references },
  );
}
