import { Controller, Get, Headers, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { problems } from '#http';
import { CurrentPrincipal, type Principal, Public, Roles } from '#identity';
import { parseContentCid } from './cid.js';
import { MediaService } from './media.service.js';

@ApiTags('media')
@Controller()
export class MediaController {
  constructor(private readonly media: MediaService) {}

  /** Upload raw media bytes with their Content-Type (image/*, video/*, audio/*, model/*). */
  @ApiBearerAuth()
  @ApiConsumes('application/octet-stream')
  @Roles('creator')
  @Post('media')
  async upload(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Headers('content-type') contentType: string | undefined,
    @Headers('content-length') contentLength: string | undefined,
  ) {
    if (!(request.body instanceof Readable)) {
      throw problems.badRequest(
        'expected-binary-body',
        'Send the media bytes as the body with their media type',
      );
    }
    return this.media.upload(
      principal.accountId,
      request.body,
      contentType,
      contentLength ? Number(contentLength) : undefined,
    );
  }

  @Public()
  @Get('media/:cid')
  async serve(@Param('cid') cid: string, @Res() reply: FastifyReply) {
    parseContentCid(cid);
    const { mime, content } = await this.media.open(cid);
    // Content-Length is sent first: if verification fails mid-stream the connection is cut, so a
    // client can always tell a truncated (unverified) body from a complete one.
    return reply
      .header('content-type', mime)
      .header('content-length', String(content.size))
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('etag', `"${cid}"`)
      .send(Readable.from(content.body));
  }
}

@ApiTags('operator')
@ApiBearerAuth()
@Roles('operator', 'auditor')
@Controller('operator/media')
export class MediaOperatorController {
  constructor(private readonly media: MediaService) {}

  @Get('integrity')
  failures() {
    return this.media.failures();
  }

  @Post('integrity/check')
  check() {
    return this.media.checkIntegrity();
  }
}
