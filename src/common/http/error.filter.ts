import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { HttpReply, HttpRequest, replySent } from './http-neutral';
import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable, isRetryable, isUniqueViolation } from '../persistence/db-errors';
import { catalogued, DomainError, serviceBusy } from '../errors/domain-error';
import { Language, languageOf, translate } from '../i18n/messages';

const CODE_BY_STATUS: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'INVALID_STATE',
  413: 'PAYLOAD_TOO_LARGE',
};

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
}

/** How long a client should wait before retrying when the database is out of reach. */
const UNAVAILABLE_RETRY_SEC = 5;

/**
 * The message in `lng`: English is the service's own detailed text; another language uses what the error can say in
 * it, else the code's catalogue sentence with the English detail in brackets (numbers and names stay readable).
 */
export function inLanguage(lng: Language, code: string, english: string, localized?: (lng: Language) => string): string {
  if (lng === 'en') return english;
  if (localized) return localized(lng);
  const summary = translate(lng, `errors.${code}`);
  const generic = translate('en', `errors.${code}`);
  return english && english.toLowerCase() !== generic.toLowerCase() ? translate(lng, 'detail', { summary, detail: english }) : summary;
}

/** Every failure as `{statusCode, code, message}` (and its Retry-After, if any) in `lng`; never a stack trace. */
export function toErrorBody(thrown: unknown, logger?: Logger, lng: Language = 'en'): ErrorBody & { retryAfterSec?: number } {
  const exception = undecodedParam(thrown) ? badPath() : thrown;
  const body = englishBody(exception, logger);
  const localized = exception instanceof DomainError ? exception.options.localized : unknownRoute(body);
  return { ...body, message: inLanguage(lng, body.code, body.message, localized) };
}

/** A URL whose percent-encoding does not decode, in either adapter's words. */
export const badPath = () => catalogued('VALIDATION_FAILED', 'validation.badPath');

/** Express's router fails on a path parameter that does not decode with its own 400 ("Failed to decode param '%E0'"). */
const undecodedParam = (e: unknown) => e instanceof Error && e.message.startsWith('Failed to decode param ');

/** The router's 404 for a path no route serves ("Cannot GET /api/nope"), said in the caller's language. */
function unknownRoute(body: ErrorBody): ((lng: Language) => string) | undefined {
  const route = body.statusCode === 404 ? /^Cannot ([A-Z]+) (\S+)$/.exec(body.message) : null;
  return route ? (lng) => translate(lng, 'unknownRoute', { method: route[1], path: route[2] }) : undefined;
}

function englishBody(exception: unknown, logger?: Logger): ErrorBody & { retryAfterSec?: number } {
  if (exception instanceof DomainError) {
    const body = { statusCode: exception.status, code: exception.code, message: exception.message };
    return exception.options.retryAfterSec ? { ...body, retryAfterSec: exception.options.retryAfterSec } : body;
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse() as { message?: string | string[] } | string;
    const raw = typeof response === 'string' ? response : response.message;
    const message = Array.isArray(raw) ? raw.join('; ') : (raw ?? exception.message);
    return { statusCode: status, code: CODE_BY_STATUS[status] ?? (status < 500 ? 'VALIDATION_FAILED' : 'INTERNAL_ERROR'), message };
  }
  if (exception instanceof QueryFailedError && isUniqueViolation(exception)) {
    return { statusCode: HttpStatus.CONFLICT, code: 'DUPLICATE', message: 'a record with these values already exists' };
  }
  if (isDatabaseUnavailable(exception)) {
    logger?.error(`database unavailable: ${(exception as Error).message}`);
    return {
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      code: 'DATABASE_UNAVAILABLE',
      message: 'the database cannot be reached; retry shortly',
      retryAfterSec: UNAVAILABLE_RETRY_SEC,
    };
  }
  if (isRetryable(exception)) {
    // A statement outside any unit of work (the session check, a read) that waited out a lock or a Galera causal read
    // (wsrep_sync_wait gives up with 1205 while its node's applier lags): the same answer as a unit out of attempts.
    logger?.warn(`busy outside a unit of work: ${(exception as Error).message}`);
    return englishBody(serviceBusy());
  }
  logger?.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
  return { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, code: 'INTERNAL_ERROR', message: 'internal error' };
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<HttpRequest>();
    const { retryAfterSec, ...body } = toErrorBody(exception, this.logger, languageOf(req));
    const res = host.switchToHttp().getResponse<HttpReply>();
    if (replySent(res)) return;
    if (retryAfterSec) res.header('Retry-After', String(retryAfterSec));
    // a route may have set its own Content-Type (PDF, CSV) before failing; the error is JSON all the same
    res.status(body.statusCode);
    res.type('application/json');
    res.send(body);
  }
}
