import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { HeirloomConfig } from '#config';
import { ReadRouter } from '#database';
import { DomainError, problems } from '#http';
import {
  HASH_SIZE,
  TILE_HEIGHT,
  TILE_WIDTH,
  decodeEntryBundle,
  encodeEntryBundle,
  isTileInTree,
  parseTilePath,
  tilePath,
  type TileId,
} from './core/index.js';
import { CheckpointService } from './checkpoint.service.js';
import { LedgerKeys } from './ledger-keys.js';
import { ENTRIES_FROM_INDEX } from './log-positions.js';
import { STRIP_WIDTH } from './strips.js';

/** A tile's bytes, and whether they can never change (a full tile). */
export interface ServedTile {
  bytes: Buffer;
  immutable: boolean;
}

/** SQL: the newest co-signed checkpoint's size (null before the first), as the tiles' bound. */
const COVERED_SIZE = `(SELECT max(size) AS size FROM ledger_checkpoints WHERE final) AS cp`;

/**
 * The log as C2SP tlog-tiles: the newest co-signed checkpoint, hash tiles and entry bundles, read
 * from the stored strips and entries (one query per tile, nothing rehashed) and only as far as that
 * checkpoint reaches. Full tiles never change, so each is kept in the data folder the first time it
 * is served and read from there afterwards without touching the database.
 */
@Injectable()
export class TilesService {
  private readonly logger = new Logger(TilesService.name);
  /** One folder per log key, so a data folder reused for another log never serves this one's tiles. */
  private readonly cacheDir: string;

  constructor(
    // Tile reads name the checkpoint they are cut to in the same query, so a lagging replica answers
    // consistently; a tile its older checkpoint does not cover yet is asked of the primary (ReadRouter.read).
    private readonly reads: ReadRouter,
    private readonly checkpoints: CheckpointService,
    config: HeirloomConfig,
    keys: LedgerKeys,
  ) {
    const logId = createHash('sha256').update(keys.operatorVerifierKey).digest('hex').slice(0, 16);
    this.cacheDir = join(config.dataDir, 'tlog-tiles', logId);
  }

  /** The newest checkpoint that reached the witness quorum, as a signed note. */
  async checkpoint(): Promise<string> {
    const latest = await this.checkpoints.latest(true);
    if (!latest) throw problems.notFound('A co-signed checkpoint');
    return latest.note;
  }

  /** The tile or entry bundle at `path` ("tile/0/x001/234.p/17"); 404 unless the checkpoint covers it. */
  tile(path: string): Promise<ServedTile> {
    return this.reads.read((db) => this.tileFrom(db, path));
  }

  private async tileFrom(db: DataSource, path: string): Promise<ServedTile> {
    let tile: TileId;
    try {
      tile = parseTilePath(path);
    } catch {
      throw notFound(
        `${path.slice(0, 100)} is not a tile path: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>], ` +
          'N in 3-digit path elements, e.g. tile/0/x001/234.p/17',
      );
    }
    const immutable = tile.width === TILE_WIDTH;
    const cached = immutable ? await this.readCached(tile) : undefined;
    if (cached) return { bytes: cached, immutable };
    const bytes =
      tile.level === 'entries'
        ? await this.loadBundle(db, tile)
        : await this.loadHashes(db, tile, tile.level);
    if (immutable) await this.writeCached(tile, bytes);
    return { bytes, immutable };
  }

  /**
   * Hash tile (L, N) is hashes N·256 … N·256+255 of tree level 8·L: two strips of that level, cut
   * to the tile's width.
   */
  private async loadHashes(db: DataSource, tile: TileId, level: number): Promise<Buffer> {
    const stripsPerTile = TILE_WIDTH / STRIP_WIDTH;
    const [row]: { size: string | null; hashes: Buffer | null }[] = await db.query(
      `SELECT cp.size, t.hashes FROM ${COVERED_SIZE}
       LEFT JOIN LATERAL (
         SELECT string_agg(hashes, ''::bytea ORDER BY idx) AS hashes FROM ledger_strips
         WHERE level = $1 AND idx BETWEEN $2::bigint AND $2::bigint + ${stripsPerTile - 1}
       ) t ON true`,
      [level * TILE_HEIGHT, String(BigInt(tile.index) * BigInt(stripsPerTile))],
    );
    this.assertCovered(tile, row.size);
    const bytes = row.hashes?.subarray(0, tile.width * HASH_SIZE);
    if (bytes?.length !== tile.width * HASH_SIZE) throw this.unavailable(tile, 'its strips are short');
    return bytes;
  }

  /** Entry bundle N: entries N·256 … N·256+width−1, found through segment N. */
  private async loadBundle(db: DataSource, tile: TileId): Promise<Buffer> {
    const rows: { size: string | null; entry: Buffer | null }[] = await db.query(
      `SELECT cp.size, e.entry FROM ${COVERED_SIZE}
       LEFT JOIN LATERAL (${ENTRIES_FROM_INDEX}) e ON true`,
      [String(BigInt(tile.index) * BigInt(TILE_WIDTH)), tile.width],
    );
    this.assertCovered(tile, rows[0]?.size ?? null);
    const entries = rows.flatMap((row) => (row.entry ? [row.entry] : []));
    if (entries.length !== tile.width) throw this.unavailable(tile, `${entries.length} entries were found`);
    return Buffer.from(encodeEntryBundle(entries));
  }

  private assertCovered(tile: TileId, size: string | null): void {
    if (size === null || !isTileInTree(tile, Number(size))) {
      throw notFound(
        `${tilePath(tile)} is beyond the newest co-signed checkpoint (size ${size ?? 0}): ` +
          'fetch the checkpoint, then only the tiles it covers',
      );
    }
  }

  /** Stored data disagrees with a signed checkpoint: never served, and the operator told. */
  private unavailable(tile: TileId, why: string): DomainError {
    this.logger.error({ tile: tilePath(tile), why }, 'a tile the checkpoint covers cannot be read');
    return new DomainError(
      'tile-unavailable',
      503,
      'Service unavailable',
      `The tile ${tilePath(tile)} cannot be served right now; try again later`,
    );
  }

  private cachePath(tile: TileId): string {
    return join(this.cacheDir, tilePath(tile));
  }

  /** A full tile kept earlier; anything but exactly a full tile's bytes is ignored and rebuilt. */
  private async readCached(tile: TileId): Promise<Buffer | undefined> {
    try {
      const bytes = await readFile(this.cachePath(tile));
      return isFullTile(tile, bytes) ? bytes : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.warn({ tile: tilePath(tile), error: String(error) }, 'cannot read a cached tile');
      }
      return undefined;
    }
  }

  /**
   * Keeps a full tile. Written beside and renamed into place, so another API process on the same
   * folder reads a whole file or none; two writing at once write the same bytes. Failing to keep
   * it only means the next request reads the database again.
   */
  private async writeCached(tile: TileId, bytes: Buffer): Promise<void> {
    const file = this.cachePath(tile);
    const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(draft, bytes, { flag: 'wx' });
      await rename(draft, file);
    } catch (error) {
      this.logger.warn({ tile: tilePath(tile), error: String(error) }, 'cannot keep a full tile');
      await rm(draft, { force: true }).catch(() => undefined);
    }
  }
}

function notFound(detail: string): DomainError {
  return new DomainError('not-found', 404, 'Not found', detail);
}

/** Exactly a full tile's bytes: 256 hashes, or a bundle of 256 entries. */
function isFullTile(tile: TileId, bytes: Buffer): boolean {
  if (tile.level !== 'entries') return bytes.length === TILE_WIDTH * HASH_SIZE;
  try {
    return decodeEntryBundle(bytes).length === TILE_WIDTH;
  } catch {
    return false;
  }
}
