import { CreateIdentity1764000000000 } from './1764000000000-CreateIdentity.js';
import { CreateLedger1764000100000 } from './1764000100000-CreateLedger.js';
import { CreateCatalogue1764000200000 } from './1764000200000-CreateCatalogue.js';
import { TuneCatalogueStatistics1764000300000 } from './1764000300000-TuneCatalogueStatistics.js';
import { CreateCheckout1764000500000 } from './1764000500000-CreateCheckout.js';
import { WriteLedgerEntriesOnce1764000600000 } from './1764000600000-WriteLedgerEntriesOnce.js';
import { ReserveFromDropInOneCall1764000700000 } from './1764000700000-ReserveFromDropInOneCall.js';
import { HashIdNumbersWithHmac1764000800000 } from './1764000800000-HashIdNumbersWithHmac.js';
import { CapHoldsAndTicketEntries1764000900000 } from './1764000900000-CapHoldsAndTicketEntries.js';
import { RecordMediaUploaders1764001000000 } from './1764001000000-RecordMediaUploaders.js';
import { StoreSandboxPayments1764001100000 } from './1764001100000-StoreSandboxPayments.js';
import { KeepRawPaymentEvents1764001200000 } from './1764001200000-KeepRawPaymentEvents.js';
import { RetryRefundsWithBackoff1764001300000 } from './1764001300000-RetryRefundsWithBackoff.js';
import { OweExpiredPaymentCancels1764001400000 } from './1764001400000-OweExpiredPaymentCancels.js';
import { AllowListWitnesses1764001600000 } from './1764001600000-AllowListWitnesses.js';
import { GuardOwnershipByLedger1764001700000 } from './1764001700000-GuardOwnershipByLedger.js';
import { AddCustody1764001800000 } from './1764001800000-AddCustody.js';
import { OperatorConsoleAccounts1764001900000 } from './1764001900000-OperatorConsoleAccounts.js';
import { RefundSalesFromConsole1764002100000 } from './1764002100000-RefundSalesFromConsole.js';
import { CatalogueCjkSearch1764002200000 } from './1764002200000-CatalogueCjkSearch.js';
import { AccountDeletion1764002300000 } from './1764002300000-AccountDeletion.js';
import { AddNotificationsAndAppeals1764002400000 } from './1764002400000-AddNotificationsAndAppeals.js';
import { SetPlatformPoliciesAtRunTime1764002500000 } from './1764002500000-SetPlatformPoliciesAtRunTime.js';
import { AddPayouts1764002600000 } from './1764002600000-AddPayouts.js';
import { IndexHoldingsFilters1764002700000 } from './1764002700000-IndexHoldingsFilters.js';
import { GroupEditionsIntoSeries1764002800000 } from './1764002800000-GroupEditionsIntoSeries.js';
import { TypeLedgerEntryColumns1764002900000 } from './1764002900000-TypeLedgerEntryColumns.js';
import { ConnectPayoutAccounts1764003200000 } from './1764003200000-ConnectPayoutAccounts.js';
import { AddWebhooks1764003100000 } from './1764003100000-AddWebhooks.js';
import { AddReadFences1764003300000 } from './1764003300000-AddReadFences.js';

/** Every migration, in order; listed as classes so sources and dist share one config. */
export const migrations = [
  CreateIdentity1764000000000,
  CreateLedger1764000100000,
  CreateCatalogue1764000200000,
  TuneCatalogueStatistics1764000300000,
  CreateCheckout1764000500000,
  WriteLedgerEntriesOnce1764000600000,
  ReserveFromDropInOneCall1764000700000,
  HashIdNumbersWithHmac1764000800000,
  CapHoldsAndTicketEntries1764000900000,
  RecordMediaUploaders1764001000000,
  StoreSandboxPayments1764001100000,
  KeepRawPaymentEvents1764001200000,
  RetryRefundsWithBackoff1764001300000,
  OweExpiredPaymentCancels1764001400000,
  AllowListWitnesses1764001600000,
  GuardOwnershipByLedger1764001700000,
  AddCustody1764001800000,
  OperatorConsoleAccounts1764001900000,
  RefundSalesFromConsole1764002100000,
  CatalogueCjkSearch1764002200000,
  AccountDeletion1764002300000,
  AddNotificationsAndAppeals1764002400000,
  SetPlatformPoliciesAtRunTime1764002500000,
  AddPayouts1764002600000,
  IndexHoldingsFilters1764002700000,
  GroupEditionsIntoSeries1764002800000,
  TypeLedgerEntryColumns1764002900000,
  ConnectPayoutAccounts1764003200000,
  AddWebhooks1764003100000,
  AddReadFences1764003300000,
];
