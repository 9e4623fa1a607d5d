import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { QueryInt, IsOmittable } from '../common/http/validators';
import { REGION_CODES } from '../regions/regions.data';

export class AnnualReportQuery {
  @ApiProperty({ example: '340000', description: 'a province or city of the region list; a province’s report includes its cities' })
  @IsIn(REGION_CODES, { message: 'regionCode must be a province or city of the region list' })
  regionCode: string;

  @ApiProperty({ example: 2026, description: 'the budget year the figures belong to' })
  @QueryInt()
  @IsInt({ message: 'year must be a whole year such as 2026' })
  @Min(2000, { message: 'year must be 2000 or later' })
  @Max(2100, { message: 'year must be 2100 or earlier' })
  year: number;

  @ApiPropertyOptional({ enum: ['pdf', 'csv'], default: 'pdf', description: 'pdf (Chinese, with charts) or csv (the same figures)' })
  @IsOmittable()
  @IsIn(['pdf', 'csv'], { message: 'format must be pdf or csv' })
  format?: 'pdf' | 'csv';
}
