export { type ByteSource } from './byte-channel.js';
export { computeCid, KUBO_ADD_OPTIONS, parseContentCid, verifyingStream } from './cid.js';
export {
  CidMismatchError,
  ContentCorruptedError,
  ContentErrorCode,
  ContentStoreUnavailableError,
  ContentTooLargeError,
  InvalidCidError,
  InvalidMetadataError,
  MediaTypeMismatchError,
  type MetadataIssue,
  UnsupportedMediaTypeError,
} from './content.exception.js';
export {
  CONTENT_STORE,
  type ContentStore,
  type ContentStream,
  type PutOptions,
  type StoredContent,
  type VerifyOutcome,
} from './content-store.js';
export { KuboContentStore, type KuboContentStoreOptions } from './kubo-content-store.js';
export { LocalContentStore, type LocalContentStoreOptions } from './local-content-store.js';
export {
  ALLOWED_MEDIA_TYPES,
  MEDIA_SNIFF_BYTES,
  type MediaKind,
  normalizeDeclaredMime,
  type SniffedMediaType,
  sniffMediaType,
} from './media-type.js';
export {
  assertValidMetadata,
  canonicalJson,
  encodeMetadata,
  NFT_METADATA_SCHEMA,
  type NftAttribute,
  type NftMetadata,
  validateMetadata,
} from './metadata.js';
export { ContentModule, createContentStore } from './content.module.js';
export { MediaService, type MediaView } from './media.service.js';
