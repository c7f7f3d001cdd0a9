import {
  Account,
  CreateAccountStatus,
  ListCreateAccountStatusCommand,
  ListParentsCommand,
  OrganizationsClient,
  paginateListAccounts,
  paginateListTagsForResource,
} from '@aws-sdk/client-organizations';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import {
  AwsCredentialsManager,
  DefaultAwsCredentialsManager,
} from '@backstage/integration-aws-node';
import {
  EntityProviderConnection,
  EntityProviderMutation,
} from '@backstage/plugin-catalog-node';
import {
  OrganizationsClientProvider,
  VendingTimingOverrides,
} from '@tenancy/plugin-tenancy-node';
import {
  connectSandbox,
  FaultRule,
  SANDBOX_ENVIRONMENT_OUS,
  SandboxFixtures,
} from '@tenancy/sandbox';
import { randomBytes } from 'node:crypto';

/** Waits short enough for the whole suite to run in well under a minute. */
export const FAST: VendingTimingOverrides = {
  throttle: { baseMs: 5, maxMs: 40, attempts: 5 },
  poll: { initialMs: 20, maxMs: 80 },
  settle: { baseMs: 5, maxMs: 40, attempts: 6 },
  queueIntervalMs: 30,
  leaseMs: 10_000,
  internalFailureRetries: 2,
};

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
          environmentOus: { ...SANDBOX_ENVIRONMENT_OUS },
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
