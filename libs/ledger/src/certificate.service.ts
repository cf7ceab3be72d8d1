import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HeirloomConfig } from '#config';
import { problems } from '#http';
import {
  buildCertificate,
  inclusionPlan,
  parseVerifierKey,
  type OwnershipCertificate,
} from './core/index.js';
import { CheckpointService } from './checkpoint.service.js';
import { ProofService } from './proof.service.js';
import { loadNodes } from './tree-store.js';

/** Assembles a token's self-contained ownership certificate against the newest final checkpoint. */
@Injectable()
export class CertificateService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
    private readonly checkpoints: CheckpointService,
    private readonly proofs: ProofService,
  ) {}

  /** The certificate of `tokenId` as of the newest checkpoint that reached the witness quorum. */
  async certificate(tokenId: string): Promise<OwnershipCertificate> {
    const checkpoint = await this.checkpoints.latest(true);
    const entries = await this.proofs.tokenEntries(tokenId, checkpoint?.size ?? 0);
    if (!checkpoint || entries.length === 0) {
      const known = await this.proofs.tokenEntries(tokenId);
      if (known.length === 0) throw problems.notFound(`Ledger history of token ${tokenId}`);
      throw problems.conflict(
        'not-yet-checkpointed',
        'The token is not yet covered by a co-signed checkpoint; retry shortly',
      );
    }
    const plans = entries.map((e) => inclusionPlan(e.index, checkpoint.size));
    const lookup = await loadNodes(
      this.dataSource.manager,
      plans.flatMap((plan) => plan.nodeIds),
    );
    const keys = this.checkpoints.verifierKeys();
    return buildCertificate({
      origin: this.config.ledgerOrigin,
      token: tokenId,
      entries: entries.map((e, i) => ({ index: e.index, bytes: e.bytes, proof: plans[i].build(lookup) })),
      checkpoint: checkpoint.note,
      verifierKeys: [keys.operator, ...keys.witnesses],
      quorum: {
        operatorKey: this.config.ledgerOrigin,
        witnesses: keys.witnesses.map((key) => parseVerifierKey(key).name),
        required: keys.quorum,
      },
    });
  }
}
