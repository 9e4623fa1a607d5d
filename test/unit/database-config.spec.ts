import 'reflect-metadata';
import { validateEnvironment } from '../../src/config/env.validation';

describe('database pool settings at start-up', () => {
  it('defaults to a pool of 4 connections per API process and takes a larger one', () => {
    expect(validateEnvironment({}).DB_POOL_SIZE).toBe(4);
    expect(validateEnvironment({ DB_POOL_SIZE: '32' }).DB_POOL_SIZE).toBe(32);
  });

  it('refuses a pool of one connection, saying why, and takes two', () => {
    expect(() => validateEnvironment({ DB_POOL_SIZE: '1' })).toThrow(
      'DB_POOL_SIZE must be at least 2: the migration lease holds one connection while migrations run on another',
    );
    expect(validateEnvironment({ DB_POOL_SIZE: '2' }).DB_POOL_SIZE).toBe(2);
  });
});
