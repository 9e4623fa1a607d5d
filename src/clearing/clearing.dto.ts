import { ApiProperty } from '@nestjs/swagger';
import { IsCalendarDate } from '../common/http/validators';

export class ClearingQuery {
  @ApiProperty({ example: '2026-04-01', description: 'first day (UTC) of payments taken in' }) @IsCalendarDate() from: string;
  @ApiProperty({ example: '2026-06-30', description: 'last day (UTC) of payments taken in, inclusive' }) @IsCalendarDate() to: string;
}

export class FlowView {
  @ApiProperty({ example: '340000', description: 'the issuing province, which pays' }) fromProvinceCode: string;
  @ApiProperty({ example: '310000', description: 'the payee’s province, which receives' }) toProvinceCode: string;
  @ApiProperty() amountFen: number;
}

export class NetPositionView {
  @ApiProperty() provinceCode: string;
  @ApiProperty({ description: 'received − paid; the positions sum to zero' }) netFen: number;
}

export class ClearingView {
  @ApiProperty() from: string;
  @ApiProperty() to: string;
  @ApiProperty({ type: [FlowView], description: 'paid cross-province lines summed per issuer province → payee province' })
  gross: FlowView[];
  @ApiProperty({ type: [NetPositionView] }) net: NetPositionView[];
  @ApiProperty({ type: [FlowView], description: 'at most n−1 transfers that settle every net position' }) transfers: FlowView[];
}
