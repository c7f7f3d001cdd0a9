import {
  CreateOrganizationCommand,
  CreateOrganizationalUnitCommand,
  DescribeOrganizationCommand,
  ListAccountsForParentCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  OrganizationsClient,
  paginateListOrganizationalUnitsForParent,
} from '@aws-sdk/client-organizations';
import {
  SEED_OU_PATHS,
  seedOrganization,
  seedTenantAccounts,
} from './organization';
import { AwsTestSandbox, startAwsTestSandbox } from './testUtils';

// The first run installs moto into the cache (about half a minute).
jest.setTimeout(300_000);

let sandbox: AwsTestSandbox;

beforeAll(async () => {
  sandbox = await startAwsTestSandbox();
});

afterAll(async () => {
  await sandbox?.stop();
});

beforeEach(async () => {
  await sandbox.reset();
});

async function ouNames(
  client: OrganizationsClient,
  parentId: string,
): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListOrganizationalUnitsForParent(
    { client },
    { ParentId: parentId },
  )) {
    for (const ou of page.OrganizationalUnits ?? []) names.push(ou.Name ?? '');
  }
  return names.sort();
}

describe('seedOrganization', () => {
  it('creates the organization and the OU tree', async () => {
    const seed = await seedOrganization({ endpoint: sandbox.url });
    const client = sandbox.client();

    const org = await client.send(new DescribeOrganizationCommand({}));
    expect(seed.organizationId).toBe(org.Organization?.Id);
    expect(org.Organization?.FeatureSet).toBe('ALL');
    expect(seed.managementAccountId).toBe(org.Organization?.MasterAccountId);
    const roots = await client.send(new ListRootsCommand({}));
    expect(seed.rootId).toBe(roots.Roots?.[0]?.Id);

    expect(Object.keys(seed.ous).sort()).toEqual([...SEED_OU_PATHS].sort());
    expect(seed.created).toEqual(['organization', ...SEED_OU_PATHS]);
    expect(await ouNames(client, seed.rootId)).toEqual([
      'Sandbox',
      'Workloads',
    ]);
    expect(await ouNames(client, seed.ous.Workloads)).toEqual(['Dev', 'Prod']);
    expect(await ouNames(client, seed.ous['Workloads/Dev'])).toEqual([]);
    expect(await ouNames(client, seed.ous.Sandbox)).toEqual([]);
  });

  it('is idempotent: a second run returns the same ids and creates nothing', async () => {
    const first = await seedOrganization({ endpoint: sandbox.url });
    const second = await seedOrganization({ endpoint: sandbox.url });
    expect(second.created).toEqual([]);
    expect({ ...second, created: [] }).toEqual({ ...first, created: [] });

    const client = sandbox.client();
    expect(await ouNames(client, first.rootId)).toEqual([
      'Sandbox',
      'Workloads',
    ]);
    expect(await ouNames(client, first.ous.Workloads)).toEqual(['Dev', 'Prod']);
  });

  it('adopts an existing organization and creates only the missing OUs', async () => {
    const client = sandbox.client();
    const org = await client.send(
      new CreateOrganizationCommand({ FeatureSet: 'ALL' }),
    );
    const rootId = (await client.send(new ListRootsCommand({}))).Roots?.[0]?.Id;
    const workloads = await client.send(
      new CreateOrganizationalUnitCommand({
        ParentId: rootId,
        Name: 'Workloads',
      }),
    );

    const logged: string[] = [];
    const seed = await seedOrganization({
      endpoint: sandbox.url,
      credentials: { accessKeyId: 'other', secretAccessKey: 'other' },
      log: m => logged.push(m),
    });
    expect(seed.organizationId).toBe(org.Organization?.Id);
    expect(seed.ous.Workloads).toBe(workloads.OrganizationalUnit?.Id);
    expect(seed.created).toEqual([
      'Workloads/Dev',
      'Workloads/Prod',
      'Sandbox',
    ]);
    expect(logged).toHaveLength(3);
    expect(await ouNames(client, seed.rootId)).toEqual([
      'Sandbox',
      'Workloads',
    ]);
  });

  it('surfaces errors instead of seeding half a tree', async () => {
    await sandbox.layer.addRule({
      type: 'error',
      operation: 'CreateOrganizationalUnit',
      error: 'ConstraintViolationException',
      message: 'OU_NUMBER_LIMIT_EXCEEDED',
      sticky: true,
    });
    await expect(seedOrganization({ endpoint: sandbox.url })).rejects.toThrow(
      'OU_NUMBER_LIMIT_EXCEEDED',
    );
  });
});

describe('seedTenantAccounts', () => {
  it("creates team-payments' accounts in Workloads/Dev, one of them closed, and a rerun changes nothing", async () => {
    const seed = await seedOrganization({ endpoint: sandbox.url });
    const logged: string[] = [];
    const created = await seedTenantAccounts(
      { endpoint: sandbox.url, log: m => logged.push(m) },
      seed,
    );
    expect(created).toEqual(['payments-dev', 'payments-legacy']);
    expect(logged).toEqual([
      expect.stringMatching(/^created account payments-dev \(\d{12}\)$/),
      expect.stringMatching(/^created account payments-legacy \(\d{12}\)$/),
      expect.stringMatching(/^closed account payments-legacy \(\d{12}\)$/),
    ]);

    const client = sandbox.client();
    const inDev = await client.send(
      new ListAccountsForParentCommand({ ParentId: seed.ous['Workloads/Dev'] }),
    );
    expect((inDev.Accounts ?? []).map(a => [a.Name, a.State]).sort()).toEqual([
      ['payments-dev', 'ACTIVE'],
      ['payments-legacy', 'SUSPENDED'],
    ]);
    const legacy = inDev.Accounts!.find(a => a.Name === 'payments-legacy')!;
    const tags = await client.send(
      new ListTagsForResourceCommand({ ResourceId: legacy.Id }),
    );
    expect(tags.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'tenant', Value: 'group:default/team-payments' },
      ]),
    );

    // Closing it again would fail with AccountAlreadyClosedException.
    logged.length = 0;
    expect(
      await seedTenantAccounts(
        { endpoint: sandbox.url, log: m => logged.push(m) },
        seed,
      ),
    ).toEqual([]);
    expect(logged).toEqual([]);
  });
});
