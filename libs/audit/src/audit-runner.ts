import { Injectable } from '@nestjs/common';
import { AuditService, type AuditReport } from '#ledger';
import { TokenOwnershipReader } from '#minting';

/** Audit replay of the ledger against the token ownership tables. */
@Injectable()
export class AuditRunner {
  constructor(
    private readonly audit: AuditService,
    private readonly ownership: TokenOwnershipReader,
  ) {}

  run(): Promise<AuditReport> {
    return this.audit.audit(this.ownership);
  }
}
