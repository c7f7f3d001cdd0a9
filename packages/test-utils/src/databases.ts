import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';

const POSTGRES_ENV =
  /^BACKSTAGE_TEST_DATABASE_(POSTGRES\d+)_CONNECTION_STRING$/;

/**
 * SQLite always; every PostgreSQL the test command provides
 * (`BACKSTAGE_TEST_DATABASE_POSTGRES<N>_CONNECTION_STRING`), as the
 * backend's tests pick them up.
 */
export function databaseIds(): TestDatabaseId[] {
  const postgres = Object.entries(process.env).flatMap(([name, value]) => {
    const match = POSTGRES_ENV.exec(name);
    return match && value
      ? [match[1].replace('POSTGRES', 'POSTGRES_') as TestDatabaseId]
      : [];
  });
  if (process.env.TENANCY_REQUIRE_POSTGRES && postgres.length === 0) {
    throw new Error(
      'TENANCY_REQUIRE_POSTGRES is set but no BACKSTAGE_TEST_DATABASE_POSTGRES<N>_CONNECTION_STRING is; run the tests with ./run test',
    );
  }
  return ['SQLITE_3', ...postgres];
}

export function createTestDatabases(): TestDatabases {
  return TestDatabases.create({ ids: databaseIds(), disableDocker: true });
}
