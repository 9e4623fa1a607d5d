import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsNotEmptyObject, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { OrganizationInput, OrganizationView } from '../organizations/organization.dto';

export class LoginInput {
  @ApiProperty({ example: 'bureau-ah' }) @IsString() @Length(1, 64) username: string;
  @ApiProperty({ example: 'demo-pass-2026' }) @IsString() @Length(1, 200) password: string;
}

export class RegisterInput {
  @ApiProperty({ example: 'hefei-micronano', description: '3–64 characters: letters, digits, . _ -' })
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{3,64}$/, { message: 'username must be 3–64 letters, digits, dots, underscores or hyphens' })
  username: string;
  @ApiProperty({ minLength: 10, maxLength: 200 }) @IsString() @Length(10, 200) password: string;
  @ApiProperty({ enum: ['enterprise', 'provider'] }) @IsIn(['enterprise', 'provider']) role: 'enterprise' | 'provider';
  @ApiProperty({ type: OrganizationInput })
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => OrganizationInput)
  organization: OrganizationInput;
}

export class UserView {
  @ApiProperty() id: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: ['enterprise', 'provider', 'bureau', 'platform'] }) role: string;
  @ApiPropertyOptional() organizationId?: string;
  @ApiPropertyOptional() regionCode?: string;
}

export class LoginView {
  @ApiProperty() accessToken: string;
  @ApiProperty({ example: 'Bearer' }) tokenType: 'Bearer';
  @ApiProperty({ description: 'seconds' }) expiresIn: number;
  @ApiProperty({ type: UserView }) user: UserView;
}

export class RegistrationView {
  @ApiProperty({ type: UserView }) user: UserView;
  @ApiProperty({ type: OrganizationView }) organization: OrganizationView;
}
