import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { isUniqueViolation } from '../database/db-errors';
import { DomainError } from '../errors/domain-error';

const CODE_BY_STATUS: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'INVALID_STATE',
};

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
}

/** Every failure leaves as `{statusCode, code, message}`; never a stack trace. */
export function toErrorBody(exception: unknown, logger?: Logger): ErrorBody {
  if (exception instanceof DomainError) return { statusCode: exception.status, code: exception.code, message: exception.message };
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
  logger?.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
  return { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, code: 'INTERNAL_ERROR', message: 'internal error' };
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const body = toErrorBody(exception, this.logger);
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    // a route may have set its own Content-Type (PDF, CSV) before failing; the error is JSON all the same
    res.status(body.statusCode).type('application/json').json(body);
  }
}
