import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JsonObject } from '@backstage/types';
import { Client } from 'pg';
import { databaseIds, postgresTestUrls } from '@tenancy/test-utils';

/**
 * A real database the backend's integration tests run against: SQLite files on
 * disk (the local default) and, when the test command started one, PostgreSQL.
 */
export interface TestDatabase {
  /** `SQLITE_3` or `POSTGRES_<major>`, named like Backstage's TestDatabases. */
  id: string;
  /** The `backend.database` config block for this database. */
  config: JsonObject;
  /**
   * The config a restarted backend process would use. For SQLite that is a
   * copy of the files: Backstage never closes SQLite connections on
   * shutdown (a real restart ends the process), so a second backend in the
   * same test process would otherwise contend with the first one's open
   * handles for the file locks.
   */
  afterRestart(): JsonObject;
  /** Removes every database or file this instance created. */
  cleanup(): Promise<void>;
}

/** The ids of every database this run can test on (SQLite, and PostgreSQL when provided). */
export const testDatabaseIds = (): string[] => databaseIds();

/**
 * Creates a fresh, empty database configuration for one test. Each call gets
 * its own SQLite folder or its own PostgreSQL database-name prefix, so a
 * backend can be stopped and started again on the same data.
 */
export async function createTestDatabase(id: string): Promise<TestDatabase> {
  if (id === 'SQLITE_3') {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tenancy-sqlite-'));
    const copies: string[] = [];
    return {
      id,
      config: { client: 'better-sqlite3', connection: { directory } },
      afterRestart() {
        const copy = `${directory}-restart-${copies.length}`;
        fs.cpSync(directory, copy, { recursive: true });
        copies.push(copy);
        return { client: 'better-sqlite3', connection: { directory: copy } };
      },
      async cleanup() {
        for (const dir of [directory, ...copies]) {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  }
  const postgres = postgresTestUrls().find(p => p.id === id);
  if (!postgres) {
    throw new Error(`No connection string for test database ${id}`);
  }
  const prefix = `tenancy_test_${randomBytes(4).toString('hex')}_`;
  const config = {
    client: 'pg',
    connection: postgres.url,
    prefix,
    // Each plugin gets its own database named `${prefix}${pluginId}`, as in
    // production.
    pluginDivisionMode: 'database',
  };
  return {
    id,
    config,
    afterRestart: () => config,
    async cleanup() {
      // A stopped test backend keeps its pool connections open. Dropping the
      // databases under them makes the pools throw into whatever test runs
      // next in the same jest worker, so on the throw-away server ./run test
      // starts (deleted whole after the run) they are simply left.
      if (process.env.TENANCY_TEST_PG_EPHEMERAL) {
        return;
      }
      const client = new Client({
        connectionString: `${postgres.url}/postgres`,
      });
      await client.connect();
      try {
        const { rows } = await client.query<{ datname: string }>(
          'SELECT datname FROM pg_database WHERE datname LIKE $1',
          [`${prefix}%`],
        );
        for (const { datname } of rows) {
          await client.query(
            `DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`,
          );
        }
      } finally {
        await client.end();
      }
    },
  };
}
