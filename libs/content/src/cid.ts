import { importer, type ImporterOptions, type WritableStorage } from 'ipfs-unixfs-importer';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';
import { balanced } from 'ipfs-unixfs-importer/layout';
import { CID } from 'multiformats/cid';
import { ByteChannel, chunksOf, settleLater, type ByteSource } from './byte-channel.js';
import { ContentCorruptedError, InvalidCidError } from './content.exception.js';

/**
 * The `ipfs add` settings whose CIDs the platform reproduces byte for byte. They are what Kubo uses
 * for `--cid-version=1` (which implies raw leaves) with its classic defaults: 256 KiB fixed-size
 * chunks, balanced DAG of at most 174 links per node, sha2-256, CIDs printed in base32.
 * A file that fits one chunk is that single raw block (`bafkrei…`); larger files get a dag-pb
 * UnixFS root (`bafybei…`). Checked against Kubo's published CIDs in cid.spec.ts and cid-dag.spec.ts.
 */
export const KUBO_ADD_OPTIONS = {
  /** The command line that yields the same CIDs on any Kubo with default import settings. */
  command: 'ipfs add --cid-version=1 --raw-leaves --chunker=size-262144',
  /** Only for a Kubo whose config or profile changed Import.UnixFSFileMaxLinks from its default 174. */
  maxFileLinksFlag: '--max-file-links=174',
  cidVersion: 1,
  rawLeaves: true,
  chunker: 'size-262144',
  chunkSize: 262_144,
  layout: 'balanced',
  maxChildrenPerNode: 174,
  hashAlg: 'sha2-256',
  multibase: 'base32',
  /** A one-chunk file is its raw leaf, as Kubo does. */
  reduceSingleLeafToSelf: true,
} as const;

/** The knobs of a UnixFS file DAG; other values exist only to check the importer against Kubo's vectors. */
export interface DagLayout {
  cidVersion: 0 | 1;
  rawLeaves: boolean;
  chunkSize: number;
  maxChildrenPerNode: number;
}

/** The layout `ipfs add --cid-version=1` uses; see KUBO_ADD_OPTIONS. */
export const KUBO_CIDV1_LAYOUT: DagLayout = {
  cidVersion: KUBO_ADD_OPTIONS.cidVersion,
  rawLeaves: KUBO_ADD_OPTIONS.rawLeaves,
  chunkSize: KUBO_ADD_OPTIONS.chunkSize,
  maxChildrenPerNode: KUBO_ADD_OPTIONS.maxChildrenPerNode,
};

const RAW_CODEC = 0x55;
const DAG_PB_CODEC = 0x70;
const SHA2_256 = 0x12;

// Only the CIDs are wanted: blocks are hashed and dropped, so big files are never held in memory.
const discardBlocks: WritableStorage = { put: async (cid) => cid };

/** Maps a layout to ipfs-unixfs-importer options, spelling out every default that affects the CID. */
export function importerOptions(layout: DagLayout): ImporterOptions {
  return {
    cidVersion: layout.cidVersion,
    rawLeaves: layout.rawLeaves,
    // Kubo's non-raw leaves are UnixFS 'file' nodes holding data.
    leafType: 'file',
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: layout.chunkSize }),
    layout: balanced({ maxChildrenPerNode: layout.maxChildrenPerNode }),
    wrapWithDirectory: false,
  };
}

/** Computes the CID `ipfs add` gives these bytes with the given layout (tests use other layouts). */
export async function computeCidWithLayout(source: ByteSource, layout: DagLayout): Promise<string> {
  let root: CID | undefined;
  for await (const entry of importer(
    [{ content: chunksOf(source) }],
    discardBlocks,
    importerOptions(layout),
  )) {
    root = entry.cid;
  }
  if (root === undefined) throw new Error('The importer produced no root');
  return root.toString();
}

/** Computes exactly the CID of `ipfs add --cid-version=1 --raw-leaves --chunker=size-262144`. */
export function computeCid(source: ByteSource): Promise<string> {
  return computeCidWithLayout(source, KUBO_CIDV1_LAYOUT);
}

/** Parses a CID this platform can hold: canonical base32 CIDv1, sha2-256, raw or dag-pb. */
export function parseContentCid(value: string): CID {
  let cid: CID;
  try {
    cid = CID.parse(value);
  } catch {
    throw new InvalidCidError(value);
  }
  const supported =
    cid.version === 1 &&
    (cid.code === RAW_CODEC || cid.code === DAG_PB_CODEC) &&
    cid.multihash.code === SHA2_256 &&
    cid.toString() === value; // one spelling per content, which also keeps it safe as a file name
  if (!supported) throw new InvalidCidError(value);
  return cid;
}

/**
 * A hasher fed chunk by chunk while they pass through: `push` each chunk, then `finish` to get the
 * CID. Used to hash an upload while it is being written elsewhere, without a second read.
 */
export class StreamingCid {
  private readonly channel = new ByteChannel();
  private readonly result = settleLater(computeCid(this.channel));

  /** Feeds one chunk; resolves once the hasher has taken it. */
  push(chunk: Uint8Array): Promise<void> {
    return this.channel.push(chunk);
  }

  /** Ends the input and returns the CID. */
  finish(): Promise<string> {
    this.channel.end();
    return this.result;
  }

  /** Stops hashing (the upload failed). */
  abort(error: unknown): void {
    this.channel.fail(error);
  }
}

/**
 * Passes `source` through while hashing it, holding back the last chunk until the CID is checked:
 * bytes that do not match `expectedCid` end in ContentCorruptedError before the stream completes,
 * so a consumer that respects errors (or a Content-Length) never receives a complete bad file.
 */
export async function* verifyingStream(
  expectedCid: string,
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const hasher = new StreamingCid();
  let held: Uint8Array | undefined;
  let finished = false;
  try {
    for await (const chunk of source) {
      await hasher.push(chunk);
      if (held !== undefined) yield held;
      held = chunk;
    }
    const actual = await hasher.finish();
    finished = true;
    if (actual !== expectedCid) throw new ContentCorruptedError(expectedCid, actual);
  } finally {
    // Reached on errors and when the consumer stops early: release the hasher.
    if (!finished) hasher.abort(new Error('verification stopped'));
  }
  if (held !== undefined) yield held;
}
