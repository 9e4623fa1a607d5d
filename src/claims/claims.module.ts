import { Module } from '@nestjs/common';
import { OversightModule } from '../oversight/oversight.module';
import { ClaimsController } from './claims.controller';
import { ClaimsService } from './claims.service';

@Module({ imports: [OversightModule], controllers: [ClaimsController], providers: [ClaimsService] })
export class ClaimsModule {}
