import {
  Account,
  AlreadyInOrganizationException,
  AWSOrganizationsNotInUseException,
  CloseAccountCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  DescribeOrganizationCommand,
  DuplicateOrganizationalUnitException,
  MoveAccountCommand,
  Organization,
  OrganizationsClient,
  paginateListAccounts,
  paginateListOrganizationalUnitsForParent,
  paginateListRoots,
} from '@aws-sdk/client-organizations';

/**
 * Dummy credentials for the sandbox. moto does not check signatures; the
 * value is deliberately not AKIA-shaped so secret scanners and readers never
 * mistake it for a real key.
 */
export const SANDBOX_CREDENTIALS = {
  accessKeyId: 'sandbox',
  secretAccessKey: 'sandbox',
} as const;

export const SANDBOX_REGION = 'us-east-1';

/**
 * The OU tree the sandbox seeds, as paths below the root. Parents come
 * before their children.
 */
export const SEED_OU_PATHS: readonly string[] = [
  'Workloads',
  'Workloads/Dev',
  'Workloads/Prod',
  'Sandbox',
];

/**
 * The OU of each environment's accounts in the seeded organization
 * (`tenancy.aws.organizations.environmentOus` of the portal overlay and the
 * tests): dev and prod, and sandbox — accounts without clusters.
 */
export const SANDBOX_ENVIRONMENT_OUS: Readonly<Record<string, string>> = {
  dev: 'Workloads/Dev',
  prod: 'Workloads/Prod',
  sandbox: 'Sandbox',
};

function organizationsClient(options: SeedOrganizationOptions) {
  return new OrganizationsClient({
    endpoint: options.endpoint,
    region: options.region ?? SANDBOX_REGION,
    credentials: options.credentials ?? SANDBOX_CREDENTIALS,
  });
}

/** Options for {@link seedOrganization}. */
export interface SeedOrganizationOptions {
  /** The Organizations endpoint: the fault layer's URL, or moto's. */
  endpoint: string;
  /** Default us-east-1 (Organizations is a global service). */
  region?: string;
  /** Default {@link SANDBOX_CREDENTIALS}. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  log?: (message: string) => void;
}

/** What {@link seedOrganization} found or created. */
export interface OrganizationSeed {
  organizationId: string;
  managementAccountId: string;
  rootId: string;
  /** OU ids by path below the root, e.g. `Workloads/Prod`. */
  ous: Record<string, string>;
  /** What this call created: `organization` and/or OU paths; empty on a rerun. */
  created: string[];
}

async function describeOrganization(
  client: OrganizationsClient,
): Promise<Organization | undefined> {
  try {
    return (await client.send(new DescribeOrganizationCommand({})))
      .Organization;
  } catch (e) {
    if (e instanceof AWSOrganizationsNotInUseException) return undefined;
    throw e;
  }
}

async function findOu(
  client: OrganizationsClient,
  parentId: string,
  name: string,
): Promise<string | undefined> {
  for await (const page of paginateListOrganizationalUnitsForParent(
    { client },
    { ParentId: parentId },
  )) {
    const ou = page.OrganizationalUnits?.find(o => o.Name === name);
    if (ou?.Id) return ou.Id;
  }
  return undefined;
}

/**
 * Makes sure the sandbox organization and its OU tree exist: creates the
 * organization (all features) unless there is one, then each OU of
 * {@link SEED_OU_PATHS} that is missing. Running it again changes nothing.
 *
 * Lookups go before every create because moto, unlike AWS, accepts a
 * second OU with the same name under the same parent.
 */
export async function seedOrganization(
  options: SeedOrganizationOptions,
): Promise<OrganizationSeed> {
  const log = options.log ?? (() => {});
  const client = organizationsClient(options);
  const created: string[] = [];
  try {
    let organization = await describeOrganization(client);
    if (!organization) {
      try {
        organization = (
          await client.send(
            new CreateOrganizationCommand({ FeatureSet: 'ALL' }),
          )
        ).Organization;
        created.push('organization');
        log(`created organization ${organization?.Id}`);
      } catch (e) {
        // Another seeder won the race; use its organization.
        if (!(e instanceof AlreadyInOrganizationException)) throw e;
        organization = await describeOrganization(client);
      }
    }
    if (!organization?.Id || !organization.MasterAccountId) {
      throw new Error(
        `Organizations at ${options.endpoint} returned no organization id or management account`,
      );
    }

    let rootId: string | undefined;
    for await (const page of paginateListRoots({ client }, {})) {
      rootId ??= page.Roots?.[0]?.Id;
    }
    if (!rootId) {
      throw new Error(
        `organization ${organization.Id} at ${options.endpoint} has no root`,
      );
    }

    const ous: Record<string, string> = {};
    for (const ouPath of SEED_OU_PATHS) {
      const slash = ouPath.lastIndexOf('/');
      const parentId = slash < 0 ? rootId : ous[ouPath.slice(0, slash)];
      const name = ouPath.slice(slash + 1);
      let id = await findOu(client, parentId, name);
      if (!id) {
        try {
          id = (
            await client.send(
              new CreateOrganizationalUnitCommand({
                ParentId: parentId,
                Name: name,
              }),
            )
          ).OrganizationalUnit?.Id;
          created.push(ouPath);
          log(`created OU ${ouPath} (${id})`);
        } catch (e) {
          // AWS refuses duplicates: a concurrent seeder created it first.
          if (!(e instanceof DuplicateOrganizationalUnitException)) throw e;
          id = await findOu(client, parentId, name);
        }
      }
      if (!id) {
        throw new Error(`could not find or create OU ${ouPath}`);
      }
      ous[ouPath] = id;
    }

    return {
      organizationId: organization.Id,
      managementAccountId: organization.MasterAccountId,
      rootId,
      ous,
      created,
    };
  } finally {
    client.destroy();
  }
}

/** A tenant account the sandbox seeds. */
export interface SeedAccount {
  name: string;
  email: string;
  tenant: string;
  environment: string;
  costCentre: string;
  ou: string;
  /** Closed after it is created: SUSPENDED (moto skips PENDING_CLOSURE). */
  closed?: boolean;
}

/**
 * The tenant accounts the sandbox seeds, in Workloads/Dev: one per team that
 * runs services, and for team-payments a closed one too, so its team page
 * shows an account in each state.
 */
export const SEED_ACCOUNTS: ReadonlyArray<SeedAccount> = [
  {
    name: 'payments-dev',
    email: 'payments-dev@sandbox.tenancy.dev',
    tenant: 'group:default/team-payments',
    environment: 'dev',
    costCentre: 'CC-1042',
    ou: 'Workloads/Dev',
  },
  {
    name: 'payments-legacy',
    email: 'payments-legacy@sandbox.tenancy.dev',
    tenant: 'group:default/team-payments',
    environment: 'dev',
    costCentre: 'CC-1042',
    ou: 'Workloads/Dev',
    closed: true,
  },
];

/** Creates the account, tagged as account vending tags it, in its OU; returns its id. */
async function createSeedAccount(
  client: OrganizationsClient,
  seed: OrganizationSeed,
  account: SeedAccount,
): Promise<string> {
  const status = (
    await client.send(
      new CreateAccountCommand({
        AccountName: account.name,
        Email: account.email,
        Tags: [
          { Key: 'tenant', Value: account.tenant },
          { Key: 'environment', Value: account.environment },
          { Key: 'cost-centre', Value: account.costCentre },
        ],
      }),
    )
  ).CreateAccountStatus;
  const id = status?.AccountId;
  if (!id) throw new Error(`moto created no account ${account.name}`);
  await client.send(
    new MoveAccountCommand({
      AccountId: id,
      SourceParentId: seed.rootId,
      DestinationParentId: seed.ous[account.ou],
    }),
  );
  return id;
}

/**
 * Creates the {@link SEED_ACCOUNTS} that do not exist yet (found by email),
 * tagged as account vending tags them, so a team's catalog page and Owned
 * list show its accounts from the start, and closes those meant to be
 * closed that are still ACTIVE (also after a run that stopped in between).
 * Returns the names it created.
 */
export async function seedTenantAccounts(
  options: SeedOrganizationOptions,
  seed: OrganizationSeed,
): Promise<string[]> {
  const client = organizationsClient(options);
  const created: string[] = [];
  try {
    const byEmail = new Map<string, Account>();
    for await (const page of paginateListAccounts({ client }, {})) {
      for (const a of page.Accounts ?? []) if (a.Email) byEmail.set(a.Email, a);
    }
    for (const account of SEED_ACCOUNTS) {
      const found = byEmail.get(account.email);
      let id = found?.Id;
      if (!id) {
        id = await createSeedAccount(client, seed, account);
        created.push(account.name);
        options.log?.(`created account ${account.name} (${id})`);
      }
      const state = found?.State ?? found?.Status ?? 'ACTIVE';
      if (account.closed && state === 'ACTIVE') {
        await client.send(new CloseAccountCommand({ AccountId: id }));
        options.log?.(`closed account ${account.name} (${id})`);
      }
    }
    return created;
  } finally {
    client.destroy();
  }
}
