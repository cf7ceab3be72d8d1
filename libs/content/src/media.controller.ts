import { Controller, Get, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { ApiProblems, problems } from '#http';
import { CurrentPrincipal, type Principal, Public, Roles } from '#identity';
import { parseContentCid } from './cid.js';
import { ALLOWED_MEDIA_TYPES } from './media-type.js';
import { IntegrityCheckView, IntegrityFailureView, MediaView } from './media.dto.js';
import { MediaService } from './media.service.js';

const BINARY = { schema: { type: 'string', format: 'binary' } };

/**
 * Uploads come from creators, so media is served as untrusted content from our own origin: the
 * browser must never sniff it into HTML or SVG (nosniff) nor run script in it if opened directly
 * (a sandboxed document that may load only same-origin media; inline style lets browsers lay out
 * their own image and video viewer pages). Media is public and meant to be embedded by other sites.
 */
export const MEDIA_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
  'cross-origin-resource-policy': 'cross-origin',
};

@ApiTags('media')
@Controller()
export class MediaController {
  constructor(private readonly media: MediaService) {}

  /** Upload raw media bytes with their Content-Type (image/*, video/*, audio/*, model/*). */
  @ApiBearerAuth()
  @ApiConsumes(...ALLOWED_MEDIA_TYPES.keys(), 'application/octet-stream')
  @Roles('creator')
  @Post('media')
  @ApiOperation({
    summary: 'Upload media for tokens',
    description:
      'Send the raw bytes as the body (not multipart) with their Content-Type, or ' +
      '`application/octet-stream` to let the bytes decide. The type is recognised from the bytes: ' +
      'a declared type that differs is 422 `media-type-mismatch`. Equal bytes get the same CID, so ' +
      'uploading again is harmless. Use `uri` as `image` or `animation_url` when minting.',
  })
  @ApiBody({ ...BINARY, description: 'The media bytes' })
  @ApiCreatedResponse({ type: MediaView })
  @ApiProblems({
    400: ['expected-binary-body', 'empty-upload'],
    413: ['content-too-large'],
    422: ['media-type-mismatch'],
    502: ['cid-mismatch'],
    503: ['content-store-unavailable'],
  })
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

  /** Serves media bytes, verified against their CID, as inert content (see MEDIA_RESPONSE_HEADERS). */
  @Public()
  @Get('media/:cid')
  @ApiOperation({
    summary: 'Download media by its CID',
    description:
      'The bytes, verified against their CID, with the type they were uploaded as (other types are ' +
      'sent as an `application/octet-stream` attachment). Content-Length comes first: a body cut ' +
      'short failed verification mid-stream. Immutable: cache it for good (ETag is the CID).',
  })
  @ApiOkResponse({
    description: 'The media bytes',
    content: Object.fromEntries(
      ['image/*', 'video/*', 'audio/*', 'model/*', 'application/octet-stream'].map((type) => [type, BINARY]),
    ),
  })
  @ApiProblems({
    400: ['invalid-cid'],
    404: ['not-found'],
    409: ['content-unavailable'],
    500: ['content-corrupted'],
    503: ['content-store-unavailable'],
  })
  async serve(@Param('cid') cid: string, @Res() reply: FastifyReply) {
    // Set first, so problem responses from this route (bad CID, not found, unavailable) carry them too.
    void reply.headers(MEDIA_RESPONSE_HEADERS);
    parseContentCid(cid);
    const { mime, content } = await this.media.open(cid);
    // Only allow-listed types are ever recorded; anything else would be downloaded, never rendered.
    const inline = ALLOWED_MEDIA_TYPES.has(mime);
    // Content-Length is sent first: if verification fails mid-stream the connection is cut, so a
    // client can always tell a truncated (unverified) body from a complete one.
    return reply
      .header('content-type', inline ? mime : 'application/octet-stream')
      .header('content-disposition', inline ? 'inline' : 'attachment')
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
  @ApiOperation({
    summary: 'List media failing its integrity check',
    description: 'Media that was missing or corrupt when last checked; it is not served. Last checked first.',
  })
  @ApiOkResponse({ type: [IntegrityFailureView] })
  failures() {
    return this.media.failures();
  }

  @Post('integrity/check')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Re-hash every stored media item now',
    description:
      'Checks all media against its CID and marks failures (they stop being served); the answer ' +
      'lists them. Runs in the request, so it takes a while for a large store.',
  })
  @ApiOkResponse({ type: IntegrityCheckView })
  @ApiProblems({ 503: ['content-store-unavailable'] })
  check() {
    return this.media.checkIntegrity();
  }
}
