import { Injectable } from '@nestjs/common';
import { securityClock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { catalogued } from '../common/errors/domain-error';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy } from '../common/use-case';
import { Notifier } from '../notifications/notifier';
import { MfaSetupView } from './auth.dto';
import { MadeByUser } from './made-by-user';
import { MfaSecrets } from './mfa-secrets';
import { SessionRepository } from './session.repository';
import { UserRepository } from './user.repository';

/** Two-factor enrolment: a secret is set up, then enabled by a first correct code. */
@Injectable()
export class MfaService {
  static readonly setupRefusals = ['INVALID_STATE'] as const;
  static readonly enableRefusals = ['INVALID_STATE', 'MFA_INVALID'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
    private readonly secrets: MfaSecrets,
    private readonly sessions: SessionRepository,
    private readonly notifier: Notifier,
    private readonly madeByUser: MadeByUser,
  ) {}

  setup(actor: Actor): Promise<Outcome<MfaSetupView>> {
    return this.uow.run(async () => {
      // The user's row, locked, then the session again: a reset of the sign-in (or a password change) committed since
      // the request was let in ended its session, and a secret written after it would be waiting for whoever sent it.
      await this.users.lock(actor.userId);
      if (!(await this.sessions.live(actor.sessionId))) throw catalogued('UNAUTHENTICATED', 'auth.sessionEnded');
      const setup = this.secrets.generate(actor.username);
      if (!(await this.users.setPendingMfa(actor.userId, this.secrets.encrypt(setup.secret)))) {
        return refusedBy(catalogued('INVALID_STATE', 'mfa.alreadyEnabled'));
      }
      this.uow.record(entry(actor, 'auth.mfa_setup'));
      return ok(setup);
    });
  }

  enable(actor: Actor, otp: string): Promise<Outcome<void>> {
    return this.uow.run(async () => {
      const user = (await this.users.lock(actor.userId))!;
      if (user.mfaEnabledAt) return refusedBy(catalogued('INVALID_STATE', 'mfa.alreadyEnabled'));
      if (!user.mfaSecret) return refusedBy(catalogued('INVALID_STATE', 'mfa.setupFirst'));
      const step = this.secrets.verify(this.secrets.decrypt(user.mfaSecret), otp);
      if (step === null) return refusedBy(catalogued('MFA_INVALID', 'auth.mfaInvalid'));
      const now = securityClock.iso();
      await this.users.enableMfa(user.id, now, step);
      // The user's other sessions began with the password alone: whoever else holds one (a stolen password is why
      // people enrol) would otherwise keep it, now counted as two-factor. Only the session that gave the code stays.
      const ended = await this.sessions.revokeAllOf(user.id, now, 'mfa_enabled', actor.sessionId);
      // So do the API keys and webhooks made with the password alone (whoever held it may have made them), and the
      // first approvals given through those keys or in the sessions that end, or ended before.
      const { ended: made, madeEnded } = await this.madeByUser.endOutside(user, actor.sessionId, 'auth.mfa_enabled');
      this.uow.record({
        ...entry(actor, 'auth.mfa_enabled'),
        summary: { username: actor.username, otherSessionsEnded: ended, ...made },
      });
      // Whoever else held the password may be the one enrolling: the owner hears of it by mail, and asks for a reset.
      await this.notifier.toUser(user.id, 'mfa_enabled', now, { madeEnded });
      return ok(undefined);
    });
  }
}

const entry = (actor: Actor, action: string) => ({
  action,
  entityType: 'user',
  entityId: actor.userId,
  regionCode: actor.regionCode,
  organizationId: actor.organizationId,
  summary: { username: actor.username },
});
