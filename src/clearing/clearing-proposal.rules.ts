import { DAY_MS } from '../common/clock';

/** Whole days since a proposal was made, at `now` (instants as ISO strings). */
export const proposalAgeDays = (proposedAt: string, now: string): number => Math.floor((Date.parse(now) - Date.parse(proposedAt)) / DAY_MS);

/**
 * Whether a proposal is too old to confirm: more than `maxDays` whole days since it was proposed. The lines hash keeps a
 * confirmation to the figures reviewed, but not to when: a week-old review is the proposer's word on a stale day's view.
 */
export const proposalExpired = (proposedAt: string, now: string, maxDays: number): boolean => proposalAgeDays(proposedAt, now) > maxDays;
