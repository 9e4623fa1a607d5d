import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/decorators';
import { REGIONS } from './regions.data';
import { Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

class RegionView {
  @ApiProperty({ example: '340100' }) code: string;
  @ApiProperty({ example: '合肥市' }) name: string;
  @ApiProperty({ enum: ['province', 'city'] }) level: string;
  @ApiProperty({ type: String, nullable: true, example: '340000' }) parentCode: string | null;
}

@ApiTags('regions')
@Controller('regions')
export class RegionsController {
  @Get()
  @Explained({
    summary: 'The regions of the Yangtze River Delta (长三角): provinces and cities with their codes',
    who: 'Anyone, without a token.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Public()
  @ApiOkResponse({ type: [RegionView] })
  list(): RegionView[] {
    return REGIONS;
  }
}
