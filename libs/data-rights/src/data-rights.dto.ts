import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { AccountView } from '#identity';
import type { AccountDeletionService } from './account-deletion.service.js';
import type { DataExportService } from './data-export.service.js';

type Answer<T extends (...args: never[]) => unknown> = Awaited<ReturnType<T>>;
type Export = Answer<DataExportService['export']>;
type Item<K extends keyof Export> = Export[K] extends readonly (infer One)[] ? One : NonNullable<Export[K]>;

export class DeleteAccountDto {
  @ApiProperty({
    example: 'ada',
    description: 'Your own handle, to confirm that you mean to delete the account',
  })
  @Matches(/^[a-z0-9_-]{3,30}$/, { message: 'confirmHandle must be a handle (3-30 of a-z 0-9 _ -)' })
  confirmHandle!: string;
}

export class AccountDeletedView implements Answer<AccountDeletionService['delete']> {
  @ApiProperty({ format: 'date-time' }) deletedAt!: string;
}

class ExportedAccountView extends AccountView implements Item<'account'> {
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) creatorAppliedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) frozenAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why the platform froze the account' })
  frozenReason!: string | null;
}

class ExportedRealNameView implements Item<'realName'> {
  @ApiProperty({ enum: ['verified', 'rejected'] }) status!: Item<'realName'>['status'];
  @ApiProperty() provider!: string;
  @ApiProperty({ format: 'date-time' }) verifiedAt!: string;
  @ApiProperty({
    enum: ['keyed-digest', 'salted-hash'],
    description: 'How the ID number is kept: never itself, only a digest that cannot be turned back',
  })
  idNumberKeptAs!: Item<'realName'>['idNumberKeptAs'];
}

class ExportedSessionView implements Item<'sessions'> {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt!: string | null;
}

class ExportedApiKeyView implements Item<'apiKeys'> {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt!: string | null;
}

class ExportedOrderView implements Item<'orders'> {
  @ApiProperty({ format: 'uuid' }) orderId!: string;
  @ApiProperty({ enum: ['bought', 'sold'] }) side!: Item<'orders'>['side'];
  @ApiProperty() tokenId!: string;
  @ApiProperty({ format: 'uuid' }) listingId!: string;
  @ApiProperty({ type: 'integer', description: 'Integer minor units' }) amountMinor!: number;
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty() status!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Your card, on your purchases only' })
  cardBrand!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Your card, on your purchases only' })
  cardLast4!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) paidAt!: string | null;
}

class ExportedHoldingView implements Item<'holdings'> {
  @ApiProperty() tokenId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() collectionName!: string;
  @ApiProperty({ type: 'integer' }) editionNumber!: number;
  @ApiProperty({ type: 'integer' }) editionTotal!: number;
  @ApiProperty({ enum: ['active', 'frozen'] }) status!: Item<'holdings'>['status'];
  @ApiProperty({ format: 'date-time' }) acquiredAt!: string;
}

class ExportedGiftView implements Item<'gifts'> {
  @ApiProperty({ format: 'uuid' }) giftId!: string;
  @ApiProperty() tokenId!: string;
  @ApiProperty({ enum: ['given', 'received'] }) direction!: Item<'gifts'>['direction'];
  @ApiProperty({ description: 'Public handle of the other side' }) otherHandle!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

class ExportedListingView implements Item<'listings'> {
  @ApiProperty({ format: 'uuid' }) listingId!: string;
  @ApiProperty() tokenId!: string;
  @ApiProperty({ enum: ['primary', 'resale'] }) kind!: string;
  @ApiProperty({ type: 'integer', description: 'Integer minor units' }) priceMinor!: number;
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ enum: ['active', 'sold', 'withdrawn'] }) status!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

class ExportedLotteryEntryView implements Item<'lotteryEntries'> {
  @ApiProperty({ format: 'uuid' }) dropId!: string;
  @ApiProperty({ format: 'date-time' }) enteredAt!: string;
  @ApiProperty({ type: Boolean, nullable: true, description: 'Null before the draw' }) won!: boolean | null;
}

class ExportedCollectionView implements Item<'collections'> {
  @ApiProperty({ format: 'uuid' }) collectionId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

class ExportedMediaUploadView implements Item<'mediaUploads'> {
  @ApiProperty() cid!: string;
  @ApiProperty({ format: 'date-time' }) uploadedAt!: string;
}

class ExportedOperatorActionView implements Item<'operatorActions'> {
  @ApiProperty({ example: 'freeze' }) action!: string;
  @ApiProperty({ enum: ['token', 'account', 'order', 'platform'] }) subjectKind!: string;
  @ApiProperty() subjectId!: string;
  @ApiProperty() reason!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ description: 'You did it (as an operator), rather than it being about you' })
  byYou!: boolean;
}

class ExportedMoneyOwedView implements Item<'moneyOwedToYou'> {
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ type: 'integer', description: 'Integer minor units the platform owes you' })
  amountMinor!: number;
}

class ExportedAppealView implements Item<'appeals'> {
  @ApiProperty({ format: 'uuid' }) appealId!: string;
  @ApiProperty() tokenId!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ enum: ['open', 'upheld', 'lifted'] }) status!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) decidedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) decisionReason!: string | null;
}

class ExportedNotificationView implements Item<'notifications'> {
  @ApiProperty({ example: 'gift.received' }) kind!: string;
  @ApiProperty() subjectId!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) data!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) readAt!: string | null;
}

class ExportedPayoutView implements Item<'payouts'> {
  @ApiProperty({ format: 'uuid' }) payoutId!: string;
  @ApiProperty({ type: 'integer', description: 'Integer minor units' }) amountMinor!: number;
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ enum: ['pending', 'paid', 'failed'] }) status!: string;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) settledAt!: string | null;
}

class ExportedWebhookEndpointView implements Item<'webhookEndpoints'> {
  @ApiProperty({ format: 'uuid' }) endpointId!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: [String], example: ['order.paid'] }) eventTypes!: string[];
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class DataExportView implements Export {
  @ApiProperty({ format: 'date-time' }) exportedAt!: string;
  @ApiProperty({ type: ExportedAccountView }) account!: ExportedAccountView;
  @ApiProperty({ type: ExportedRealNameView, nullable: true, description: 'Null: never verified' })
  realName!: ExportedRealNameView | null;
  @ApiProperty({ type: [ExportedSessionView], description: 'Sign-ins, revoked ones included; never tokens' })
  sessions!: ExportedSessionView[];
  @ApiProperty({ type: [ExportedApiKeyView], description: 'Never the secrets' })
  apiKeys!: ExportedApiKeyView[];
  @ApiProperty({ type: [ExportedOrderView] }) orders!: ExportedOrderView[];
  @ApiProperty({ type: [ExportedHoldingView] }) holdings!: ExportedHoldingView[];
  @ApiProperty({ type: [ExportedGiftView] }) gifts!: ExportedGiftView[];
  @ApiProperty({ type: [ExportedListingView] }) listings!: ExportedListingView[];
  @ApiProperty({ type: [ExportedLotteryEntryView] }) lotteryEntries!: ExportedLotteryEntryView[];
  @ApiProperty({ type: [ExportedCollectionView], description: 'Collections you created' })
  collections!: ExportedCollectionView[];
  @ApiProperty({ type: [ExportedMediaUploadView] }) mediaUploads!: ExportedMediaUploadView[];
  @ApiProperty({ type: [ExportedOperatorActionView] }) operatorActions!: ExportedOperatorActionView[];
  @ApiProperty({ type: [ExportedMoneyOwedView] }) moneyOwedToYou!: ExportedMoneyOwedView[];
  @ApiProperty({ type: [ExportedAppealView], description: 'Your appeals of freezes and their decisions' })
  appeals!: ExportedAppealView[];
  @ApiProperty({ type: [ExportedNotificationView] }) notifications!: ExportedNotificationView[];
  @ApiProperty({ type: [ExportedPayoutView], description: 'Payouts of your earnings' })
  payouts!: ExportedPayoutView[];
  @ApiProperty({ type: [ExportedWebhookEndpointView], description: 'Never their signing secrets' })
  webhookEndpoints!: ExportedWebhookEndpointView[];
}
