import { Inject, Injectable, Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { AuthService } from '../auth/auth.service';
import { Credentials } from '../auth/credentials';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { UserRepository } from '../auth/user.repository';
import { BudgetRepository } from '../budgets/budget.repository';
import { BudgetsService } from '../budgets/budgets.service';
import { clock } from '../common/clock';
import { Actor, requestContext } from '../common/context/request-context';
import { unwrap } from '../common/use-case';
import { appConfig, AppConfig, databaseConfig, DatabaseConfig } from '../config/configuration';
import { CreateFacilityInput } from '../facilities/facility.dto';
import { FacilitiesService } from '../facilities/facilities.service';
import { makeCreditCode } from '../organizations/credit-code';
import { OrganizationRepository } from '../organizations/organization.repository';
import { OrganizationsService } from '../organizations/organizations.service';
import { PoliciesService } from '../policies/policies.service';
import { PolicyRepository } from '../policies/policy.repository';
import { CreatePolicyInput } from '../policies/policy.dto';
import { ApplyForVoucher } from '../vouchers/use-cases/apply-for-voucher';
import { DEMO_BOOKING_ENTERPRISE, DEMO_BOOKINGS, DEMO_BUDGETS, DEMO_ENTERPRISES, DEMO_POLICIES, DEMO_PROVIDERS } from './demo-world';
import { DateTime } from 'luxon';
import { BookingRepository } from '../bookings/booking.repository';
import { CalendarInput } from '../bookings/booking.dto';
import { CalendarsService } from '../bookings/calendars.service';
import { BookSlot } from '../bookings/use-cases/book-slot';
import { ZONE } from '../bookings/booking.rules';
import { FacilityRepository } from '../facilities/facility.repository';
import { VoucherRepository } from '../vouchers/voucher.repository';
import { counted } from '../common/i18n/plural';

/** The four provincial bureaus and the coordination office, as API.md names them. */
export const STAFF: { username: string; role: 'bureau' | 'platform'; regionCode: string | null; admin: boolean }[] = [
  { username: 'bureau-sh', role: 'bureau', regionCode: '310000', admin: true },
  { username: 'bureau-js', role: 'bureau', regionCode: '320000', admin: true },
  { username: 'bureau-zj', role: 'bureau', regionCode: '330000', admin: true },
  { username: 'bureau-ah', role: 'bureau', regionCode: '340000', admin: true },
  { username: 'platform', role: 'platform', regionCode: null, admin: true },
  // A second reviewer per bureau, for maker-checker (双人复核): not an admin.
  { username: 'bureau-sh-2', role: 'bureau', regionCode: '310000', admin: false },
  { username: 'bureau-js-2', role: 'bureau', regionCode: '320000', admin: false },
  { username: 'bureau-zj-2', role: 'bureau', regionCode: '330000', admin: false },
  { username: 'bureau-ah-2', role: 'bureau', regionCode: '340000', admin: false },
];

/** The seed registers as a client of its own, so it never meets the per-address registration limit of real clients. */
const SEED_CLIENT = { ip: 'seed', userAgent: 'seed' };

const BUREAU_OF_PROVINCE: Record<string, string> = { '31': 'bureau-sh', '32': 'bureau-js', '33': 'bureau-zj', '34': 'bureau-ah' };

/** Seeds as code: every demo record goes through the same services (ledger, audit) as a real request. */
@Injectable()
export class SeedService {
  private readonly logger = new Logger(SeedService.name);

  constructor(
    private readonly users: UserRepository,
    private readonly policyRows: PolicyRepository,
    private readonly budgetRows: BudgetRepository,
    private readonly organizationRows: OrganizationRepository,
    private readonly auth: AuthService,
    private readonly credentials: Credentials,
    private readonly uow: UnitOfWork,
    private readonly organizations: OrganizationsService,
    private readonly policies: PoliciesService,
    private readonly budgets: BudgetsService,
    private readonly facilities: FacilitiesService,
    private readonly applyForVoucher: ApplyForVoucher,
    private readonly calendars: CalendarsService,
    private readonly bookSlot: BookSlot,
    private readonly bookingRows: BookingRepository,
    private readonly facilityRows: FacilityRepository,
    private readonly voucherRows: VoucherRepository,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
    @Inject(databaseConfig.KEY) private readonly db: DatabaseConfig,
  ) {}

  /** Embedded default: a newcomer's first start serves demo data. Never in production. */
  async seedOnFirstStart(): Promise<void> {
    const wanted = this.app.seedDemo === 'always' || (this.app.seedDemo === 'auto' && this.db.type === 'sqlite');
    if (!wanted || this.app.nodeEnv === 'production') return;
    if (await this.users.any()) return;
    await this.seed();
  }

  /** Idempotent: creates whatever of the demo world is missing. */
  async seed(): Promise<void> {
    if (this.app.nodeEnv === 'production') throw new Error('refusing to seed demo users with NODE_ENV=production');
    await this.seedStaff();
    await this.seedPoliciesAndBudgets();
    await this.seedOrganizations();
    await this.seedBookings();
    this.logger.log(
      `demo world ready: bureau-sh/js/zj/ah, platform, ${counted(DEMO_ENTERPRISES.length, 'enterprise')}, ${counted(DEMO_PROVIDERS.length, 'provider')} (password from DEMO_PASSWORD)`,
    );
  }

  /** A few bookings of the demo instruments by the Suzhou SME on a voucher of its own, once: only when it has none. */
  private async seedBookings(): Promise<void> {
    const { username, voucherFen, purpose } = DEMO_BOOKING_ENTERPRISE;
    const enterprise = (await this.users.byUsername(username))?.organizationId;
    if (!enterprise) return;
    if ((await this.bookingRows.list({ organizationId: enterprise }, { limit: 1, offset: 0 })).total > 0) return;
    const scope = { organizationId: enterprise };
    let voucher = (await this.voucherRows.list(scope, { status: 'active', limit: 1, offset: 0 })).items[0];
    if (!voucher) {
      await this.as(username, async (actor) => unwrap(await this.applyForVoucher.execute({ actor, amountFen: voucherFen, purpose })));
      voucher = (await this.voucherRows.list(scope, { status: 'active', limit: 1, offset: 0 })).items[0];
    }
    const facilities = await this.facilityRows.search({ limit: 500, offset: 0 }, clock.iso(), clock.today());
    for (const b of DEMO_BOOKINGS) {
      const facility = facilities.items.find((f) => f.facility.name === b.facility)?.facility;
      if (!facility || !voucher) continue;
      const start = DateTime.fromMillis(clock.now().getTime(), { zone: ZONE }).startOf('day').plus({ days: b.days, hours: b.hour });
      await this.as(username, async (actor) =>
        unwrap(
          await this.bookSlot.execute({
            actor,
            facilityId: facility.id,
            voucherId: voucher.id,
            start: start.toISO()!,
            end: start.plus({ hours: b.hours }).toISO()!,
          }),
        ),
      );
    }
  }

  async seedStaff(): Promise<void> {
    for (const s of STAFF) {
      if (await this.users.byUsername(s.username)) continue;
      const passwordHash = await this.credentials.hash(this.app.demoPassword);
      await this.uow.run(() => this.auth.createUser({ ...s, passwordHash, organizationId: null }));
    }
  }

  private async as<T>(username: string, work: (actor: Actor) => Promise<T>): Promise<T> {
    const user = (await this.users.byUsername(username))!;
    const actor: Actor = {
      userId: user.id,
      username,
      role: user.role,
      organizationId: user.organizationId,
      regionCode: user.regionCode,
      sessionId: 'seed',
      admin: user.admin,
      mfaEnabled: user.mfaEnabledAt !== null,
    };
    return requestContext.run({ actor }, () => work(actor));
  }

  private async seedPoliciesAndBudgets(): Promise<void> {
    const year = clock.year();
    for (const p of DEMO_POLICIES) {
      const bureau = BUREAU_OF_PROVINCE[p.regionCode.slice(0, 2)];
      if (!(await this.policyRows.anyOf(p.regionCode))) {
        await this.as(bureau, (actor) =>
          this.policies.publish(actor, plainToInstance(CreatePolicyInput, { ...p, effectiveFrom: clock.today() })).then(unwrap),
        );
      }
    }
    for (const [regionCode, totalFen] of DEMO_BUDGETS) {
      if (await this.budgetRows.get(regionCode, year)) continue;
      await this.as(BUREAU_OF_PROVINCE[regionCode.slice(0, 2)], async (actor) =>
        unwrap(await this.budgets.setBudget(actor, regionCode, year, totalFen)),
      );
    }
  }

  private async seedOrganizations(): Promise<void> {
    for (const [role, orgs] of [
      ['enterprise', DEMO_ENTERPRISES],
      ['provider', DEMO_PROVIDERS],
    ] as const) {
      for (const o of orgs) {
        const creditCode = makeCreditCode(o.region, o.body, role === 'provider' ? '12' : '91');
        if (await this.organizationRows.byCreditCode(creditCode)) continue;
        const { organization } = unwrap(
          await this.auth.register(
            { username: o.username, password: this.app.demoPassword, role, organization: { name: o.name, creditCode, kind: o.kind } },
            SEED_CLIENT,
          ),
        );
        // Its bank account on file as if given at registration (no profile change to tell its users of): a payee without
        // one is left out of a settlement batch, and every demo organization may be a payee.
        const filed = await this.uow.run(() => this.organizationRows.updateProfile(organization.id, o.bank, clock.iso()));
        if (filed !== 'updated') throw new Error(`demo account of ${o.name} is another organization's`);
        if (role === 'provider') {
          await this.as(BUREAU_OF_PROVINCE[o.region.slice(0, 2)], async (actor) =>
            unwrap(await this.organizations.admit(actor, organization.id, 0)),
          );
          for (const { calendar, ...f } of o.facilities ?? [])
            await this.as(o.username, async (actor) => {
              const created = unwrap(await this.facilities.create(actor, plainToInstance(CreateFacilityInput, f)));
              if (calendar)
                unwrap(await this.calendars.set(actor, created.id, plainToInstance(CalendarInput, { ...calendar, closures: [] })));
            });
        } else {
          // Demo enterprises are verified by their home province, as if on its list of 科技型中小企业.
          await this.as(BUREAU_OF_PROVINCE[o.region.slice(0, 2)], async (actor) =>
            unwrap(await this.organizations.verify(actor, organization.id, `DEMO-${creditCode.slice(8, 17)}`)),
          );
          if (o.username === 'hefei-micronano') {
            // One voucher ready to spend: the Hefei SME's, auto-approved under Hefei's policy.
            await this.as(o.username, async (actor) =>
              unwrap(await this.applyForVoucher.execute({ actor, amountFen: 4_000_000, purpose: '透射电镜表征新型电池正极材料' })),
            );
          }
        }
      }
    }
  }
}
