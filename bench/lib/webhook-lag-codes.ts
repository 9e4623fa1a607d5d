import { randomBytes } from 'node:crypto';
import { CREDIT_CODE_CHARSET, makeCreditCode } from '../../src/organizations/credit-code';

/** A fresh valid credit code registered in `region`. */
export const creditCodeIn = (region: string) =>
  makeCreditCode(region, [...randomBytes(9)].map((b) => CREDIT_CODE_CHARSET[b % 31]).join(''), '91');
