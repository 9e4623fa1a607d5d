import { Injectable } from '@nestjs/common';
import { Eta } from 'eta';
import { join } from 'node:path';
import { projectRoot } from '../common/paths';
import type { PageData } from './page-views';

/** The public pages' templates (templates/pages/*.eta), compiled once; `<%= %>` escapes whatever it prints. */
@Injectable()
export class PageRenderer {
  private readonly eta = new Eta({ views: join(projectRoot, 'templates', 'pages'), cache: true });

  render<K extends keyof PageData>(template: K, data: PageData[K]): string {
    return this.eta.render(template, data);
  }
}

/** Inline styles and no scripts: the pages need nothing else, so nothing else may load. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
export const HTML = 'text/html; charset=utf-8';
