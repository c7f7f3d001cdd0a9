import { Knex } from 'knex';
import path from 'node:path';
import { AccountRequestStore } from '../database/AccountRequestStore';

export const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');

/** The account request store on a test database, migrated. */
export async function storeOn(
  knex: Knex,
  now?: () => number,
): Promise<AccountRequestStore> {
  return AccountRequestStore.create({
    database: { getClient: async () => knex },
    migrationsDirectory: MIGRATIONS_DIR,
    now,
  });
}
