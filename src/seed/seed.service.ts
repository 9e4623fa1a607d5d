import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthService } from '../auth/auth.service';
import { User } from '../auth/user.entity';
import { TransactionService } from '../common/database/transaction.service';
import { appConfig, AppConfig, databaseConfig, DatabaseConfig } from '../config/configuration';

/** The four provincial bureaus and the coordination office, as API.md names them. */
export const STAFF: { username: string; role: 'bureau' | 'platform'; regionCode: string | null }[] = [
  { username: 'bureau-sh', role: 'bureau', regionCode: '310000' },
  { username: 'bureau-js', role: 'bureau', regionCode: '320000' },
  { username: 'bureau-zj', role: 'bureau', regionCode: '330000' },
  { username: 'bureau-ah', role: 'bureau', regionCode: '340000' },
  { username: 'platform', role: 'platform', regionCode: null },
];

@Injectable()
export class SeedService {
  private readonly logger = new Logger(SeedService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tx: TransactionService,
    private readonly auth: AuthService,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
    @Inject(databaseConfig.KEY) private readonly db: DatabaseConfig,
  ) {}

  /** Embedded default: a newcomer's first start serves demo data. Never in production. */
  async seedOnFirstStart(): Promise<void> {
    const wanted = this.app.seedDemo === 'always' || (this.app.seedDemo === 'auto' && this.db.type === 'sqlite');
    if (!wanted || this.app.nodeEnv === 'production') return;
    if ((await this.dataSource.getRepository(User).count()) > 0) return;
    await this.seed();
  }

  /** Idempotent: creates whatever of the demo world is missing. */
  async seed(options: { world?: boolean } = {}): Promise<void> {
    if (this.app.nodeEnv === 'production') throw new Error('refusing to seed demo users with NODE_ENV=production');
    await this.seedStaff();
    if (options.world ?? true) this.logger.log('demo world seeded');
  }

  async seedStaff(): Promise<void> {
    for (const s of STAFF) {
      if (await this.dataSource.getRepository(User).existsBy({ username: s.username })) continue;
      await this.tx.run((em) => this.auth.createStaffUser(em, s.username, this.app.demoPassword, s.role, s.regionCode));
    }
  }
}
