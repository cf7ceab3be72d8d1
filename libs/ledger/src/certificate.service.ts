import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HeirloomConfig } from '#config';
import { DomainError, problems } from '#http';
import {
  TOKEN_MAP_LINE_KEYWORD,
  buildCertificate,
  decodeVerifierKey,
  formatTlogPolicy,
  inclusionPlan,
  openNote,
  parseCheckpoint,
  parseTokenMapLine,
  type OwnershipCertificate,
  type QuorumRule,
} from './core/index.js';
import { CheckpointService } from './checkpoint.service.js';
import { ProofService } from './proof.service.js';
import { IntegrityAlerts } from './integrity-alerts.js';
import { LedgerKeys } from './ledger-keys.js';
import { TokenMapStore, type TokenMapProofAt } from './token-map.store.js';
import { LedgerIntegrityError, loadNodes } from './tree-store.js';

/** Assembles a token's self-contained ownership certificate against the newest final checkpoint. */
@Injectable()
export class CertificateService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: HeirloomConfig,
    private readonly checkpoints: CheckpointService,
    private readonly proofs: ProofService,
    private readonly maps: TokenMapStore,
    private readonly keys: LedgerKeys,
    private readonly alerts: IntegrityAlerts,
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
    const map = await this.mapProof(tokenId, checkpoint.note, checkpoint.size);
    if (!map) {
      // A checkpoint from before the token map: the next one commits to it.
      throw problems.conflict(
        'not-yet-checkpointed',
        'The token is not yet covered by a co-signed checkpoint that commits to the token map; retry shortly',
      );
    }
    const newest = entries[entries.length - 1]!;
    if (map.index !== newest.index) {
      throw await this.integrityFailure(checkpoint.size, [
        `token ${tokenId}: the token map names entry ${map.index} as its latest, its stored entries end at ${newest.index}`,
      ]);
    }
    const keys = this.checkpoints.verifierKeys();
    return buildCertificate({
      origin: this.config.ledgerOrigin,
      token: tokenId,
      entries: entries.map((e, i) => ({ index: e.index, bytes: e.bytes, proof: plans[i].build(lookup) })),
      map: { index: map.index, siblings: map.siblings },
      checkpoint: checkpoint.note,
      verifierKeys: [keys.operator, ...keys.witnesses],
      quorum: {
        operatorKey: this.config.ledgerOrigin,
        witnesses: keys.witnesses.map((key) => decodeVerifierKey(key).name),
        required: keys.quorum,
      },
    });
  }

  /** The token's map proof against the map root checkpoint `note` commits to (none before the map). */
  private async mapProof(tokenId: string, note: string, size: number): Promise<TokenMapProofAt | undefined> {
    const line = parseCheckpoint(openNote(note, [this.keys.operatorVerifier]).text).extensions?.find((text) =>
      text.startsWith(`${TOKEN_MAP_LINE_KEYWORD} `),
    );
    const root = line === undefined ? undefined : parseTokenMapLine(line);
    if (!root) return undefined;
    try {
      return await this.maps.proof(tokenId, size, root);
    } catch (error) {
      if (!(error instanceof LedgerIntegrityError)) throw error;
      throw await this.integrityFailure(size, error.problems);
    }
  }

  /** Logs and alerts a certificate the ledger cannot back; the 503 the caller answers. */
  private async integrityFailure(size: number, found: string[]): Promise<DomainError> {
    await this.alerts.raise({
      kind: 'token-map-mismatch',
      subject: `checkpoint ${size}`,
      detail: found.join('; '),
    });
    return new DomainError(
      'ledger-integrity',
      503,
      'Service unavailable',
      "The ledger's records disagree with its signed checkpoint, so no certificate can be issued; the platform's operators have been alerted",
    );
  }

  /**
   * The platform's recommended verification policy as a C2SP tlog-policy file: our log key, the
   * allow-listed witnesses and the quorum that makes a checkpoint final.
   */
  recommendedPolicy(): string {
    const keys = this.checkpoints.verifierKeys();
    const names = keys.witnesses.map((key) => decodeVerifierKey(key).name);
    // Policy names are the witnesses' key names unless one would clash ("none", or a repeat).
    const local = names.map((name, i) =>
      name === 'none' || names.indexOf(name) !== i ? `witness-${i + 1}` : name,
    );
    const witnesses = keys.witnesses.map((verifierKey, i) => ({
      name: local[i]!,
      verifierKey,
      keyName: names[i]!,
    }));
    const quorum: QuorumRule =
      keys.quorum === 0
        ? { kind: 'none' }
        : {
            kind: 'group',
            name: local.includes('witnesses') ? 'witness-quorum' : 'witnesses',
            threshold: keys.quorum,
            members: witnesses.map((w) => ({ kind: 'witness', name: w.name, keyName: w.keyName })),
          };
    return formatTlogPolicy(
      { logs: [{ verifierKey: keys.operator, origin: this.config.ledgerOrigin }], witnesses, quorum },
      [
        `${this.config.ledgerOrigin}: the operator's recommended policy for verifying its checkpoints`,
        'and certificates (C2SP tlog-policy). Check the witness keys with the witnesses themselves.',
      ],
    );
  }
}
