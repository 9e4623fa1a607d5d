import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { Observable } from 'rxjs';
import { catalogued } from '../errors/domain-error';
import type { HttpRequest } from './http-neutral';

/** Whether a handler reads the body: a @Body() argument, or the request itself (the CSV imports read its body). */
const readsBody = new WeakMap<object, boolean>();

function bodyRead(context: ExecutionContext): boolean {
  const handler = context.getHandler();
  let reads = readsBody.get(handler);
  if (reads === undefined) {
    const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {}) as Record<string, unknown>;
    const types = Object.keys(args).map((key) => Number(key.split(':')[0]));
    reads = types.includes(RouteParamtypes.BODY) || types.includes(RouteParamtypes.REQUEST);
    readsBody.set(handler, reads);
  }
  return reads;
}

/**
 * A route that takes no body refuses one with fields, naming the first, as the validation pipe names an unknown field
 * of a route that takes one: the pipe only sees bodies a route declares, and a field sent in vain would go unnoticed.
 */
@Injectable()
export class BodilessInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    // A GET's body means nothing to HTTP: Fastify never parses one, Express does; both answer the same by ignoring it.
    if (request.method === 'GET' || request.method === 'HEAD') return next.handle();
    const body = request.body;
    if (body !== null && typeof body === 'object' && Object.keys(body).length > 0 && !bodyRead(context)) {
      const field = Array.isArray(body) ? 'body' : Object.keys(body)[0];
      throw catalogued('VALIDATION_FAILED', 'validation.whitelistValidation', { field });
    }
    return next.handle();
  }
}
