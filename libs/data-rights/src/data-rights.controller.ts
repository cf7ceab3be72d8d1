import { Body, Controller, Get, HttpCode, Post, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '#http';
import { CurrentPrincipal, type Principal, SessionOnly } from '#identity';
import { AccountDeletionService } from './account-deletion.service.js';
import { AccountDeletedView, DataExportView, DeleteAccountDto } from './data-rights.dto.js';
import { DataExportService } from './data-export.service.js';
import { ExitArchiveService } from './exit-archive.service.js';

/** A person's rights over their data: leave with proof of what they own, see it all, delete it. */
@ApiTags('data rights')
@ApiBearerAuth()
@Controller('me')
export class DataRightsController {
  constructor(
    private readonly archives: ExitArchiveService,
    private readonly exports: DataExportService,
    private readonly deletions: AccountDeletionService,
  ) {}

  @Get('archive')
  @ApiOperation({
    summary: 'Download your exit archive: proof of what you own that works without us',
    description:
      'A zip with the ownership certificate of every token you hold (each exactly as ' +
      '`GET /ledger/tokens/{tokenId}/certificate` serves it), the platform’s trust policy ' +
      '(`heirloom.tlog-policy`, as `GET /ledger/policy`), `manifest.json` naming your tokens and a ' +
      '`README.txt` on checking every certificate offline with the public verifier ' +
      '(`heirloom-verify CERT --policy heirloom.tlog-policy`). Streamed as it is written. A token too ' +
      'new for a co-signed checkpoint is listed in the manifest as missing: download again shortly.',
  })
  @ApiProduces('application/zip')
  @ApiOkResponse({
    description: 'The zip archive (an attachment)',
    content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } },
  })
  archive(@CurrentPrincipal() principal: Principal): StreamableFile {
    const day = new Date().toISOString().slice(0, 10);
    return new StreamableFile(this.archives.archive(principal.accountId), {
      type: 'application/zip',
      disposition: `attachment; filename="heirloom-archive-${day}.zip"`,
    });
  }

  @Get('data-export')
  @ApiOperation({
    summary: 'Export everything we hold about you',
    description:
      'Your account, real-name verification outcome (never the ID number or its digest), sessions and ' +
      'API keys (never their secrets), orders, holdings, gifts, listings, lottery entries, collections, ' +
      'uploads, operators’ actions about you and what the platform owes you, as one JSON document.',
  })
  @ApiOkResponse({ type: DataExportView })
  dataExport(@CurrentPrincipal() principal: Principal) {
    return this.exports.export(principal.accountId);
  }

  @SessionOnly()
  @Post('delete')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Delete your account and personal data',
    description:
      'Irreversible. Send your own handle as `confirmHandle` (422 `confirmation-mismatch` otherwise). ' +
      'Your email, password, sessions, API keys and real-name data are erased and nobody can sign in to ' +
      'the account again; the ledger, which names accounts only by opaque id, stays as it is and ' +
      'verifiable, as do the records kept by law (orders, money journal, operator trail). Refused with ' +
      '409 `account-not-empty` while you hold tokens, have open orders, active listings, undrawn lottery ' +
      'entries or money owed to you: its `blockers` say what to do first (download your archive, then ' +
      'give or sell your tokens).',
  })
  @ApiOkResponse({ type: AccountDeletedView })
  @ApiProblems({ 404: ['not-found'], 409: ['account-not-empty'], 422: ['confirmation-mismatch'] })
  delete(@CurrentPrincipal() principal: Principal, @Body() body: DeleteAccountDto) {
    return this.deletions.delete(principal.accountId, body.confirmHandle);
  }
}
