import { Module } from '@nestjs/common';
import { CustodyModule } from '#custody';
import { IdentityModule } from '#identity';
import { LedgerModule } from '#ledger';
import { AccountDeletionService } from './account-deletion.service.js';
import { DataExportService } from './data-export.service.js';
import { DataRightsController } from './data-rights.controller.js';
import { ExitArchiveService } from './exit-archive.service.js';

/**
 * Exit and data rights: the exit archive (certificates verifiable without the platform), the
 * personal data export and account deletion. Writes no table of its own: accounts change through
 * identity; everything else is only read.
 */
@Module({
  imports: [IdentityModule, LedgerModule, CustodyModule],
  controllers: [DataRightsController],
  providers: [ExitArchiveService, DataExportService, AccountDeletionService],
})
export class DataRightsModule {}
