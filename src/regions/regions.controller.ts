import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/decorators';
import { REGIONS } from './regions.data';

class RegionView {
  @ApiProperty({ example: '340100' }) code: string;
  @ApiProperty({ example: '合肥市' }) name: string;
  @ApiProperty({ enum: ['province', 'city'] }) level: string;
  @ApiProperty({ nullable: true, example: '340000' }) parentCode: string | null;
}

@ApiTags('regions')
@Controller('regions')
export class RegionsController {
  @Get()
  @Public()
  @ApiOkResponse({ type: [RegionView] })
  list(): RegionView[] {
    return REGIONS;
  }
}
