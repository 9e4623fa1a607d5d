import { bureauCovers } from '../common/auth/scope';
import { Actor } from '../common/context/request-context';
import { maskBankAccount } from '../organizations/profile.rules';

/**
 * Whether the actor pays a batch of `regionCode`: a bureau that may pay it (its region's, or its province's). Only it
 * reads the payees' bank accounts in full, on every channel (the batch, its statement, the treasury CSV); the platform
 * (its API keys alike) and the payees read them masked.
 */
export const isPayingBureau = (actor: Actor, regionCode: string): boolean =>
  actor.role === 'bureau' && bureauCovers(actor.regionCode, regionCode);

/** A payee's bank account as the reader may see it: in full for the paying bureau, else masked (**** **** 5432). */
export const payeeAccountFor = (account: string | null, paying: boolean): string | null => (paying ? account : maskBankAccount(account));
