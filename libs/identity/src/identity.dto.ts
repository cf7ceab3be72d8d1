import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsIn, IsString, Length, Matches, MaxLength } from 'class-validator';
import { ROLES, type Role } from './identity.entities.js';

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
