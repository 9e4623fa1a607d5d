import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, Length } from 'class-validator';
import { HasVisibleText, NoBidiControls } from '../common/http/text';
import { IsCalendarDate, IsOmittable, QueryBoolean } from '../common/http/validators';
import { PageQuery } from '../common/http/paging';
import { PROVINCE_CODES } from '../regions/regions.data';
import { PROPOSAL_STATUSES, type ProposalStatus } from './clearing-run.entity';

const CATCH_UP =
  'take in too the uncleared lines paid before `from` on days no standing run covers (a period never recorded, or a voided run’s); without it such lines are 422 UNCLEARED_BEFORE_PERIOD naming the first such day';
const RUN_NO = 'the run’s readable number, fixed when it was recorded: the platform’s count of runs in that Beijing year';

export class ClearingQuery {
  @ApiProperty({ example: '2026-04-01', description: 'first day (Beijing time) of payments taken in' }) @IsCalendarDate() from: string;
  @ApiProperty({ example: '2026-06-30', description: 'last day (Beijing time) of payments taken in, inclusive' })
  @IsCalendarDate()
  to: string;
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

export class CreateClearingRunInput {
  @ApiProperty({ example: '2026-04-01', description: 'first day (Beijing time) of payments taken in' }) @IsCalendarDate() from: string;
  @ApiProperty({ example: '2026-06-30', description: 'last day (Beijing time) of payments taken in, inclusive; today at the latest' })
  @IsCalendarDate()
  to: string;
  @ApiPropertyOptional({
    default: false,
    example: false,
    description: CATCH_UP,
  })
  @IsOmittable()
  @IsBoolean()
  catchUp?: boolean;
}

/** The preview's query: the period, and catchUp as POST takes it. */
export class ClearingPreviewQuery extends ClearingQuery {
  @ApiPropertyOptional({
    default: false,
    example: false,
    description: CATCH_UP,
  })
  @IsOptional()
  @QueryBoolean()
  catchUp?: boolean;
}

export class ClearingRunView extends ClearingView {
  @ApiProperty({ description: 'the run’s immutable id' }) id: string;
  @ApiProperty({ example: 'QS-2026-0003', description: RUN_NO }) runNo: string;
  @ApiProperty({ description: 'Σ gross flows' }) grossTotalFen: number;
  @ApiProperty({ description: 'Σ transfers: what moves between treasuries after netting' }) transferTotalFen: number;
  @ApiProperty({ description: 'SHA-256 (hex) of the run’s CSV (GET /api/clearing-runs/{id}/entries.csv), fixed when it was recorded' })
  csvSha256: string;
  @ApiProperty() createdBy: string;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional({
    description: 'when the run was voided (POST /api/clearing-runs/{id}/void); its lines went back to be cleared again',
  })
  voidedAt?: string;
  @ApiPropertyOptional({ description: 'who voided it: never who recorded it' }) voidedBy?: string;
  @ApiPropertyOptional({ description: 'why it was voided' }) voidReason?: string;
}

export class VoidClearingRunInput {
  @ApiProperty({ example: '期间填错：应为第二季度', maxLength: 500 })
  @IsString()
  @Length(1, 500)
  @NoBidiControls()
  @HasVisibleText(1)
  reason: string;
}

/** A run not recorded: what POST /api/clearing-runs would record for the period if made at `computedAt`. */
export class ClearingRunPreview extends ClearingView {
  @ApiProperty({ description: 'Σ gross flows' }) grossTotalFen: number;
  @ApiProperty({ description: 'Σ transfers: what would move between treasuries after netting' }) transferTotalFen: number;
  @ApiProperty({ description: 'the paid cross-province settlement lines the run would take in: those no run took in yet, paid up to `to`' })
  lineCount: number;
  @ApiProperty({ description: 'of them, the lines paid before `from` that no earlier run took in, which the run would catch up' })
  caughtUpLineCount: number;
  @ApiProperty({ description: 'what the caught-up lines add up to, in fen (part of the gross flows)' }) caughtUpFen: number;
  @ApiProperty({ description: 'the instant the preview was computed; a batch paid after it goes into the run recorded after it' })
  computedAt: string;
}

/**
 * A clearing run proposed for a second person's confirmation (CLEARING_TWO_PERSON=true): recorded nowhere yet, with no
 * number; confirmed, it is the run of the same id.
 */
export class ClearingRunProposalView {
  @ApiProperty({ description: 'the proposal’s id: the run’s once confirmed' }) id: string;
  @ApiProperty({ enum: PROPOSAL_STATUSES, description: 'proposed until another platform person confirms it, or it is discarded' })
  status: ProposalStatus;
  @ApiProperty() from: string;
  @ApiProperty() to: string;
  @ApiProperty({ description: CATCH_UP }) catchUp: boolean;
  @ApiProperty({ description: 'Σ gross flows as proposed' }) grossTotalFen: number;
  @ApiProperty({ description: 'Σ transfers as proposed' }) transferTotalFen: number;
  @ApiProperty({ description: 'the settlement lines the run would take in; a confirmation taking in others is 409 INVALID_STATE' })
  lineCount: number;
  @ApiProperty() proposedBy: string;
  @ApiProperty() proposedAt: string;
  @ApiPropertyOptional({ type: [FlowView], description: 'the gross flows as proposed (in the answer to POST only)' }) gross?: FlowView[];
  @ApiPropertyOptional({ type: [NetPositionView], description: 'the net positions as proposed (in the answer to POST only)' })
  net?: NetPositionView[];
  @ApiPropertyOptional({ type: [FlowView], description: 'the transfers as proposed (in the answer to POST only)' }) transfers?: FlowView[];
  @ApiPropertyOptional({ description: 'who confirmed it (never its proposer) or discarded it' }) decidedBy?: string;
  @ApiPropertyOptional() decidedAt?: string;
  @ApiPropertyOptional({ description: 'why it was discarded' }) discardReason?: string;
  @ApiPropertyOptional({
    description:
      'read one (GET /api/clearing-runs/proposals/{id}) while proposed: true when the lines it would take in changed since (a confirmation is then 409), its flows left out; false when they did not, with its flows',
  })
  stale?: boolean;
}

export class ClearingProposalQuery extends PageQuery {
  @ApiPropertyOptional({ enum: PROPOSAL_STATUSES, description: 'only proposals in this status (`proposed`: those waiting for a checker)' })
  @IsOmittable()
  @IsIn(PROPOSAL_STATUSES)
  status?: ProposalStatus;
}

export class ClearingRunProposalPage {
  @ApiProperty({ type: [ClearingRunProposalView], description: 'newest first; figures as proposed, without flows' })
  items: ClearingRunProposalView[];
  @ApiProperty() total: number;
}

/** What a bureau reads of a run: its own province's side of it. */
export class ProvincePositionView {
  @ApiProperty({ description: 'the run’s id' }) id: string;
  @ApiProperty({ example: 'QS-2026-0003', description: RUN_NO }) runNo: string;
  @ApiProperty() from: string;
  @ApiProperty() to: string;
  @ApiProperty() createdAt: string;
  @ApiProperty({ example: '340000' }) provinceCode: string;
  @ApiProperty({ description: 'received − paid in the period; 0 when the province took no part' }) netFen: number;
  @ApiProperty({ description: 'gross: what its vouchers paid to labs of other provinces' }) grossPaidFen: number;
  @ApiProperty({ description: 'gross: what its labs were paid by other provinces’ vouchers' }) grossReceivedFen: number;
  @ApiProperty({ type: [FlowView], description: 'the transfers it makes' }) pays: FlowView[];
  @ApiProperty({ type: [FlowView], description: 'the transfers it receives' }) receives: FlowView[];
  @ApiPropertyOptional({ description: 'when the run was voided: its position is owed by no one, its lines go into a later run' })
  voidedAt?: string;
  @ApiPropertyOptional({ description: 'why it was voided' }) voidReason?: string;
}

export class ClearingRunPage {
  @ApiProperty({
    type: 'array',
    items: { oneOf: [{ $ref: '#/components/schemas/ClearingRunView' }, { $ref: '#/components/schemas/ProvincePositionView' }] },
    description: 'the platform reads whole runs, a province’s bureau its province’s position in each',
  })
  items: (ClearingRunView | ProvincePositionView)[];
  @ApiProperty() total: number;
}

/** Whose side of a run a document is: the platform names a province; a province's bureau reads its own (named or not). */
export class ClearingDocumentQuery {
  @ApiPropertyOptional({
    example: '340000',
    description:
      'the province whose side of the run: the platform names one (required for notice.pdf; lines.csv without it lists every line); a province’s bureau may name only its own (another is 403)',
  })
  @IsOmittable()
  @IsIn(PROVINCE_CODES, { message: '$property must be a province code of the region: 310000, 320000, 330000 or 340000' })
  province?: string;
}
