import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HeirloomConfig } from '#config';
import { inTransaction } from '#database';
import { problems } from '#http';
import { chunksOf, type ByteSource } from './byte-channel.js';
import { ContentTooLargeError } from './content.exception.js';
import { CONTENT_STORE, type ContentStore, type ContentStream } from './content-store.js';
import { MEDIA_SNIFF_BYTES, sniffMediaType } from './media-type.js';

export interface MediaView {
  cid: string;
  uri: string;
  url: string;
  mime: string;
  size: number;
}

/** Media uploads: type sniffed from the bytes, size-limited, stored content-addressed, served verified. */
@Injectable()
export class MediaService {
  private readonly logger = new Logger(MediaService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
    @Inject(CONTENT_STORE) private readonly store: ContentStore,
  ) {}

  /** Streams an upload into the store after checking its first bytes; records who uploaded it. */
  async upload(
    uploaderId: string,
    body: ByteSource,
    declaredMime: string | undefined,
    declaredLength?: number,
  ): Promise<MediaView> {
    const maxBytes = this.config.maxUploadBytes;
    if (declaredLength !== undefined && declaredLength > maxBytes) throw new ContentTooLargeError(maxBytes);
    const { head, rest } = await readHead(body, MEDIA_SNIFF_BYTES);
    if (head.length === 0) throw problems.badRequest('empty-upload', 'The upload has no bytes');
    const type = await sniffMediaType(head, declaredMime);
    const stored = await this.store.put(prepend(head, rest), { maxBytes });
    await this.record(stored.cid, type.mime, stored.size, uploaderId);
    return this.view(stored.cid, type.mime, stored.size);
  }

  /**
   * Records the media (once per CID; `uploaded_by` keeps the first uploader) and this uploader of
   * it: equal bytes share a CID, and minting asks whether the minting creator uploaded it.
   */
  private async record(cid: string, mime: string, size: number, uploaderId: string): Promise<void> {
    await inTransaction(this.dataSource, async (manager) => {
      await manager.query(
        `INSERT INTO media (cid, mime, size, uploaded_by) VALUES ($1, $2, $3, $4) ON CONFLICT (cid) DO NOTHING`,
        [cid, mime, size, uploaderId],
      );
      await manager.query(
        `INSERT INTO media_uploads (cid, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
        [cid, uploaderId],
      );
    });
  }

  /** Opens media for serving; refuses content the integrity job found missing or corrupt. */
  async open(cid: string): Promise<{ mime: string; content: ContentStream }> {
    const [row]: { mime: string; integrity: string }[] = await this.dataSource.query(
      `SELECT mime, integrity FROM media WHERE cid = $1`,
      [cid],
    );
    if (!row) throw problems.notFound('Media');
    if (row.integrity !== 'ok') {
      throw problems.conflict(
        'content-unavailable',
        `This media failed its integrity check (${row.integrity})`,
      );
    }
    const content = await this.store.stream(cid);
    if (!content) throw problems.notFound('Media content');
    return { mime: row.mime, content };
  }

  /** Re-hashes every stored media item; marks and reports any missing or corrupted one. */
  async checkIntegrity(): Promise<{ checked: number; failed: { cid: string; outcome: string }[] }> {
    const failed: { cid: string; outcome: string }[] = [];
    let checked = 0;
    let after = '';
    for (;;) {
      const rows: { cid: string }[] = await this.dataSource.query(
        `SELECT cid FROM media WHERE cid > $1 ORDER BY cid LIMIT 500`,
        [after],
      );
      if (rows.length === 0) break;
      for (const { cid } of rows) {
        const outcome = await this.store.verify(cid);
        checked++;
        if (outcome !== 'ok') {
          failed.push({ cid, outcome });
          this.logger.error({ cid, outcome }, 'media integrity check failed');
        }
        await this.dataSource.query(`UPDATE media SET integrity = $2, checked_at = now() WHERE cid = $1`, [
          cid,
          outcome,
        ]);
      }
      after = rows[rows.length - 1].cid;
    }
    return { checked, failed };
  }

  /** Media currently failing integrity, for operators. */
  async failures(): Promise<{ cid: string; integrity: string; checkedAt: string | null }[]> {
    const rows: { cid: string; integrity: string; checked_at: Date | null }[] = await this.dataSource.query(
      `SELECT cid, integrity, checked_at FROM media WHERE integrity <> 'ok' ORDER BY checked_at DESC`,
    );
    return rows.map((r) => ({
      cid: r.cid,
      integrity: r.integrity,
      checkedAt: r.checked_at?.toISOString() ?? null,
    }));
  }

  private view(cid: string, mime: string, size: number): MediaView {
    return { cid, uri: `ipfs://${cid}`, url: `${this.config.publicUrl}/media/${cid}`, mime, size };
  }
}

/** Reads at least `count` bytes (or all, if fewer) and returns them with the rest of the stream. */
async function readHead(source: ByteSource, count: number) {
  const iterator = chunksOf(source)[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (length < count) {
    const next = await iterator.next();
    if (next.done) break;
    chunks.push(next.value);
    length += next.value.byteLength;
  }
  const head = Buffer.concat(chunks);
  const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => iterator };
  return { head, rest };
}

async function* prepend(head: Uint8Array, rest: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield head;
  yield* rest;
}
