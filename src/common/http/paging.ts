import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { QueryInt, IsOmittable } from './validators';

/** `?limit=&offset=` on every list. */
export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', default: 50, minimum: 1, maximum: 500 })
  @IsOmittable()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(500)
  limit = 50;
  @ApiPropertyOptional({ type: 'integer', default: 0, minimum: 0 })
  @IsOmittable()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  offset = 0;
}

export interface Page<T> {
  items: T[];
  total: number;
}
