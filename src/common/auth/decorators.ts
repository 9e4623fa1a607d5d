import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { Actor, Role } from '../context/request-context';

export const PUBLIC_KEY = 'auth:public';
export const ROLES_KEY = 'auth:roles';

/** No token needed (login, registration, health, regions, facility search, voucher verification). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** A valid token whose role is one of `roles`; scope is then checked by the service against the record. */
export const Authenticated = (...roles: Role[]) => applyDecorators(SetMetadata(ROLES_KEY, roles), ApiBearerAuth());

export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => ctx.switchToHttp().getRequest().user);
