import { Controller, Get, Header, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblems } from '#http';
import { Public } from '#identity';
import { TilesService, type ServedTile } from './tiles.service.js';

/** Full tiles never change; partial ones are replaced by wider ones as the log grows. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const SHORT_LIVED = 'public, max-age=60';

const TILE_INDEX = {
  name: 'path',
  type: String,
  description:
    'The tile index as zero-padded 3-digit path elements, all but the last prefixed with x ' +
    '(1234067 is `x001/x234/067`), followed by `.p/<W>` for a partial tile of W (1–255) hashes.',
  example: '000.p/17',
};

const BINARY = {
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
};

/**
 * The ledger as a C2SP tlog-tiles log (https://c2sp.org/tlog-tiles) under /ledger/tlog/: static,
 * cacheable files from which a mirror, CDN or auditor rebuilds and checks the whole tree.
 */
@ApiTags('ledger')
@Public()
@Controller('ledger/tlog')
export class TilesController {
  constructor(private readonly tiles: TilesService) {}

  @Get('checkpoint')
  @Header('content-type', 'text/plain; charset=utf-8')
  @Header('cache-control', 'no-cache')
  @ApiOperation({
    summary: 'Get the checkpoint the tiles are served for',
    description:
      'The newest checkpoint that reached the witness quorum, as a signed note (C2SP ' +
      'tlog-checkpoint): every tile it covers can be fetched below.',
  })
  @ApiOkResponse({
    description: 'The co-signed checkpoint note',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiProblems({ 404: ['not-found'] })
  checkpoint(): Promise<string> {
    return this.tiles.checkpoint();
  }

  @Get('tile/entries/*')
  @ApiOperation({
    summary: 'Get an entry bundle',
    description:
      'Entries 256·N … 256·N+255 of the log (fewer for a partial bundle), each prefixed by its ' +
      'length as a big-endian uint16; each hashes to its leaf hash in level-0 tile N. Full bundles ' +
      'never change and may be cached forever.',
  })
  @ApiParam(TILE_INDEX)
  @ApiOkResponse({ description: 'The entry bundle', ...BINARY })
  @ApiProblems({ 404: ['not-found'], 503: ['tile-unavailable'] })
  async entries(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return send(reply, await this.tiles.tile(`tile/entries/${rest(request)}`));
  }

  @Get('tile/:level/*')
  @ApiOperation({
    summary: 'Get a Merkle tree tile',
    description:
      'Tile N of level L: the 256 tree hashes of tree level 8·L covering leaves ' +
      '256^(L+1)·N onwards (fewer for a partial tile), 32 bytes each. Full tiles never change ' +
      'and may be cached forever.',
  })
  @ApiParam({ name: 'level', description: 'The tile level, 0 to 63', example: '0' })
  @ApiParam(TILE_INDEX)
  @ApiOkResponse({ description: 'The tile: concatenated SHA-256 hashes', ...BINARY })
  @ApiProblems({ 404: ['not-found'], 503: ['tile-unavailable'] })
  async hashes(
    @Param('level') level: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return send(reply, await this.tiles.tile(`tile/${level}/${rest(request)}`));
  }
}

/** What the trailing "*" of the route matched: the tile index and any `.p/<W>`. */
function rest(request: FastifyRequest): string {
  return (request.params as Record<string, string | undefined>)['*'] ?? '';
}

function send(reply: FastifyReply, tile: ServedTile): Buffer {
  void reply.header('content-type', 'application/octet-stream');
  void reply.header('cache-control', tile.immutable ? IMMUTABLE : SHORT_LIVED);
  return tile.bytes;
}
