import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsString, Length } from 'class-validator';
import { OneLine } from '../common/http/text';
import type { ApiKey } from './api-key.repository';
import { IsOmittable } from '../common/http/validators';

export class CreateApiKeyInput {
  @ApiProperty({ example: '浙江科技大脑', description: 'what the key is for' }) @IsString() @Length(1, 100) @OneLine() name: string;
  @ApiPropertyOptional({ default: false, description: 'true: GET only; any other method is 403' })
  @IsOmittable()
  @IsBoolean()
  readOnly?: boolean;
}

export class ApiKeyView {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'yrdk_3fQx9aB', description: 'the key’s first characters' }) prefix: string;
  @ApiProperty() readOnly: boolean;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) lastUsedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) revokedAt: string | null;

  static of(k: ApiKey): ApiKeyView {
    return {
      id: k.id,
      name: k.name,
      prefix: k.prefix,
      readOnly: k.readOnly,
      createdAt: k.createdAt,
      lastUsedAt: k.lastUsedAt,
      revokedAt: k.revokedAt,
    };
  }
}

export class CreatedApiKeyView {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'the key, shown only in this answer: send it as `Authorization: Bearer <key>`', example: 'yrdk_…' })
  key: string;
  @ApiProperty() readOnly: boolean;
}

export class ApiKeyList {
  @ApiProperty({ type: [ApiKeyView] }) items: ApiKeyView[];
  @ApiProperty() total: number;
}
