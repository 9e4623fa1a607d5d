import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import { Actor, Role } from '../context/request-context';
import { headerOf, HttpRequest } from '../http/http-neutral';
import { printable } from '../http/text';

export const PUBLIC_KEY = 'auth:public';
export const ROLES_KEY = 'auth:roles';
export const ENROLMENT_KEY = 'auth:mfa-enrolment';
export const ACCOUNT_KEY = 'auth:account';

/** No token needed (login, registration, health, regions, facility search, voucher verification). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** A valid token whose role is one of `roles`; scope is then checked by the service against the record. */
export const Authenticated = (...roles: Role[]) =>
  applyDecorators(SetMetadata(ROLES_KEY, roles), ApiBearerAuth(), ...(roles.length ? [ApiExtension('x-roles', roles)] : []));

/** Open to staff who have not enrolled two-factor yet although MFA_REQUIRED asks them to (enrolment, logout, me). */
export const AllowsMfaEnrolment = () => SetMetadata(ENROLMENT_KEY, true);

/**
 * Routes about a person's own account (sign-in, users, API keys), which a machine credential has none of. Marked on the
 * route rather than matched on the path, so that no spelling of the URL (`/api/%61uth/me`) gets an API key past it.
 */
export const PersonalAccount = () => SetMetadata(ACCOUNT_KEY, true);

export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => ctx.switchToHttp().getRequest().user);

/** The client's address (as the adapter's trust-proxy setting sees it) and user agent, for throttling and the audit log. */
export const ClientInfo = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  const req = ctx.switchToHttp().getRequest<HttpRequest>();
  const userAgent = headerOf(req, 'user-agent');
  return { ip: req.ip ?? req.socket?.remoteAddress ?? 'unknown', userAgent: userAgent === undefined ? null : printable(userAgent, 200) };
});
