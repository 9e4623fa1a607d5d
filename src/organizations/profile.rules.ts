import { ValidateBy, ValidationOptions } from 'class-validator';

/** A mainland mobile (11 digits from 13–19) or a landline with its area code (010-12345678, 0551-6512345-801). */
const PHONE = /^(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$/;
/** A bank account number as printed: 8 to 30 digits (corporate accounts run 12–25), spaces allowed between groups. */
const BANK_ACCOUNT = /^\d(?: ?\d){7,29}$/;

export const isPhone = (value: unknown): boolean => typeof value === 'string' && PHONE.test(value);
export const isBankAccount = (value: unknown): boolean => typeof value === 'string' && BANK_ACCOUNT.test(value);
/** Stored without the spaces a person types between groups. */
export const normalizeBankAccount = (account: string): string => account.replace(/ /g, '');
/**
 * The account as the unique key on organization.bank_account_key compares it: its digits only. What the profile stores
 * is that already (normalizeBankAccount of a validated number); the key drops anything else an older row kept.
 */
export const bankAccountKey = (account: string): string => account.replace(/\D/g, '');

/** The declared relations: what the related-party check and the caps aggregated by controller read. */
export const RELATION_FIELDS = ['controllerCreditCode', 'relatedCreditCodes'] as const;

/**
 * The relation fields of a change that only the bureau of the organization's region may make: any change of the
 * controller (declaring one joins its group, whose every enterprise's annual cap then counts this one's grants, so
 * an enterprise naming a competitor as its controller would spend the competitor's cap), and a declared related
 * party left out (it could then trade with a party it declared related). Declaring more related parties only
 * narrows what the organization itself may do, so that stays its admin's.
 */
export function relationsForBureau(
  declared: { controllerCreditCode: string | null; relatedCreditCodes: string[] },
  changes: { controllerCreditCode?: string | null; relatedCreditCodes?: string[] },
): (typeof RELATION_FIELDS)[number][] {
  const fields: (typeof RELATION_FIELDS)[number][] = [];
  if (changes.controllerCreditCode !== undefined && changes.controllerCreditCode !== declared.controllerCreditCode)
    fields.push('controllerCreditCode');
  if (changes.relatedCreditCodes !== undefined && declared.relatedCreditCodes.some((c) => !changes.relatedCreditCodes!.includes(c)))
    fields.push('relatedCreditCodes');
  return fields;
}

/**
 * Whether putting `to` on file is a change the bureau of the organization's region confirms (收款账户变更确认) rather
 * than takes effect at once: an account (or its bank) replacing one on file, or filed again after one was cleared. A
 * first filing, vetted already (the organization's status), takes effect; so does clearing it, which pays no one.
 */
export const bankChangeNeedsBureau = (
  org: { bankAccount: string | null; bankAccountFiledAt: string | null },
  to: { bankAccount: string | null },
): boolean => !!to.bankAccount && (!!org.bankAccount || org.bankAccountFiledAt !== null);

/** Who may confirm a pending change: not the person who asked for it (four eyes, as a batch's maker does not pay it). */
export const mayDecideBankChange = (requestedBy: string | null, decider: string): boolean => requestedBy !== decider;

/** All but the last four digits hidden: what anyone but the paying bureau sees, on every channel (settlement/payee-account.ts). */
export function maskBankAccount(account: string | null | undefined): string | null {
  if (!account) return null;
  return `**** **** ${account.slice(-4)}`;
}

export const IsPhone = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isPhone',
      validator: { validate: isPhone, defaultMessage: (a) => `${a?.property} must be a mobile or landline phone number` },
    },
    options,
  );

export const IsBankAccount = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isBankAccount',
      validator: { validate: isBankAccount, defaultMessage: (a) => `${a?.property} must be a bank account number of 8 to 30 digits` },
    },
    options,
  );
