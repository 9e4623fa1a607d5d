import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { UndecodableUrlPage } from '../common/http/adapter';
import { toErrorBody } from '../common/http/error.filter';
import { HttpReply, HttpRequest, pathOf, replySent } from '../common/http/http-neutral';
import { HTML, PAGE_CSP, PageRenderer } from './page-renderer';
import type { ErrorPage } from './page-views';

/** What a missing record is called, by the page's first path segment. */
const NOT_FOUND: Record<string, ErrorPage> = {
  verify: {
    title: '无效 / 未找到',
    noindex: true,
    heading: '无效 / 未找到',
    message: '没有找到与此验证码对应的科技创新券。请核对证书上的二维码或链接；如有疑问，请联系发券机构。',
  },
  facilities: { title: '未找到', heading: '未找到该服务', message: '该服务不存在或链接有误。' },
};
const NOT_FOUND_PAGE: ErrorPage = { title: '未找到', heading: '页面不存在', message: '链接可能有误。' };
const BAD_REQUEST: ErrorPage = { title: '请求有误', heading: '请求有误', message: '查询条件无法识别，请重新选择后再试。' };
const UNAVAILABLE: ErrorPage = { title: '暂时无法访问', heading: '暂时无法访问', message: '服务暂时不可用，请稍后再试。' };
/** Every error page's headers: never kept, and nothing loads but the page itself. */
const ERROR_PAGE_HEADERS = { 'Content-Type': HTML, 'Cache-Control': 'no-store', 'Content-Security-Policy': PAGE_CSP };

/**
 * A record's page whose URL does not decode (`/verify/%E0%A4%A`: a QR code's link cut short or mistyped) names no
 * record: the person who opened it reads the page of one not found, as for an unknown code, not the API's JSON 400.
 */
export const undecodablePage =
  (pages: PageRenderer): UndecodableUrlPage =>
  (path) => {
    const [, first, record] = path.split('/');
    if (!record || !Object.hasOwn(NOT_FOUND, first)) return undefined;
    return { statusCode: 404, headers: ERROR_PAGE_HEADERS, body: pages.render('error', NOT_FOUND[first]) };
  };

/** Failures of the public pages as HTML pages, with the status the API would give (404, 400, 503, 500). */
@Catch()
export class PageErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('PageErrorFilter');

  constructor(private readonly pages: PageRenderer) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { statusCode, retryAfterSec } = toErrorBody(exception, this.logger);
    const req = host.switchToHttp().getRequest<HttpRequest>();
    const res = host.switchToHttp().getResponse<HttpReply>();
    if (replySent(res)) return;
    const page =
      statusCode === 404 ? (NOT_FOUND[pathOf(req).split('/')[1]] ?? NOT_FOUND_PAGE) : statusCode < 500 ? BAD_REQUEST : UNAVAILABLE;
    if (retryAfterSec) res.header('Retry-After', String(retryAfterSec));
    res.status(statusCode);
    for (const [name, value] of Object.entries(ERROR_PAGE_HEADERS)) res.header(name, value);
    res.send(this.pages.render('error', page));
  }
}
