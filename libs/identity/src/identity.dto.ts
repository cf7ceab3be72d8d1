import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsIn, IsString, Length, Matches, MaxLength } from 'class-validator';
import { ROLES, type Role } from './identity.entities.js';

export class SignUpDto {
  @ApiProperty({ example: 'ada@example.com' }) @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty({ minLength: 10, maxLength: 200 }) @IsString() @Length(10, 200) password!: string;
  @ApiProperty({ example: 'ada', description: 'Public handle, 3-30 of a-z 0-9 _ -' })
  @Matches(/^[a-z0-9_-]{3,30}$/)
  handle!: string;
}

export class SignInDto {
  @ApiProperty() @IsEmail() @MaxLength(254) email!: string;
  @ApiProperty() @IsString() @Length(1, 200) password!: string;
}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'shop integration' }) @IsString() @Length(1, 100) name!: string;
}

export class RoleDto {
  @ApiProperty({ enum: ROLES }) @IsIn(ROLES) role!: Role;
}

export class RealNameDto {
  @ApiProperty() @IsString() @Length(2, 100) fullName!: string;
  @ApiProperty({ description: '18-character resident ID number; only a salted hash is kept' })
  @IsString()
  @Length(18, 18)
  idNumber!: string;
}
