import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { chunksOf, type ByteSource } from './byte-channel.js';
import { computeCid, parseContentCid, StreamingCid, verifyingStream } from './cid.js';
import { ContentCorruptedError, ContentTooLargeError } from './content.exception.js';
import type {
  ContentStore,
  ContentStream,
  PutOptions,
  StoredContent,
  VerifyOutcome,
} from './content-store.js';

const READ_CHUNK_BYTES = 256 * 1024;

/** Tuning of the folder store. */
export interface LocalContentStoreOptions {
  /**
   * Content up to this size is read and verified whole before any byte is served; larger content
   * is verified while it streams (holding back its last chunk). Default 4 MiB.
   */
  verifyInMemoryBytes?: number;
}

/**
 * The default ContentStore: one file per CID under `<dir>/<shard>/<cid>`. The shard is the two
 * characters before the CID's last one (like Kubo's flatfs "next-to-last/2"), because every CIDv1
 * starts with the same `bafk…`/`bafy…` and only its end is evenly spread. Uploads stream to
 * `<dir>/.tmp/` while being hashed, are fsynced, then renamed into place, so a file under its CID
 * is always complete and nothing acknowledged is lost in a crash.
 */
export class LocalContentStore implements ContentStore {
  private readonly tmpDir: string;
  private readonly verifyInMemoryBytes: number;

  constructor(
    private readonly dir: string,
    options: LocalContentStoreOptions = {},
  ) {
    this.tmpDir = join(dir, '.tmp');
    this.verifyInMemoryBytes = options.verifyInMemoryBytes ?? 4 * 1024 * 1024;
  }

  async put(source: ByteSource, options: PutOptions = {}): Promise<StoredContent> {
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    await mkdir(this.tmpDir, { recursive: true });
    const tmpPath = join(this.tmpDir, `${randomUUID()}.part`);
    const file = await open(tmpPath, 'wx');
    const hasher = new StreamingCid();
    let size = 0;
    let fileOpen = true;
    try {
      for await (const chunk of chunksOf(source)) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new ContentTooLargeError(maxBytes);
        // Disk and hasher take each chunk in step: the upload is read once and never buffered whole.
        await Promise.all([writeFully(file, chunk), hasher.push(chunk)]);
      }
      const cid = await hasher.finish();
      await file.sync();
      await file.close();
      fileOpen = false;
      await this.commit(tmpPath, cid);
      return { cid, size };
    } catch (error) {
      hasher.abort(error);
      if (fileOpen) await file.close().catch(() => undefined);
      await unlink(tmpPath).catch(() => undefined);
      throw error;
    }
  }

  async get(cid: string): Promise<Uint8Array | null> {
    const path = this.pathOf(cid);
    const bytes = await readFile(path).catch(nullIfMissing);
    if (bytes === null) return null;
    const actual = await computeCid(bytes);
    if (actual !== cid) throw new ContentCorruptedError(cid, actual);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async stream(cid: string): Promise<ContentStream | null> {
    const path = this.pathOf(cid);
    const info = await stat(path).catch(nullIfMissing);
    if (info === null || !info.isFile()) return null;
    if (info.size <= this.verifyInMemoryBytes) {
      // Small enough to check completely before the first byte leaves.
      const bytes = await this.get(cid);
      return bytes === null ? null : { size: bytes.byteLength, body: chunksOf(bytes) };
    }
    const file = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
    return { size: info.size, body: verifyingStream(cid, file) };
  }

  async has(cid: string): Promise<boolean> {
    const info = await stat(this.pathOf(cid)).catch(nullIfMissing);
    return info !== null && info.isFile();
  }

  async verify(cid: string): Promise<VerifyOutcome> {
    const path = this.pathOf(cid);
    if (!(await this.has(cid))) return 'missing';
    const actual = await computeCid(createReadStream(path, { highWaterMark: READ_CHUNK_BYTES })).catch(
      nullIfMissing,
    );
    if (actual === null) return 'missing';
    return actual === cid ? 'ok' : 'corrupt';
  }

  /** Where a CID's bytes live; validates the CID first, which also rules out path tricks. */
  pathOf(cid: string): string {
    parseContentCid(cid);
    return join(this.dir, cid.slice(-3, -1), cid);
  }

  private async commit(tmpPath: string, cid: string): Promise<void> {
    const finalPath = this.pathOf(cid);
    const shardDir = join(finalPath, '..');
    const createdFirst = await mkdir(shardDir, { recursive: true });
    // Replacing an existing copy is harmless (same CID, same bytes) and heals a corrupted one.
    await rename(tmpPath, finalPath);
    // fsync the directories so the new name (and a new shard folder) survive a crash too.
    await fsyncDirectory(shardDir);
    if (createdFirst !== undefined) await fsyncDirectory(this.dir);
  }
}

async function writeFully(file: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function nullIfMissing(error: unknown): null {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
  throw error;
}
