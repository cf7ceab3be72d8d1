import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { problems } from '#http';
import { Public } from '#identity';
import { fromHex, toBase64, toHex } from './core/index.js';
import { CertificateService } from './certificate.service.js';
import { CheckpointService } from './checkpoint.service.js';
import {
  CheckpointQuery,
  ConsistencyQuery,
  CosignatureDto,
  EntriesQuery,
  InclusionQuery,
  SizeParam,
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
  ) {}

  @Get('checkpoint')
  @Header('content-type', 'text/plain; charset=utf-8')
  async checkpoint(@Query() query: CheckpointQuery): Promise<string> {
    const latest = await this.checkpoints.latest(query.final === 'true');
    if (!latest) throw problems.notFound('A checkpoint');
    return latest.note;
  }

  @Get('keys')
  keys() {
    return this.checkpoints.verifierKeys();
  }

  @Get('entries')
  async entries(@Query() query: EntriesQuery) {
    if (query.end <= query.start || query.end - query.start > MAX_ENTRIES_PER_CALL) {
      throw problems.badRequest(
        'bad-range',
        `end must be above start and at most ${MAX_ENTRIES_PER_CALL} entries`,
      );
    }
    return (await this.proofs.entries(query.start, query.end)).map(entryView);
  }

  @Get('proof/inclusion')
  async inclusion(@Query() query: InclusionQuery) {
    if ((query.index === undefined) === (query.leafHash === undefined)) {
      throw problems.badRequest('bad-query', 'give exactly one of index or leafHash');
    }
    const index = query.index ?? (await this.proofs.indexOfLeaf(fromHex(query.leafHash!), query.size));
    const { size, proof } = await this.proofs.inclusionProof(index, query.size);
    return { index, size, proof: proof.map(toBase64) };
  }

  @Get('proof/consistency')
  async consistency(@Query() query: ConsistencyQuery) {
    const { from, to, proof } = await this.proofs.consistencyProof(query.from, query.to);
    return { from, to, proof: proof.map(toBase64) };
  }

  @Get('tokens/:tokenId/history')
  async history(@Param('tokenId') tokenId: string) {
    const state = await this.proofs.treeState();
    const entries = await this.proofs.tokenEntries(tokenId);
    if (entries.length === 0) throw problems.notFound(`Ledger history of token ${tokenId}`);
    const withProofs = await Promise.all(
      entries.map(async (e) => ({
        ...entryView(e),
        proof: (await this.proofs.inclusionProof(e.index, state.size)).proof.map(toBase64),
      })),
    );
    return { tokenId, treeSize: state.size, rootHash: toBase64(state.root), entries: withProofs };
  }

  @Get('tokens/:tokenId/certificate')
  async certificate(@Param('tokenId') tokenId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const certificate = await this.certificates.certificate(tokenId);
    void reply.header('content-disposition', `attachment; filename="heirloom-${tokenId}.cert.json"`);
    return certificate;
  }

  /** Witnesses post their co-signed copy; the signature itself is the credential. */
  @Post('checkpoints/:size/cosignatures')
  @HttpCode(200)
  cosign(@Param() params: SizeParam, @Body() body: CosignatureDto) {
    return this.checkpoints.addCosignatures(params.size, body.note);
  }
}

function entryView(e: StoredEntry) {
  return { index: e.index, leafHash: toHex(e.leafHash), entryBase64: toBase64(e.bytes), entry: e.entry };
}
