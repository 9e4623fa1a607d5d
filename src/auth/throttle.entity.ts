import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn, IntColumn } from '../common/persistence/columns';

/**
 * One throttled subject (a username's failed logins, an address's failures or registrations), counted in the database
 * so that every node agrees: a fixed window (`windowStart`, `hits`) or the recent instants of a sliding one, and the
 * logins refused to it.
 */
@Entity('throttle')
@Index(['updatedAt'])
// the minutes of refusals left to report (refusals > 1) are found without reading every row
@Index(['refusals', 'refusedSince'])
export class Throttle {
  @PrimaryColumn({ type: 'varchar', length: 120 }) throttleKey: string;
  @InstantColumn({ nullable: true }) windowStart: string | null;
  @IntColumn({ default: 0 }) hits: number;
  /** JSON: a username's failures and unanswered attempts (LoginAttempts); once a plain array of failure instants. */
  @Column({ type: 'text', nullable: true }) recent: string | null;
  @InstantColumn({ nullable: true }) lockedUntil: string | null;
  /** The refused logins of the subject's current minute (see afterRefusal): counted here, audited once a minute. */
  @InstantColumn({ nullable: true }) refusedSince: string | null;
  @IntColumn({ default: 0 }) refusals: number;
  @InstantColumn() updatedAt: string;
}
