import { dropTemplate } from './app-under-test';

export default async function globalTeardown(): Promise<void> {
  if (process.env.TEST_DB_TEMPLATE) await dropTemplate(process.env.TEST_DB_TEMPLATE);
}
