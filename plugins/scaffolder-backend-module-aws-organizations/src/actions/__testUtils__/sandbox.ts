import { CreateAccountCommand } from '@aws-sdk/client-organizations';
import {
  AwsFixture,
  connectToSandbox,
  createTestDatabases,
} from '@tenancy/test-utils';
import { storeOn } from '../../__testUtils__/harness';

/** The team most tests act for. */
export const PAYMENTS = 'group:default/team-payments';

/** The sandbox for a test file; what a test made there is removed after it. */
export function awsSandbox() {
  const sb = connectToSandbox();
  afterEach(() => sb.cleanup());
  return sb;
}

/**
 * A new account in the sandbox organization, named after `prefix`, with
 * `tenant` as its tenant tag (none if undefined); returns its id.
 */
export async function accountOf(
  f: AwsFixture,
  prefix: string,
  tenant?: string,
): Promise<string> {
  const { email, accountName } = f.unique(prefix);
  const res = await f.client.send(
    new CreateAccountCommand({
      Email: email,
      AccountName: accountName,
      Tags: tenant ? [{ Key: 'tenant', Value: tenant }] : undefined,
    }),
  );
  return res.CreateAccountStatus!.AccountId!;
}

/**
 * The test databases of a test file, and `sqliteStore()`: the account
 * request store on SQLite, migrated.
 */
export function testDatabases() {
  const databases = createTestDatabases();
  const sqliteStore = async () => storeOn(await databases.init('SQLITE_3'));
  return { databases, sqliteStore };
}
