import {
  Account,
  CreateAccountStatus,
  ListCreateAccountStatusCommand,
  ListParentsCommand,
  OrganizationsClient,
  paginateListAccounts,
  paginateListTagsForResource,
} from '@aws-sdk/client-organizations';
import {
  BackstageCredentials,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  AwsCredentialsManager,
  DefaultAwsCredentialsManager,
} from '@backstage/integration-aws-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { JsonObject, JsonValue } from '@backstage/types';
import {
  connectSandbox,
  FaultRule,
  SandboxFixtures,
  TENANT_USERS,
} from '@tenancy/sandbox';
import { Entity } from '@backstage/catalog-model';
import {
  EntityProviderConnection,
  EntityProviderMutation,
} from '@backstage/plugin-catalog-node';
import { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { OrganizationsClientProvider } from '../aws/config';
import { VendingTimingOverrides } from '../aws/timing';
import { AccountRequestStore } from '../database/AccountRequestStore';

export const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');

/** Waits short enough for the whole suite to run in well under a minute. */
export const FAST: VendingTimingOverrides = {
  throttle: { baseMs: 5, maxMs: 40, attempts: 5 },
  poll: { initialMs: 20, maxMs: 80 },
  settle: { baseMs: 5, maxMs: 40, attempts: 6 },
  queueIntervalMs: 30,
  leaseMs: 10_000,
  internalFailureRetries: 2,
};

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

/** Counts requests for credentials: zero means no AWS client was ever made, so no AWS call. */
export class CountingCredentialsManager implements AwsCredentialsManager {
  calls = 0;
  constructor(private readonly inner: AwsCredentialsManager) {}
  getCredentialProvider(
    ...args: Parameters<AwsCredentialsManager['getCredentialProvider']>
  ) {
    this.calls++;
    return this.inner.getCredentialProvider(...args);
  }
}

/**
 * One test's view of the sandbox organization: its own access key (so its
 * fault rules touch no other test), the portal config that uses it through
 * Backstage's AWS integration, and a client for looking at the result.
 */
export interface AwsFixture {
  sandbox: SandboxFixtures;
  accessKeyId: string;
  secretAccessKey: string;
  config: ConfigReader;
  credentials: CountingCredentialsManager;
  clients: OrganizationsClientProvider;
  /** For assertions; through the fault layer with the same key. */
  client: OrganizationsClient;
  ous: Record<string, string>;
  rootId: string;
  managementAccountId: string;
  fault(rule: FaultRule): Promise<string>;
  /** A unique email address and account name. */
  unique(prefix?: string): { email: string; accountName: string };
}

export function awsFixture(
  sandbox: SandboxFixtures,
  settings: {
    maxConcurrentCreates?: number;
    pollDeadlineSeconds?: number;
  } = {},
): AwsFixture {
  const { accessKeyId } = sandbox.organizations();
  const secretAccessKey = `secret-${randomBytes(12).toString('hex')}`;
  const { aws } = sandbox.state;
  const managementAccountId = aws.organization.managementAccountId;
  const config = new ConfigReader({
    aws: {
      accounts: [
        { accountId: managementAccountId, accessKeyId, secretAccessKey },
      ],
    },
    tenancy: {
      aws: {
        organizations: {
          region: aws.region,
          endpoint: aws.endpoint,
          accountId: managementAccountId,
          maxConcurrentCreates: settings.maxConcurrentCreates ?? 5,
          pollDeadlineSeconds: settings.pollDeadlineSeconds ?? 10,
        },
      },
    },
  });
  const credentials = new CountingCredentialsManager(
    DefaultAwsCredentialsManager.fromConfig(config),
  );
  return {
    sandbox,
    accessKeyId,
    secretAccessKey,
    config,
    credentials,
    clients: OrganizationsClientProvider.fromConfig(config, {
      credentialsManager: credentials,
    }),
    client: new OrganizationsClient({
      endpoint: aws.endpoint,
      region: aws.region,
      credentials: { accessKeyId, secretAccessKey },
      maxAttempts: 1,
    }),
    ous: aws.organization.ous,
    rootId: aws.organization.rootId,
    managementAccountId,
    fault: rule =>
      sandbox.faults().add({ ...rule, match: { ...rule.match, accessKeyId } }),
    unique(prefix = 'acct') {
      const name = sandbox.uniqueName(prefix);
      return { email: `${name}@tenancy-test.example`, accountName: name };
    },
  };
}

export async function accountsWithEmail(
  client: OrganizationsClient,
  email: string,
): Promise<Account[]> {
  const found: Account[] = [];
  for await (const page of paginateListAccounts({ client }, {})) {
    found.push(
      ...(page.Accounts ?? []).filter(
        a => a.Email?.toLowerCase() === email.toLowerCase(),
      ),
    );
  }
  return found;
}

/**
 * The CreateAccount requests AWS (moto, and the fault layer's faked ones)
 * accepted under this account name: the number of CreateAccount calls that
 * got through, whatever the action believes it did.
 */
export async function requestsNamed(
  client: OrganizationsClient,
  accountName: string,
): Promise<CreateAccountStatus[]> {
  // One page of everything: moto's ListCreateAccountStatus NextToken does
  // not advance past 123 entries, and moto (unlike AWS) takes any MaxResults.
  const res = await client.send(
    new ListCreateAccountStatusCommand({ MaxResults: 100_000 }),
  );
  if (res.NextToken) throw new Error('more create requests than one page');
  return (res.CreateAccountStatuses ?? []).filter(
    s => s.AccountName === accountName,
  );
}

export async function tagsOf(
  client: OrganizationsClient,
  accountId: string,
): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  for await (const page of paginateListTagsForResource(
    { client },
    { ResourceId: accountId },
  )) {
    for (const t of page.Tags ?? []) tags[t.Key!] = t.Value ?? '';
  }
  return tags;
}

export async function parentOf(
  client: OrganizationsClient,
  accountId: string,
): Promise<string | undefined> {
  const res = await client.send(new ListParentsCommand({ ChildId: accountId }));
  return res.Parents?.[0]?.Id;
}

/** Permission decisions as a real policy gives them: `allowed` names what the initiator holds. */
export function permissionsAllowing(allowed: string[]): PermissionsService {
  const permissions = mockServices.permissions.mock();
  permissions.authorize.mockImplementation(async requests =>
    requests.map(r => ({
      result: allowed.includes(r.permission.name)
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
    })),
  );
  return permissions;
}

/** Team membership as the sandbox's catalog seed has it. */
export function seedUserInfo(): UserInfoService {
  return {
    async getUserInfo(credentials: BackstageCredentials) {
      const ref = (credentials.principal as { userEntityRef: string })
        .userEntityRef;
      const name = ref.split('/').pop();
      const groups = TENANT_USERS.find(u => u.user === name)?.groups ?? [];
      return {
        userEntityRef: ref,
        ownershipEntityRefs: [ref, ...groups.map(g => `group:default/${g}`)],
      };
    },
  };
}

/** A member of the team, from the sandbox seed. */
export function memberOf(tenant: string): string {
  const team = tenant.split('/').pop()!;
  const user = TENANT_USERS.find(u => u.groups.includes(team));
  if (!user) throw new Error(`No sandbox user in ${team}`);
  return user.user;
}

/**
 * Checkpoints as the scaffolder keeps them for one task: a value saved by a
 * successful `fn` is returned on every later run instead of calling `fn`.
 */
export class CheckpointStore {
  readonly values = new Map<string, JsonValue>();
  async run<T extends JsonValue | void>(opts: {
    key: string;
    fn: () => Promise<T> | T;
  }): Promise<T> {
    if (this.values.has(opts.key)) return this.values.get(opts.key) as T;
    const value = await opts.fn();
    this.values.set(opts.key, (value ?? {}) as JsonValue);
    return value;
  }
}

/** Everything a run wrote to the task log and its outputs, to check that no secret reaches them. */
export function capturingContext<T extends JsonObject>(
  input: T,
  options: {
    isDryRun?: boolean;
    user?: string;
    credentials?: BackstageCredentials;
    taskId?: string;
    checkpoints?: CheckpointStore;
  } = {},
) {
  const lines: string[] = [];
  const logger = mockServices.logger.mock();
  for (const level of ['info', 'warn', 'error', 'debug'] as const) {
    logger[level].mockImplementation((message: string, meta?: unknown) => {
      lines.push(
        meta === undefined ? message : `${message} ${JSON.stringify(meta)}`,
      );
    });
  }
  const outputs: Record<string, unknown> = {};
  const checkpoints = options.checkpoints ?? new CheckpointStore();
  const ctx = {
    ...createMockActionContext<T>({ input, logger }),
    isDryRun: options.isDryRun,
    task: { id: options.taskId ?? `task-${randomBytes(6).toString('hex')}` },
    step: { id: 'create-account', name: 'Create AWS account' },
    checkpoint: (opts: any) => checkpoints.run(opts),
    output: (name: string, value: unknown) => {
      outputs[name] = value;
    },
    getInitiatorCredentials: async () =>
      options.credentials ??
      mockCredentials.user(`user:default/${options.user ?? 'alice'}`),
  };
  return { ctx, lines, outputs, checkpoints };
}

/** The sandbox, connected once per test file. */
export function connectToSandbox(): SandboxFixtures {
  return connectSandbox();
}

/** What the catalog would hold from this provider, keyed by entity ref. */
export class FakeConnection implements EntityProviderConnection {
  readonly entities = new Map<string, Entity>();
  readonly mutations: EntityProviderMutation[] = [];
  async applyMutation(mutation: EntityProviderMutation) {
    this.mutations.push(mutation);
    if (mutation.type === 'full') this.entities.clear();
    const added = mutation.type === 'full' ? mutation.entities : mutation.added;
    for (const { entity } of added) {
      this.entities.set(`resource:default/${entity.metadata.name}`, entity);
    }
    if (mutation.type === 'delta') {
      for (const removed of mutation.removed) {
        this.entities.delete(
          'entityRef' in removed
            ? removed.entityRef
            : `resource:default/${removed.entity.metadata.name}`,
        );
      }
    }
  }
  async refresh() {}
}
