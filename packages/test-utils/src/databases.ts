import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';

const POSTGRES_ENV =
  /^BACKSTAGE_TEST_DATABASE_(POSTGRES\d+)_CONNECTION_STRING$/;

/**
 * Every PostgreSQL the test command provides
 * (`BACKSTAGE_TEST_DATABASE_POSTGRES<N>_CONNECTION_STRING`), with the id
 * Backstage's TestDatabases gives it (`POSTGRES_<N>`).
 */
export function postgresTestUrls(): Array<{
  id: TestDatabaseId;
  url: string;
}> {
  return Object.entries(process.env).flatMap(([name, value]) => {
    const match = POSTGRES_ENV.exec(name);
    return match && value
      ? [
          {
            id: match[1].replace('POSTGRES', 'POSTGRES_') as TestDatabaseId,
            url: value,
          },
        ]
      : [];
  });
}

/**
 * SQLite always, and every PostgreSQL the test command provides. `./run test`
 * sets TENANCY_REQUIRE_POSTGRES so that a missing PostgreSQL fails the run
 * instead of silently testing SQLite only.
 */
export function databaseIds(): TestDatabaseId[] {
  const postgres = postgresTestUrls().map(p => p.id);
  if (process.env.TENANCY_REQUIRE_POSTGRES && postgres.length === 0) {
    throw new Error(
      'TENANCY_REQUIRE_POSTGRES is set but no BACKSTAGE_TEST_DATABASE_POSTGRES<N>_CONNECTION_STRING is; run the tests with ./run test',
    );
  }
  return ['SQLITE_3', ...postgres];
}

/** Backstage's TestDatabases on {@link databaseIds}, without Docker. */
export function createTestDatabases(): TestDatabases {
  return TestDatabases.create({ ids: databaseIds(), disableDocker: true });
}
