import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { PageQuery } from '../common/http/paging';
import { OneLine } from '../common/http/text';
import { IsCreditCode } from '../organizations/organization.dto';
import { PartyRelation } from './party-relation.entity';
import { IsOmittable } from '../common/http/validators';

export class RecordRelationInput {
  @ApiProperty({ example: '91340100MA2T8XQ21W' }) @IsCreditCode() creditCodeA: string;
  @ApiProperty({ example: '91310115MA1K4B2Y3P' }) @IsCreditCode() creditCodeB: string;
  @ApiProperty({ example: '法定代表人为同一人', minLength: 1, maxLength: 500, description: 'what the bureau found' })
  @IsString()
  @Length(1, 500)
  @OneLine()
  reason: string;
}

export class RelationQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'relations of this credit code' }) @IsOmittable() @IsCreditCode() creditCode?: string;
}

export class RelationView {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'the lower of the two codes' }) creditCodeA: string;
  @ApiProperty() creditCodeB: string;
  @ApiProperty() reason: string;
  @ApiProperty({ description: 'the bureau that recorded it' }) recordedRegionCode: string;
  @ApiProperty() createdAt: string;

  static of(r: PartyRelation): RelationView {
    return {
      id: r.id,
      creditCodeA: r.codeA,
      creditCodeB: r.codeB,
      reason: r.reason,
      recordedRegionCode: r.recordedRegionCode,
      createdAt: r.createdAt,
    };
  }
}

export class RelationPage {
  @ApiProperty({ type: [RelationView] }) items: RelationView[];
  @ApiProperty() total: number;
}
