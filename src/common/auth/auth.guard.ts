import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard as PassportAuthGuard } from '@nestjs/passport';
import { API_KEY_PREFIX, ApiKeysService } from '../../api-keys/api-keys.service';
import { authConfig, AuthConfig } from '../../config/configuration';
import { Actor, requestContext, Role } from '../context/request-context';
import { catalogued, DomainError } from '../errors/domain-error';
import { HttpReply, HttpRequest } from '../http/http-neutral';
import { Language, translate } from '../i18n/messages';
import { ACCOUNT_KEY, ENROLMENT_KEY, PUBLIC_KEY, ROLES_KEY } from './decorators';

/** Which roles may call the route, and the caller's own, in the caller's language. */
function rolesRefusal(roles: Role[], role: Role): DomainError {
  const say = (lng: Language) =>
    translate(lng, 'forbiddenRoles', {
      roles: roles.map((r) => translate(lng, `roles.${r}`)).join(translate(lng, 'or')),
      role: translate(lng, `roles.${role}`),
    });
  return new DomainError('FORBIDDEN', say('en'), { localized: say });
}
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Global guard: every route needs a valid token of a live session, or a live API key (`Bearer yrdk_…`), unless marked
 * @Public(); a route's @Authenticated(roles) narrows the roles. An API key acts with its organization's or bureau's
 * role and scope, is refused the @PersonalAccount() routes, and a read-only one every method but GET. With
 * MFA_REQUIRED, bureau and platform users without two-factor reach only the routes that enrol it. The caller becomes the request context's actor (audit, idempotency scope).
 */
@Injectable()
export class AuthGuard extends PassportAuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
    private readonly apiKeys: ApiKeysService,
  ) {
    super();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets);
    const req = context.switchToHttp().getRequest();
    const bearer = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer?.startsWith(API_KEY_PREFIX)) return this.byApiKey(context, req, bearer, isPublic, targets);
    if (isPublic) {
      // A public route still knows its caller when a valid token is offered.
      if (req.headers.authorization) await (super.canActivate(context) as Promise<boolean>).catch(() => false);
      this.remember(req.user);
      return true;
    }
    await super.canActivate(context);
    // What a signed-in caller reads (its records, its documents) is never kept by a browser or a proxy.
    context.switchToHttp().getResponse<HttpReply>().header('Cache-Control', 'no-store');
    const actor: Actor = req.user;
    const roles = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? [];
    if (roles.length > 0 && !roles.includes(actor.role)) throw rolesRefusal(roles, actor.role);
    const staff = actor.role === 'bureau' || actor.role === 'platform';
    if (this.config.mfaRequired && staff && !actor.mfaEnabled && !this.reflector.getAllAndOverride<boolean>(ENROLMENT_KEY, targets)) {
      throw catalogued('FORBIDDEN', 'mfa.enrolFirst');
    }
    this.remember(actor);
    return true;
  }

  private async byApiKey(
    context: ExecutionContext,
    req: HttpRequest & { user?: Actor },
    key: string,
    isPublic: boolean,
    targets: ReturnType<ExecutionContext['getHandler']>[],
  ): Promise<boolean> {
    const actor = await this.apiKeys.authenticate(key);
    if (!actor) {
      if (isPublic) return true;
      throw catalogued('UNAUTHENTICATED', 'apiKeys.unknown');
    }
    req.user = actor;
    context.switchToHttp().getResponse<HttpReply>().header('Cache-Control', 'no-store');
    if (!READS.has(req.method) && actor.apiKey?.readOnly) throw catalogued('FORBIDDEN', 'apiKeys.readOnly');
    if (!isPublic) {
      if (this.reflector.getAllAndOverride<boolean>(ACCOUNT_KEY, targets)) throw catalogued('FORBIDDEN', 'apiKeys.personalAccount');
      const roles = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? [];
      if (roles.length > 0 && !roles.includes(actor.role)) throw rolesRefusal(roles, actor.role);
    }
    this.remember(actor);
    return true;
  }

  handleRequest<T>(err: unknown, user: T): T {
    // A token that does not verify comes as no user; an error is the session check failing (the database out of
    // reach), answered as what it is (503), not as a bad token.
    if (err) throw err as Error;
    if (!user) throw new DomainError('UNAUTHENTICATED', 'a valid bearer token of a live session is required');
    return user;
  }

  /** The caller, for audit entries, idempotency scope and the request's log line. */
  private remember(actor: Actor | undefined) {
    const store = requestContext.getStore();
    if (store && actor) store.actor = actor;
  }
}
