import { ArgumentsHost, Catch, ExceptionFilter, Injectable, Logger, NotFoundException } from '@nestjs/common';
import type { UndecodableUrlPage } from '../common/http/adapter';
import { ErrorFilter, toErrorBody } from '../common/http/error.filter';
import { headerOf, HttpReply, HttpRequest, pathOf, replySent } from '../common/http/http-neutral';
import { HTML, PAGE_CSP, PageRenderer } from './page-renderer';
import type { ErrorPage } from './page-views';
import { UnreadableQuery } from './catalogue-query';

/** What a missing record is called, by the page's first path segment. */
const NOT_FOUND: Record<string, ErrorPage> = {
  verify: {
    title: '无效 / 未找到',
    noindex: true,
    heading: '无效 / 未找到',
    // Codes are base64url (vouchers.queries.ts): `a` is not `A`.
    message:
      '没有找到与此核验码对应的科技创新券。请核对链接中的核验码是否与证书上印的一致（区分大小写），或直接扫描证书上的二维码；如有疑问，请联系发券机构。',
  },
  facilities: { title: '未找到', heading: '未找到该服务', message: '该服务不存在或链接有误。' },
};
/** `/verify` without a code: what to do instead. */
const VERIFY_WITHOUT_CODE: ErrorPage = {
  title: '未找到',
  heading: '页面不存在',
  message: '核验科技创新券，请扫描证书上的二维码，或打开证书上印的核验链接。',
};
const NOT_FOUND_PAGE: ErrorPage = { title: '未找到', heading: '页面不存在', message: '链接可能有误。' };
const BAD_REQUEST: ErrorPage = { title: '请求有误', heading: '请求有误', message: '查询条件无法识别，请重新选择后再试。' };
const UNAVAILABLE: ErrorPage = { title: '暂时无法访问', heading: '暂时无法访问', message: '服务暂时不可用，请稍后再试。' };
/** Every error page's headers: never kept, and nothing loads but the page itself. */
const ERROR_PAGE_HEADERS = { 'Content-Type': HTML, 'Cache-Control': 'no-store', 'Content-Security-Policy': PAGE_CSP };

/** The 404 page of a path: a record's page names what was not found; any other path is a page that does not exist. */
export function notFoundPage(path: string): ErrorPage {
  const [, first, record] = path.split('/');
  if (record && Object.hasOwn(NOT_FOUND, first)) return NOT_FOUND[first];
  return first === 'verify' ? VERIFY_WITHOUT_CODE : NOT_FOUND_PAGE;
}

/**
 * A record's page whose URL does not decode (`/verify/%E0%A4%A`: a QR code's link cut short or mistyped) names no
 * record: the person who opened it reads the page of one not found, as for an unknown code, not the API's JSON 400.
 * Any other such path outside /api (`/notices%E5%85`, a link cut inside a character) is, to a browser, a page that
 * does not exist, in Chinese, as for any path no page serves (UnknownPathFilter): it had read the API's English JSON.
 */
export const undecodablePage =
  (pages: PageRenderer): UndecodableUrlPage =>
  (path, accept) => {
    const [, first, record] = path.split('/');
    if (record && Object.hasOwn(NOT_FOUND, first)) {
      return { statusCode: 404, headers: ERROR_PAGE_HEADERS, body: pages.render('error', NOT_FOUND[first]) };
    }
    if (isApiPath(path) || !acceptsHtml(accept)) return undefined;
    return { statusCode: 404, headers: { ...ERROR_PAGE_HEADERS, Vary: 'Accept' }, body: pages.render('error', notFoundPage(path)) };
  };

const isApiPath = (path: string): boolean => path === '/api' || path.startsWith('/api/');

/** Failures of the public pages as HTML pages, with the status the API would give (404, 400, 503, 500). */
@Catch()
export class PageErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('PageErrorFilter');

  constructor(private readonly pages: PageRenderer) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { statusCode, retryAfterSec, message } = toErrorBody(exception, this.logger, 'zh');
    const req = host.switchToHttp().getRequest<HttpRequest>();
    const res = host.switchToHttp().getResponse<HttpReply>();
    if (replySent(res)) return;
    // a filter the page could not read is named (链接中的省份无法识别); anything else it cannot read, generally
    const badRequest = exception instanceof UnreadableQuery ? { ...BAD_REQUEST, message } : BAD_REQUEST;
    const page = statusCode === 404 ? notFoundPage(pathOf(req)) : statusCode < 500 ? badRequest : UNAVAILABLE;
    if (retryAfterSec) res.header('Retry-After', String(retryAfterSec));
    res.status(statusCode);
    for (const [name, value] of Object.entries(ERROR_PAGE_HEADERS)) res.header(name, value);
    res.send(this.pages.render('error', page));
  }
}

// Whether the client takes an HTML answer: no Accept at all, or one naming text/html, text/* or */* (not at q=0).
const acceptsHtml = (accept: string | undefined): boolean => {
  if (!accept) return true;
  return accept.split(',').some((part) => {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return ['text/html', 'text/*', '*/*'].includes(range.trim()) && !(q && Number(q.slice(2)) === 0);
  });
};

/**
 * A path no route serves (Nest's own 404, `Cannot GET /notice`) outside /api, asked for by a browser: the pages' 404 in
 * Chinese, not the API's JSON. Under /api, or for a client that takes no HTML, the API's answer as ever. A global
 * filter registered after the API's ErrorFilter, so Nest tries it first; it catches only Nest's NotFoundException,
 * which the service itself never throws (its missing records are DomainErrors).
 */
@Catch(NotFoundException)
@Injectable()
export class UnknownPathFilter implements ExceptionFilter {
  private readonly api = new ErrorFilter();
  private readonly page: PageErrorFilter;

  constructor(pages: PageRenderer) {
    this.page = new PageErrorFilter(pages);
  }

  catch(exception: NotFoundException, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<HttpRequest>();
    const path = pathOf(req);
    if (isApiPath(path)) return this.api.catch(exception, host);
    // One address, two answers by Accept: a cache keeping either must give it to the same kind of client only, and
    // keeps neither (the page's no-store, the JSON's too), as a path nothing serves today may be a page tomorrow.
    const res = host.switchToHttp().getResponse<HttpReply>();
    res.header('Vary', 'Accept');
    if (acceptsHtml(headerOf(req, 'accept'))) return this.page.catch(exception, host);
    res.header('Cache-Control', 'no-store');
    this.api.catch(exception, host);
  }
}
