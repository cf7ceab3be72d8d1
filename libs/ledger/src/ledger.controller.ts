import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ReadRouter } from '#database';
import { ApiProblems, problems } from '#http';
import { Public } from '#identity';
import { fromHex, toBase64, toHex } from './core/index.js';
import { CertificateService } from './certificate.service.js';
import { CheckpointService } from './checkpoint.service.js';
import {
  CertificateView,
  CheckpointQuery,
  ConsistencyProofView,
  ConsistencyQuery,
  CosignatureDto,
  CosignatureView,
  EntriesQuery,
  InclusionProofView,
  InclusionQuery,
  LedgerEntryView,
  SizeParam,
  TokenHistoryView,
  VerifierKeysView,
} from './ledger.dto.js';
import { ProofService, type StoredEntry } from './proof.service.js';

const MAX_ENTRIES_PER_CALL = 1000;

/** The public, verifiable face of the ledger: checkpoints, entries, proofs, certificates. */
@ApiTags('ledger')
@Public()
@Controller('ledger')
export class LedgerController {
  constructor(
    private readonly checkpoints: CheckpointService,
    private readonly proofs: ProofService,
    private readonly certificates: CertificateService,
    private readonly reads: ReadRouter,
  ) {}

  @Get('checkpoint')
  @Header('content-type', 'text/plain; charset=utf-8')
  @ApiOperation({
    summary: 'Get the newest signed checkpoint',
    description:
      'The checkpoint note (C2SP tlog-checkpoint and signed-note formats): origin, tree size and root ' +
      'hash, signed by the operator and co-signed by witnesses. `final=true`: the newest one that ' +
      'reached the witness quorum.',
  })
  @ApiOkResponse({
    description: 'The signed checkpoint note',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiProblems({ 404: ['not-found'] })
  async checkpoint(@Query() query: CheckpointQuery): Promise<string> {
    const latest = await this.checkpoints.latest(query.final === 'true');
    if (!latest) throw problems.notFound('A checkpoint');
    return latest.note;
  }

  @Get('keys')
  @ApiOperation({ summary: 'Get the keys that verify checkpoints: the operator and the witnesses' })
  @ApiOkResponse({ type: VerifierKeysView })
  keys() {
    return this.checkpoints.verifierKeys();
  }

  @Get('policy')
  @Header('content-type', 'text/plain; charset=utf-8')
  @ApiOperation({
    summary: "Get the operator's recommended verification policy",
    description:
      'A C2SP tlog-policy file: the log key, the allow-listed witness keys and the quorum of witness ' +
      'cosignatures that makes a checkpoint final. Save it once and verify certificates with ' +
      '`heirloom-verify CERT.json --policy FILE`; a certificate never sets its own quorum.',
  })
  @ApiOkResponse({
    description: 'The policy file',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  policy(): string {
    return this.certificates.recommendedPolicy();
  }

  @Get('entries')
  @ApiOperation({
    summary: 'List log entries by index',
    description: `Entries with start <= index < end, at most ${MAX_ENTRIES_PER_CALL} per call; fewer past the end of the log.`,
  })
  @ApiOkResponse({ type: [LedgerEntryView] })
  @ApiProblems({ 400: ['bad-range'] })
  async entries(@Query() query: EntriesQuery): Promise<LedgerEntryView[]> {
    if (query.end <= query.start || query.end - query.start > MAX_ENTRIES_PER_CALL) {
      throw problems.badRequest(
        'bad-range',
        `end must be above start and at most ${MAX_ENTRIES_PER_CALL} entries`,
      );
    }
    // Public reads that may lag a little: on a replica when one is fresh enough (see ReadRouter).
    return this.reads.read(async (db) =>
      (await this.proofs.reading(db).entries(query.start, query.end)).map(entryView),
    );
  }

  @Get('proof/inclusion')
  @ApiOperation({
    summary: 'Prove an entry is in the log (RFC 9162 inclusion proof)',
    description: 'Give exactly one of `index` or `leafHash`; `size` defaults to the current tree size.',
  })
  @ApiOkResponse({ type: InclusionProofView })
  @ApiProblems({
    400: ['bad-query', 'index-out-of-range', 'size-out-of-range'],
    404: ['not-found'],
  })
  async inclusion(@Query() query: InclusionQuery): Promise<InclusionProofView> {
    if ((query.index === undefined) === (query.leafHash === undefined)) {
      throw problems.badRequest('bad-query', 'give exactly one of index or leafHash');
    }
    return this.reads.read(async (db) => {
      const proofs = this.proofs.reading(db);
      const index = query.index ?? (await proofs.indexOfLeaf(fromHex(query.leafHash!), query.size));
      const { size, proof } = await proofs.inclusionProof(index, query.size);
      return { index, size, proof: proof.map(toBase64) };
    });
  }

  @Get('proof/consistency')
  @ApiOperation({
    summary: 'Prove the log only grew between two sizes (RFC 9162 consistency proof)',
    description: '`to` defaults to the current tree size.',
  })
  @ApiOkResponse({ type: ConsistencyProofView })
  @ApiProblems({ 400: ['size-out-of-range'] })
  async consistency(@Query() query: ConsistencyQuery): Promise<ConsistencyProofView> {
    return this.reads.read(async (db) => {
      const { from, to, proof } = await this.proofs.reading(db).consistencyProof(query.from, query.to);
      return { from, to, proof: proof.map(toBase64) };
    });
  }

  @Get('tokens/:tokenId/history')
  @ApiOperation({
    summary: "Get a token's ledger history with inclusion proofs",
    description: 'Every entry of the token in the current tree, each with its proof against rootHash.',
  })
  @ApiOkResponse({ type: TokenHistoryView })
  @ApiProblems({ 404: ['not-found'] })
  history(@Param('tokenId') tokenId: string): Promise<TokenHistoryView> {
    return this.reads.read((db) => this.historyOn(this.proofs.reading(db), tokenId));
  }

  private async historyOn(proofs: ProofService, tokenId: string): Promise<TokenHistoryView> {
    const state = await proofs.treeState();
    const entries = await proofs.tokenEntries(tokenId);
    if (entries.length === 0) throw problems.notFound(`Ledger history of token ${tokenId}`);
    const withProofs = await Promise.all(
      entries.map(async (e) => ({
        ...entryView(e),
        proof: (await proofs.inclusionProof(e.index, state.size)).proof.map(toBase64),
      })),
    );
    return { tokenId, treeSize: state.size, rootHash: toBase64(state.root), entries: withProofs };
  }

  @Get('tokens/:tokenId/certificate')
  @ApiOperation({
    summary: "Download a token's ownership certificate",
    description:
      'A self-contained JSON file (sent as an attachment) proving the token history as of the newest ' +
      'checkpoint that reached the witness quorum, and that its newest entry is the token\u2019s latest ' +
      'there (the token map); verify it offline. 409 `not-yet-checkpointed` for a token too new for ' +
      'such a checkpoint: retry shortly. 503 `ledger-integrity` when the stored ledger disagrees with ' +
      'its signed checkpoint (operators are alerted).',
  })
  @ApiOkResponse({ type: CertificateView })
  @ApiProblems({ 404: ['not-found'], 409: ['not-yet-checkpointed'], 503: ['ledger-integrity'] })
  async certificate(@Param('tokenId') tokenId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const certificate = await this.certificates.certificate(tokenId);
    void reply.header('content-disposition', `attachment; filename="heirloom-${tokenId}.cert.json"`);
    return certificate;
  }

  /** Witnesses post their co-signed copy; the signature itself is the credential. */
  @Post('checkpoints/:size/cosignatures')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Add a witness co-signature to a checkpoint',
    description:
      'For witnesses: post the checkpoint note as you co-signed it. Only signatures of allow-listed ' +
      'witness keys over exactly this checkpoint are kept; sending one again changes nothing.',
  })
  @ApiOkResponse({ type: CosignatureView })
  @ApiProblems({ 404: ['not-found'], 422: ['cosignature-rejected'] })
  cosign(@Param() params: SizeParam, @Body() body: CosignatureDto) {
    return this.checkpoints.addCosignatures(params.size, body.note);
  }
}

function entryView(e: StoredEntry): LedgerEntryView {
  return { index: e.index, leafHash: toHex(e.leafHash), entryBase64: toBase64(e.bytes), entry: e.entry };
}
