import { Injectable } from '@nestjs/common';
import { Database } from '../common/persistence/database';
import { sql } from '../common/persistence/sql';
import { User } from './user.entity';

@Injectable()
export class UserRepository {
  constructor(private readonly db: Database) {}

  insert(user: User): Promise<void> {
    return this.db.insert(User, [user]);
  }

  async byUsername(username: string): Promise<User | undefined> {
    return (await this.db.select(User, 'u', sql`WHERE u.username = ${username}`))[0];
  }

  async any(): Promise<boolean> {
    return (await this.db.row(sql`SELECT 1 AS one FROM app_user LIMIT 1`)) !== undefined;
  }
}
