import express, { NextFunction, Request, Response } from 'express';
import { DomainError } from '../errors/domain-error';
import { toErrorBody } from './error.filter';

/** JSON bodies up to a limit; a parse failure is a 400 in the API's error shape, not Express's HTML page. */
export function jsonBody(limit: string) {
  const parse = express.json({ limit, strict: true });
  return (req: Request, res: Response, next: NextFunction) =>
    parse(req, res, (err?: { type?: string; status?: number }) => {
      if (!err) return next();
      if (err.type === 'entity.too.large') {
        return void res.status(413).json({ statusCode: 413, code: 'VALIDATION_FAILED', message: `body: larger than ${limit}` });
      }
      const message = err.type === 'entity.parse.failed' ? 'body: malformed JSON' : `body: ${err.type ?? 'unreadable'}`;
      const body = toErrorBody(new DomainError('VALIDATION_FAILED', message));
      res.status(body.statusCode).json(body);
    });
}
