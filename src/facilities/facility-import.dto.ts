import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { OneLine } from '../common/http/text';
import { CreateFacilityInput } from './facility.dto';
import { IsOmittable } from '../common/http/validators';

/** The most rows one import takes (a lab with 300 instruments sends one file). */
export const MAX_IMPORT_ROWS = 2000;

export class ImportFacilityRow extends CreateFacilityInput {
  @ApiProperty({ example: 'SEM-02', description: 'the provider’s own reference: importing it again updates that facility' })
  @IsString()
  @Length(1, 100)
  @Matches(/^\S(.*\S)?$/, { message: 'externalRef must not be blank or start or end with spaces', context: { catalogue: 'trimmed' } })
  @OneLine()
  externalRef: string;
}

/** The JSON form, validated whole like any body (400 naming `rows.3.unitPriceFen`); a CSV file is checked row by row. */
export class ImportFacilitiesInput {
  @ApiProperty({ type: [ImportFacilityRow], maxItems: MAX_IMPORT_ROWS, description: 'or the same rows as text/csv' })
  @IsArray()
  @ArrayMaxSize(MAX_IMPORT_ROWS)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => ImportFacilityRow)
  rows: ImportFacilityRow[];
}

export class ImportQuery {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true: check every row and report what would happen, change nothing' })
  @IsOmittable()
  @Matches(/^(true|false)$/, { message: 'dryRun must be true or false', context: { catalogue: 'trueOrFalse' } })
  dryRun?: string;
}

export class ImportedRowView {
  @ApiProperty({ description: 'the row: its line in a CSV file (the header is line 1), its place (from 1) in JSON' }) line: number;
  @ApiProperty() externalRef: string;
  @ApiProperty({ enum: ['created', 'updated', 'unchanged'] }) action: string;
  @ApiProperty({ nullable: true, type: String, description: 'null in a dry run for a facility not created yet' }) facilityId: string | null;
}

export class FacilityImportView {
  @ApiProperty() dryRun: boolean;
  @ApiProperty() created: number;
  @ApiProperty() updated: number;
  @ApiProperty() unchanged: number;
  @ApiProperty({ type: [ImportedRowView] }) rows: ImportedRowView[];
  @ApiProperty({ type: 'array', items: { type: 'object', properties: { line: { type: 'integer' }, reason: { type: 'string' } } } })
  rejected: { line: number; reason: string }[];
}
