import { DomainError } from '#http';

/** Stable problem codes of the content domain; clients switch on these. */
export enum ContentErrorCode {
  InvalidCid = 'invalid-cid',
  ContentTooLarge = 'content-too-large',
  ContentCorrupted = 'content-corrupted',
  CidMismatch = 'cid-mismatch',
  StoreUnavailable = 'content-store-unavailable',
  UnsupportedMediaType = 'unsupported-media-type',
  MediaTypeMismatch = 'media-type-mismatch',
  InvalidMetadata = 'invalid-metadata',
}

/** A CID string that is not a canonical base32 CIDv1 (sha2-256, raw or dag-pb) of this store. */
export class InvalidCidError extends DomainError {
  constructor(readonly value: string) {
    super(ContentErrorCode.InvalidCid, 400, 'Invalid CID', 'Expected a base32 CIDv1 such as bafkrei…', {
      cid: value.slice(0, 120),
    });
    this.name = 'InvalidCidError';
  }
}

/** The upload went past the allowed number of bytes; nothing was stored. */
export class ContentTooLargeError extends DomainError {
  constructor(readonly maxBytes: number) {
    super(ContentErrorCode.ContentTooLarge, 413, 'Content too large', `Content exceeds ${maxBytes} bytes`, {
      maxBytes,
    });
    this.name = 'ContentTooLargeError';
  }
}

/** Stored bytes no longer hash to their CID; they are never served. */
export class ContentCorruptedError extends DomainError {
  constructor(
    readonly cid: string,
    readonly actualCid: string,
  ) {
    // The actual CID stays off the client-facing body: it is for operators' logs.
    super(ContentErrorCode.ContentCorrupted, 500, 'Content corrupted', 'Stored content failed verification', {
      cid,
    });
    this.name = 'ContentCorruptedError';
  }
}

/** The IPFS node computed another CID than we did, so its import settings differ from ours. */
export class CidMismatchError extends DomainError {
  constructor(
    readonly expectedCid: string,
    readonly nodeCid: string,
  ) {
    super(
      ContentErrorCode.CidMismatch,
      502,
      'CID mismatch',
      'The IPFS node produced a different CID than the platform computed',
      { expectedCid, nodeCid },
    );
    this.name = 'CidMismatchError';
  }
}

/** The content store (e.g. the Kubo node) cannot be reached or failed; the cause is kept for logs. */
export class ContentStoreUnavailableError extends DomainError {
  constructor(
    readonly endpoint: string,
    cause: unknown,
  ) {
    super(
      ContentErrorCode.StoreUnavailable,
      503,
      'Content store unavailable',
      'The content store is unavailable, try again later',
    );
    this.name = 'ContentStoreUnavailableError';
    this.cause = cause;
  }
}

/** The bytes are not one of the allowed media types (or no type could be recognised). */
export class UnsupportedMediaTypeError extends DomainError {
  constructor(readonly sniffedMime: string | undefined) {
    super(
      ContentErrorCode.UnsupportedMediaType,
      415,
      'Unsupported media type',
      sniffedMime === undefined
        ? 'The file type could not be recognised from its content'
        : `Files of type ${sniffedMime} are not accepted`,
      { sniffedType: sniffedMime ?? null },
    );
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** The client declared one type but the bytes are another (a spoofed or mislabelled upload). */
export class MediaTypeMismatchError extends DomainError {
  constructor(
    readonly declaredMime: string,
    readonly sniffedMime: string,
  ) {
    super(
      ContentErrorCode.MediaTypeMismatch,
      422,
      'Media type mismatch',
      `Declared type ${declaredMime} does not match the content, which is ${sniffedMime}`,
      { declaredType: declaredMime, sniffedType: sniffedMime },
    );
    this.name = 'MediaTypeMismatchError';
  }
}

/** One readable problem found in NFT metadata; `path` is a JSON Pointer ('' is the document). */
export interface MetadataIssue {
  path: string;
  message: string;
}

/** NFT metadata failed validation; every issue is listed. */
export class InvalidMetadataError extends DomainError {
  constructor(readonly issues: MetadataIssue[]) {
    super(ContentErrorCode.InvalidMetadata, 422, 'Invalid metadata', 'The token metadata is invalid', {
      errors: issues,
    });
    this.name = 'InvalidMetadataError';
  }
}
