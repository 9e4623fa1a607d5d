import { Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn, RefColumn, StrColumn } from '../common/persistence/columns';
import { User } from './user.entity';

/**
 * A login session. Its access tokens name it (`sid`), so ending it ends them on every node at once; its refresh token
 * rotates on each use and only the current one's hash is kept, so presenting an older one is reuse.
 */
@Entity('session')
@Index(['userId'])
export class Session {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @RefColumn() @ForeignKey(() => User, { name: 'fk_session_user' }) userId: string;
  /** SHA-256 of the current refresh token's secret. */
  @StrColumn(64) refreshHash: string;
  @InstantColumn() createdAt: string;
  @InstantColumn() refreshedAt: string;
  /** The absolute end: no refresh extends a session past it. */
  @InstantColumn() expiresAt: string;
  @InstantColumn({ nullable: true }) revokedAt: string | null;
  @StrColumn(40, { nullable: true }) revokedReason: string | null;
  @StrColumn(64, { nullable: true }) clientIp: string | null;
  @StrColumn(200, { nullable: true }) userAgent: string | null;
}
