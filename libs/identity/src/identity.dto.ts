import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsIn, IsString, Length, Matches, MaxLength } from 'class-validator';
import { CREATOR_STATUSES, ROLES, type Role } from './identity.entities.js';
import type * as service from './identity.service.js';

/** Text people type: no control characters (NUL, newlines, escapes). */
const PRINTABLE = /^[^\p{Cc}]*$/u;
const PRINTABLE_MESSAGE = '$property must not contain control characters';

export class SignUpDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 }) @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty({ minLength: 10, maxLength: 200 })
  @IsString()
  @Length(10, 200)
  @Matches(PRINTABLE, { message: PRINTABLE_MESSAGE })
  password!: string;
  @ApiProperty({ example: 'ada', description: 'Public handle, 3-30 of a-z 0-9 _ -' })
  @Matches(/^[a-z0-9_-]{3,30}$/)
  handle!: string;
}

export class SignInDto {
  @ApiProperty({ maxLength: 254 }) @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty({ minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @Matches(PRINTABLE, { message: PRINTABLE_MESSAGE })
  password!: string;
}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'shop integration', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  @Matches(PRINTABLE, { message: PRINTABLE_MESSAGE })
  name!: string;
}

export class RoleDto {
  @ApiProperty({ enum: ROLES }) @IsIn(ROLES) role!: Role;
}

export class RealNameDto {
  @ApiProperty({ minLength: 2, maxLength: 100 })
  @IsString()
  @Length(2, 100)
  @Matches(PRINTABLE, { message: PRINTABLE_MESSAGE })
  fullName!: string;
  @ApiProperty({
    description: '18-character resident ID number; only a keyed digest of it is kept',
    minLength: 18,
    maxLength: 18,
  })
  @IsString()
  @Length(18, 18)
  idNumber!: string;
}

/** What an IdentityService method answers (one item, for lists): views implement it, so they cannot drift. */
type Answer<
  K extends keyof service.IdentityService,
  Item = Awaited<ReturnType<service.IdentityService[K]>>,
> = Item extends readonly (infer One)[] ? One : Item;

export class AccountView implements service.AccountView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'ada@example.com',
    description: 'Null once the account is deleted',
  })
  email!: string | null;
  @ApiProperty({ example: 'ada' }) handle!: string;
  @ApiProperty({ enum: ROLES, isArray: true, example: ['collector'] }) roles!: Role[];
  @ApiProperty({
    enum: CREATOR_STATUSES,
    description:
      'pending: applied to become a creator; approved: holds the creator role; rejected: an operator ' +
      'declined the application (see creatorRejectionReason); the account may apply again',
  })
  creatorStatus!: service.AccountView['creatorStatus'];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why the application was rejected, while rejected',
  })
  creatorRejectionReason!: string | null;
  @ApiProperty({
    description: 'Frozen by the platform: the account may sign in and read, but every write answers 403',
  })
  frozen!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class SignInView implements Answer<'signIn'> {
  @ApiProperty({ description: 'Bearer token `hls_…`; shown only here, send it as `Authorization: Bearer …`' })
  token!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ type: () => AccountView }) account!: AccountView;
}

export class SessionView implements Answer<'listSessions'> {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}

export class ApiKeyView implements Answer<'listApiKeys'> {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'shop integration' }) name!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class IssuedApiKeyView implements Answer<'createApiKey'> {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'shop integration' }) name!: string;
  @ApiProperty({ description: 'The secret `hlk_…`, shown only in this answer; it is stored hashed' })
  key!: string;
}

export class RealNameView implements Answer<'verifyRealName'> {
  @ApiProperty({ enum: ['verified'], description: 'A refused name and number answer 422 instead' })
  status!: string;
}
