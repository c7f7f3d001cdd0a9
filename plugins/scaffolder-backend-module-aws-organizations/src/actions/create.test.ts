import { CreateAccountCommand } from '@aws-sdk/client-organizations';
import { validate } from 'jsonschema';
import { Knex } from 'knex';
import { VendingHooks } from '../aws/AccountVendor';
import { AccountRequestStore } from '../database/AccountRequestStore';
import {
  accountsWithEmail,
  awsFixture,
  AwsFixture,
  CheckpointStore,
  databaseIds,
  FAST,
  parentOf,
  requestsNamed,
  tagsOf,
} from '@tenancy/test-utils';
import { storeOn } from '../__testUtils__/harness';
import { createCreateAwsAccountAction } from './create';
import {
  readAwsOrganizationsConfig,
  VendingTimingOverrides,
} from '@tenancy/plugin-tenancy-node';
import { accessDeps, runAction } from './__testUtils__/runAction';
import { awsSandbox, PAYMENTS, testDatabases } from './__testUtils__/sandbox';

jest.setTimeout(60_000);

const sb = awsSandbox();
const { databases, sqliteStore } = testDatabases();
let sqlite: AccountRequestStore;

beforeAll(async () => {
  sqlite = await sqliteStore();
});

const CREATE = ['tenancy.aws.account.create'];
const SEARCH = 'group:default/team-search';
/** The platform team's: past a team's own limits too. */
const PLATFORM = [...CREATE, 'tenancy.namespace.override'];

interface ActionOptions {
  store?: AccountRequestStore;
  allowed?: string[];
  hooks?: VendingHooks;
  timing?: VendingTimingOverrides;
  maxConcurrentCreates?: number;
  pollDeadlineSeconds?: number;
  environmentOus?: Record<string, string>;
}

function action(f: AwsFixture, opts: ActionOptions = {}) {
  const access = accessDeps(opts.allowed ?? CREATE);
  const settings = readAwsOrganizationsConfig(f.config);
  return Object.assign(
    createCreateAwsAccountAction({
      ...access,
      settings: {
        ...settings,
        maxConcurrentCreates:
          opts.maxConcurrentCreates ?? settings.maxConcurrentCreates,
        pollDeadlineSeconds:
          opts.pollDeadlineSeconds ?? settings.pollDeadlineSeconds,
        environmentOus: opts.environmentOus ?? settings.environmentOus,
      },
      clients: f.clients,
      store: opts.store ?? sqlite,
      timing: { ...FAST, ...opts.timing },
      hooks: opts.hooks,
    }),
    { auditor: access.auditor },
  );
}

function input(f: AwsFixture, overrides: Record<string, unknown> = {}) {
  const { email, accountName } = f.unique();
  return {
    accountName,
    email,
    tenant: PAYMENTS,
    ou: 'Workloads/Prod',
    tags: {
      'cost-centre': 'CC-1042',
      environment: 'prod',
      'data-classification': 'internal',
    },
    ...overrides,
  };
}

/**
 * S5 for every run of every test: the access key id, the secret (plain,
 * base64, URL-encoded, JSON-embedded) and any trace of a signed request are
 * absent from the task log, the outputs and the error.
 */
function expectNoSecrets(
  f: AwsFixture,
  seen: { lines: string[]; outputs: unknown; error?: unknown },
) {
  const error = seen.error as Error | undefined;
  const text = [
    ...seen.lines,
    JSON.stringify(seen.outputs),
    error ? `${error.message}\n${error.stack}\n${JSON.stringify(error)}` : '',
  ].join('\n');
  for (const secret of [
    f.accessKeyId,
    f.secretAccessKey,
    Buffer.from(f.secretAccessKey).toString('base64'),
    Buffer.from(f.accessKeyId).toString('base64'),
    encodeURIComponent(f.secretAccessKey),
    JSON.stringify(f.secretAccessKey),
  ]) {
    expect(text).not.toContain(secret);
  }
  expect(text).not.toMatch(
    /X-Amz-|Authorization|AWS4-HMAC-SHA256|Signature=|Credential=|x-amz-security-token/i,
  );
}

async function run(
  f: AwsFixture,
  act: ReturnType<typeof action>,
  values: Record<string, any>,
  opts: {
    user?: string;
    isDryRun?: boolean;
    taskId?: string;
    checkpoints?: CheckpointStore;
  } = {},
) {
  const result = await runAction(act, values, opts);
  expectNoSecrets(f, result);
  return result;
}

async function expectCreatedOnce(
  f: AwsFixture,
  email: string,
  accountName: string,
) {
  const accounts = await accountsWithEmail(f.client, email);
  expect(accounts).toHaveLength(1);
  expect(await requestsNamed(f.client, accountName)).toHaveLength(1);
  return accounts[0];
}

describe('happy path (acceptance 1)', () => {
  it('creates the account, moves it into the OU, tags it and outputs id, ARN, OU and link', async () => {
    const f = awsFixture(sb);
    const values = input(f);
    const { outputs, error, lines } = await run(f, action(f), values);
    expect(error).toBeUndefined();

    const account = await expectCreatedOnce(
      f,
      values.email,
      values.accountName,
    );
    expect(outputs).toEqual({
      accountId: account.Id,
      arn: account.Arn,
      accountName: values.accountName,
      email: values.email,
      tenant: PAYMENTS,
      ou: { id: f.ous['Workloads/Prod'], path: 'Workloads/Prod' },
      outcome: 'created',
      links: [
        {
          title: 'AWS Organizations console',
          url: `https://console.aws.amazon.com/organizations/v2/home/accounts/${account.Id}`,
        },
      ],
    });
    expect(await parentOf(f.client, account.Id!)).toBe(f.ous['Workloads/Prod']);
    expect(await tagsOf(f.client, account.Id!)).toEqual({
      tenant: PAYMENTS,
      'cost-centre': 'CC-1042',
      environment: 'prod',
      'data-classification': 'internal',
    });
    expect(lines.join('\n')).toMatch(/CreateAccount accepted/);
    expect(await sqlite.get(values.email)).toMatchObject({
      state: 'done',
      accountId: account.Id,
      slot: null,
    });
  });

  it('takes an OU id from the platform team, and reports its path', async () => {
    const f = awsFixture(sb);
    const values = input(f, { ou: f.ous.Sandbox });
    const { outputs, error } = await run(
      f,
      action(f, { allowed: PLATFORM }),
      values,
    );
    expect(error).toBeUndefined();
    expect(outputs.ou).toEqual({ id: f.ous.Sandbox, path: 'Sandbox' });
    const account = await expectCreatedOnce(
      f,
      values.email,
      values.accountName,
    );
    expect(await parentOf(f.client, account.Id!)).toBe(f.ous.Sandbox);
  });

  it('returns the same account when the step runs again (S7), without a second request', async () => {
    const f = awsFixture(sb);
    const values = input(f);
    const first = await run(f, action(f), values);
    expect(first.error).toBeUndefined();
    const second = await run(f, action(f), {
      ...values,
      email: values.email.toUpperCase(),
    });
    expect(second.error).toBeUndefined();
    expect(second.outputs.accountId).toBe(first.outputs.accountId);
    expect(second.outputs.outcome).toBe('existing');
    await expectCreatedOnce(f, values.email, values.accountName);
  });
});

describe("the environment's OU from config", () => {
  const environmentOus = { dev: 'Workloads/Dev', sandbox: 'Sandbox' };
  const byEnvironment = (f: AwsFixture, environment?: string) => {
    const { ou: _ou, tags, ...rest } = input(f);
    return {
      ...rest,
      ...(environment !== undefined && { environment }),
      tags: { 'cost-centre': tags['cost-centre'] },
    };
  };

  it('puts the account in the OU configured for its environment, tagged with it', async () => {
    const f = awsFixture(sb);
    const values = byEnvironment(f, 'dev');
    const { outputs, error } = await run(
      f,
      action(f, { environmentOus }),
      values,
    );
    expect(error).toBeUndefined();
    expect(outputs.ou).toEqual({
      id: f.ous['Workloads/Dev'],
      path: 'Workloads/Dev',
    });
    const account = await expectCreatedOnce(
      f,
      values.email,
      values.accountName,
    );
    expect(await parentOf(f.client, account.Id!)).toBe(f.ous['Workloads/Dev']);
    expect(await tagsOf(f.client, account.Id!)).toMatchObject({
      environment: 'dev',
    });
  });

  it("lets a team name only an environment's OU; any other OU is the platform team's, refused before AWS hears of it", async () => {
    const f = awsFixture(sb);
    // The OU above the environments' (other guardrails), and an
    // environment's OU by id where the config names it by path.
    const withOu = (ou: string) => {
      const values = byEnvironment(f);
      return {
        ...values,
        ou,
        tags: { ...values.tags, environment: 'sandbox' },
      };
    };
    for (const ou of ['Workloads', f.ous.Sandbox]) {
      const values = withOu(ou);
      const member = await run(f, action(f, { environmentOus }), values);
      expect(member.error?.name).toBe('NotAllowedError');
      expect(member.error?.message).toContain(
        `Only the platform team may put an account in OU "${ou}", which is no environment's OU in tenancy.aws.organizations.environmentOus`,
      );
      expect(await accountsWithEmail(f.client, values.email)).toHaveLength(0);
      expect(await sqlite.get(values.email)).toBeUndefined();
    }
    // An environment's OU tagged as another environment: an input error.
    const mixed = { ...withOu('Workloads/Dev') };
    const mixedRun = await run(f, action(f, { environmentOus }), mixed);
    expect(mixedRun.error?.name).toBe('InputError');
    expect(mixedRun.error?.message).toContain(
      'ou "Workloads/Dev" is not the OU of environment "sandbox" (Sandbox)',
    );
    expect(await accountsWithEmail(f.client, mixed.email)).toHaveLength(0);
    // The environment's OU as the config writes it: the team's own.
    const own = { ...byEnvironment(f, 'sandbox'), ou: 'Sandbox' };
    const ownRun = await run(f, action(f, { environmentOus }), own);
    expect(ownRun.error).toBeUndefined();
    expect(ownRun.outputs.ou).toEqual({ id: f.ous.Sandbox, path: 'Sandbox' });
    // The platform team may name any OU.
    const platform = withOu('Workloads');
    const platformRun = await run(
      f,
      action(f, { environmentOus, allowed: PLATFORM }),
      platform,
    );
    expect(platformRun.error).toBeUndefined();
    expect(
      await parentOf(
        f.client,
        (
          await accountsWithEmail(f.client, platform.email)
        )[0].Id!,
      ),
    ).toBe(f.ous.Workloads);
  });

  it('refuses, before any call to AWS, an environment without an OU, no environment at all, or a contradicting tag', async () => {
    const f = awsFixture(sb);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [
        byEnvironment(f, 'staging'),
        /Environment "staging" has no OU for accounts: set tenancy.aws.organizations.environmentOus.staging \(environments with one: dev, sandbox\)/,
      ],
      [
        byEnvironment(f),
        /Name the OU \(ou\) or the environment \(dev, sandbox\)/,
      ],
      [
        {
          ...byEnvironment(f, 'dev'),
          tags: { 'cost-centre': 'CC-1', environment: 'prod' },
        },
        /tags.environment "prod" contradicts environment "dev"/,
      ],
      [
        { ...byEnvironment(f, 'dev'), ou: 'Workloads/Prod' },
        /ou "Workloads\/Prod" is not the OU of environment "dev" \(Workloads\/Dev\); give one of them/,
      ],
      [
        byEnvironment(f, 'toString'),
        /Environment "toString" has no OU for accounts/,
      ],
    ];
    for (const [values, message] of cases) {
      const { error } = await run(f, action(f, { environmentOus }), values);
      expect(error?.name).toBe('InputError');
      expect(error?.message).toMatch(message);
      expect(
        await requestsNamed(f.client, values.accountName as string),
      ).toHaveLength(0);
    }
  });
});

describe('dry run', () => {
  it('validates, resolves the OU, checks the address and creates nothing', async () => {
    const f = awsFixture(sb);
    const values = input(f, {
      ou: 'Workloads/Dev',
      tags: { 'cost-centre': 'CC-1042', environment: 'dev' },
    });
    const { outputs, error, lines } = await run(f, action(f), values, {
      isDryRun: true,
    });
    expect(error).toBeUndefined();
    expect(outputs).toMatchObject({
      outcome: 'dry-run',
      ou: { id: f.ous['Workloads/Dev'], path: 'Workloads/Dev' },
    });
    expect(outputs.accountId).toBeUndefined();
    expect(lines.join('\n')).toMatch(/Dry run: would create account/);
    expect(await requestsNamed(f.client, values.accountName)).toHaveLength(0);
    expect(await accountsWithEmail(f.client, values.email)).toHaveLength(0);
    expect(await sqlite.get(values.email)).toBeUndefined();
  });

  it("fails like the real run on an unknown OU or another team's address", async () => {
    const f = awsFixture(sb);
    const unknownOu = await run(
      f,
      action(f, { allowed: PLATFORM }),
      input(f, { ou: 'Workloads/Nope' }),
      {
        isDryRun: true,
      },
    );
    expect(unknownOu.error?.name).toBe('InputError');

    const taken = input(f, { tenant: SEARCH });
    expect((await run(f, action(f), taken)).error).toBeUndefined();
    const dry = await run(
      f,
      action(f),
      { ...taken, tenant: PAYMENTS },
      {
        isDryRun: true,
      },
    );
    expect(dry.error?.name).toBe('ConflictError');
    expect(dry.error?.message).toMatch(/owned by group:default\/team-search/);
  });
});

// Who may request an account (the permission, team membership, audit) is
// proven against the real portal and the shipped policy in
// packages/backend/src/tenantEscape.process.test.ts.

describe("the portal's own AWS permissions", () => {
  it('names the missing iam:CreateServiceLinkedRole and frees the slot', async () => {
    const f = awsFixture(sb);
    await f.fault({
      type: 'error',
      operation: 'CreateAccount',
      error: 'AccessDeniedForDependencyException',
    });
    const values = input(f);
    const { error } = await run(f, action(f), values);
    expect(error?.name).toBe('NotAllowedError');
    expect(error?.message).toMatch(
      /iam:CreateServiceLinkedRole for organizations\.amazonaws\.com/,
    );
    expect(await sqlite.get(values.email)).toMatchObject({
      state: 'failed',
      slot: null,
    });
    expect(await accountsWithEmail(f.client, values.email)).toHaveLength(0);
  });
});

describe('input validation before any call (S8, S19, S18)', () => {
  it.each([
    ['a number for accountName', { accountName: 42 }],
    ['an unknown field', { region: 'eu-west-1' }],
    ['an empty email', { email: '' }],
    ['an empty tenant', { tenant: '' }],
    ['tags without cost-centre', { tags: { environment: 'prod' } }],
    [
      'a non-string tag value',
      { tags: { 'cost-centre': 'x', environment: 'prod', n: 1 } },
    ],
    ['an empty roleName', { roleName: '' }],
  ])('the input schema rejects %s (S8)', (_, override) => {
    const f = awsFixture(sb);
    const act = action(f);
    const result = validate({ ...input(f), ...override }, act.schema!.input!);
    expect(result.valid).toBe(false);
    expect(validate(input(f), act.schema!.input!).valid).toBe(true);
  });

  const tooManyTags = Object.fromEntries(
    Array.from({ length: 48 }, (_, i) => [`extra-${i}`, 'x']),
  );
  it.each([
    ['an empty account name', { accountName: '' }, /Account name/],
    ['a 51-character account name', { accountName: 'a'.repeat(51) }, /1 to 50/],
    [
      'an accented account name',
      { accountName: 'café-prod' },
      /printable ASCII/,
    ],
    [
      'a control character in the name',
      { accountName: 'prod\tx' },
      /printable ASCII/,
    ],
    ['an address without @', { email: 'not-an-email' }, /Email/],
    [
      'an address without a dot in the domain',
      { email: 'team@example' },
      /Email/,
    ],
    ['an address with a space', { email: 'te am@example.com' }, /Email/],
    ['a non-ASCII address', { email: 'tëam@example.com' }, /Email/],
    [
      'a 65-character address',
      { email: `${'a'.repeat(53)}@example.com` },
      /6 to 64/,
    ],
    [
      'a tag key with the aws: prefix',
      { tags: { 'cost-centre': 'x', environment: 'prod', 'aws:owner': 'x' } },
      /reserved prefix/,
    ],
    [
      'a 129-character tag key',
      {
        tags: {
          'cost-centre': 'x',
          environment: 'prod',
          ['k'.repeat(129)]: 'x',
        },
      },
      /1 to 128/,
    ],
    [
      'a 257-character tag value',
      { tags: { 'cost-centre': 'x'.repeat(257), environment: 'prod' } },
      /longer than 256/,
    ],
    [
      'a tag key with #',
      { tags: { 'cost-centre': 'x', environment: 'prod', 'team#': 'x' } },
      /may only contain/,
    ],
    [
      'a tag value with <',
      { tags: { 'cost-centre': '<script>', environment: 'prod' } },
      /may only contain/,
    ],
    [
      '51 tags',
      { tags: { 'cost-centre': 'x', environment: 'prod', ...tooManyTags } },
      /51 tags/,
    ],
    [
      'the tenant tag in tags',
      {
        tags: {
          'cost-centre': 'x',
          environment: 'prod',
          tenant: 'group:default/other',
        },
      },
      /set from the tenant/,
    ],
    [
      'an empty cost centre',
      { tags: { 'cost-centre': '', environment: 'prod' } },
      /cost-centre/,
    ],
    ['a role name with a space', { roleName: 'Admin Role' }, /Role name/],
    ['an OU path with an empty segment', { ou: 'Workloads//Prod' }, /OU/],
    ['an OU path with a leading slash', { ou: '/Workloads' }, /OU/],
    ['a malformed OU id', { ou: 'ou-BAD' }, /not a valid OU id/],
    ['a user as tenant', { tenant: 'user:default/alice' }, /must be a Group/],
  ])(
    'rejects %s with an InputError and no AWS call (S19)',
    async (_, override, message) => {
      const f = awsFixture(sb);
      const values = input(f, override);
      const { error } = await run(
        f,
        action(f, { allowed: [...CREATE, 'tenancy.platform.admin'] }),
        values,
      );
      expect(error?.name).toBe('InputError');
      expect(error?.message).toMatch(message);
      expect(f.credentials.calls).toBe(0);
    },
  );

  it.each([
    [
      'an OU path that does not exist',
      'Workloads/Staging',
      /no OU named "Staging" under Workloads/,
    ],
    ['an OU id that does not exist', 'ou-zzzz-zzzzzzzz', /does not exist/],
  ])('rejects %s before CreateAccount (S18)', async (_, ou, message) => {
    const f = awsFixture(sb);
    const values = input(f, { ou });
    // The platform team's: anyone else is refused before the OU is looked up.
    const { error } = await run(f, action(f, { allowed: PLATFORM }), values);
    expect(error?.name).toBe('InputError');
    expect(error?.message).toMatch(message);
    expect(await requestsNamed(f.client, values.accountName)).toHaveLength(0);
    expect(await sqlite.get(values.email)).toBeUndefined();
  });
});

describe('an address already in use (S9)', () => {
  it("refuses another team's account, naming it, without CreateAccount", async () => {
    const f = awsFixture(sb);
    const theirs = input(f, { tenant: SEARCH });
    const created = await run(f, action(f), theirs);
    expect(created.error).toBeUndefined();

    const mine = input(f, { email: theirs.email });
    const { error } = await run(f, action(f), mine);
    expect(error?.name).toBe('ConflictError');
    expect(error?.message).toContain(String(created.outputs.accountId));
    expect(error?.message).toMatch(/owned by group:default\/team-search/);
    expect(await requestsNamed(f.client, mine.accountName)).toHaveLength(0);
    expect(await accountsWithEmail(f.client, theirs.email)).toHaveLength(1);
  });

  it('refuses an account without a tenant tag', async () => {
    const f = awsFixture(sb);
    const values = input(f);
    await f.client.send(
      new CreateAccountCommand({
        Email: values.email,
        AccountName: 'untagged',
      }),
    );
    const { error } = await run(f, action(f), values);
    expect(error?.name).toBe('ConflictError');
    expect(error?.message).toMatch(/carries no tenant tag/);
    expect(await requestsNamed(f.client, values.accountName)).toHaveLength(0);
  });

  it('ends EMAIL_ALREADY_EXISTS from outside the organization with a clear error, not retried', async () => {
    const f = awsFixture(sb);
    await f.fault({
      type: 'create-account-failure',
      reason: 'EMAIL_ALREADY_EXISTS',
      polls: 1,
    });
    const values = input(f);
    const { error } = await run(f, action(f), values);
    expect(error?.name).toBe('ConflictError');
    expect(error?.message).toMatch(
      /EMAIL_ALREADY_EXISTS.*outside this organization/,
    );
    expect(await requestsNamed(f.client, values.accountName)).toHaveLength(1);
    expect(await sqlite.get(values.email)).toMatchObject({
      state: 'failed',
      slot: null,
    });
  });
});

describe('CONCURRENT_ACCOUNT_MODIFICATION (S10)', () => {
  it('follows the request already in flight and never sends a second CreateAccount', async () => {
    const f = awsFixture(sb);
    const values = input(f);
    // Another request for the same address, under another name, is in
    // flight (from another portal, say) and will take three polls.
    await f.fault({ type: 'create-account-in-progress', polls: 3 });
    await f.client.send(
      new CreateAccountCommand({
        Email: values.email,
        AccountName: `${values.accountName}-other`,
        Tags: [{ Key: 'tenant', Value: PAYMENTS }],
      }),
    );
    await f.fault({
      type: 'create-account-failure',
      reason: 'CONCURRENT_ACCOUNT_MODIFICATION',
    });

    const { error, outputs, lines } = await run(f, action(f), values);
    expect(error).toBeUndefined();
    expect(lines.join('\n')).toMatch(
      /CONCURRENT_ACCOUNT_MODIFICATION.*following the requests in flight/,
    );
    expect(await requestsNamed(f.client, values.accountName)).toHaveLength(1);
    const accounts = await accountsWithEmail(f.client, values.email);
    expect(accounts).toHaveLength(1);
    expect(outputs.accountId).toBe(accounts[0].Id);
    expect(await parentOf(f.client, accounts[0].Id!)).toBe(
      f.ous['Workloads/Prod'],
    );
  });

  it('fails without a second request when nothing appears', async () => {
    const f = awsFixture(sb);
    await f.fault({
      type: 'create-account-failure',
      reason: 'CONCURRENT_ACCOUNT_MODIFICATION',
    });
    const values = input(f);
    const { error } = await run(f, action(f), values);
    expect(error?.message).toMatch(/no second request was sent/);
    expect(await requestsNamed(f.client, values.accountName)).toHaveLength(1);
    expect(await accountsWithEmail(f.client, values.email)).toHaveLength(0);
  });
});

describe.each(databaseIds())('on %s', databaseId => {
  let knex: Knex;
  let store: AccountRequestStore;
  beforeAll(async () => {
    knex = await databases.init(databaseId);
    store = await storeOn(knex);
  });

  describe('a crash right after CreateAccount (S11)', () => {
    it.each([
      ['succeeded at once', 0],
      ['still in progress', 3],
    ])(
      'a rerun finds the request it %s and creates one account',
      async (_, polls) => {
        const f = awsFixture(sb);
        if (polls) await f.fault({ type: 'create-account-in-progress', polls });
        const values = input(f);
        const taskId = `task-${values.accountName}`;
        let crashes = 1;
        const hooks: VendingHooks = {
          async afterCreateAccount() {
            if (crashes-- > 0)
              throw new Error(
                'simulated crash before the request id was saved',
              );
          },
        };

        const first = await run(f, action(f, { store, hooks }), values, {
          taskId,
        });
        expect(first.error?.message).toMatch(/simulated crash/);
        expect(await store.get(values.email)).toMatchObject({
          state: 'creating',
          requestId: null,
        });

        // The rerun's checkpoints are empty: the crash lost them too.
        const rerun = await run(f, action(f, { store, hooks }), values, {
          taskId,
        });
        expect(rerun.error).toBeUndefined();
        const account = await expectCreatedOnce(
          f,
          values.email,
          values.accountName,
        );
        expect(rerun.outputs.accountId).toBe(account.Id);
        expect(await parentOf(f.client, account.Id!)).toBe(
          f.ous['Workloads/Prod'],
        );
        expect(await store.get(values.email)).toMatchObject({
          state: 'done',
          slot: null,
        });
      },
    );

    it('a rerun by another task after the lease lapsed recovers the same way', async () => {
      const f = awsFixture(sb);
      const values = input(f);
      let crashes = 1;
      const hooks: VendingHooks = {
        async afterCreateAccount() {
          if (crashes-- > 0) throw new Error('simulated crash');
        },
      };
      const timing = { leaseMs: 200 };
      expect(
        (await run(f, action(f, { store, hooks, timing }), values)).error,
      ).toBeDefined();
      await new Promise(r => setTimeout(r, 250));
      const other = await run(f, action(f, { store, hooks, timing }), values);
      expect(other.error).toBeUndefined();
      await expectCreatedOnce(f, values.email, values.accountName);
    });
  });

  describe('two tasks for one address at the same time (acceptance 3)', () => {
    it('end with one account, which both report', async () => {
      const f = awsFixture(sb);
      await f.fault({ type: 'create-account-in-progress', polls: 3 });
      const values = input(f);
      // Two replicas: each its own store and action on the same database.
      const other = await storeOn(knex);
      const [a, b] = await Promise.all([
        run(f, action(f, { store }), values),
        run(f, action(f, { store: other }), values),
      ]);
      expect(a.error).toBeUndefined();
      expect(b.error).toBeUndefined();
      expect(a.outputs.accountId).toBe(b.outputs.accountId);
      expect([a.outputs.outcome, b.outputs.outcome].sort()).toEqual([
        'created',
        'existing',
      ]);
      await expectCreatedOnce(f, values.email, values.accountName);
    });
  });

  describe('more requests than the organization allows in progress (S16)', () => {
    it('queues a request while the slots are held, then creates it', async () => {
      const f = awsFixture(sb);
      // Another replica holds the only slot.
      const holder = `${f.unique().email}`;
      const claimed = await store.tryClaim({
        email: holder,
        tenant: SEARCH,
        accountName: 'elsewhere',
        owner: 'replica-b/task',
        leaseMs: 30_000,
      });
      expect(claimed.claimed).toBe(true);
      expect(await store.tryTakeSlot(holder, 'replica-b/task', 1, 30_000)).toBe(
        true,
      );

      const values = input(f);
      const pending = run(
        f,
        action(f, { store, maxConcurrentCreates: 1 }),
        values,
      );
      let queuedFor = 0;
      while (!(await store.get(values.email)) && queuedFor < 5000) {
        await new Promise(r => setTimeout(r, 20));
        queuedFor += 20;
      }
      await new Promise(r => setTimeout(r, 300));
      expect(await store.get(values.email)).toMatchObject({
        state: 'queued',
        slot: null,
      });
      expect(await requestsNamed(f.client, values.accountName)).toHaveLength(0);

      await store.markFailed(holder, 'replica-b/task', 'done elsewhere');
      const { error, lines } = await pending;
      expect(error).toBeUndefined();
      expect(lines.join('\n')).toMatch(/Queued: 1 account creation/);
      await expectCreatedOnce(f, values.email, values.accountName);
    });

    it('never has more than the limit in progress, and completes every request', async () => {
      const f = awsFixture(sb);
      await f.fault({ type: 'create-account-in-progress', polls: 3, times: 3 });
      const all = [input(f), input(f), input(f)];
      let max = 0;
      let done = false;
      const sampler = (async () => {
        while (!done) {
          max = Math.max(max, (await store.inProgress()).length);
          await new Promise(r => setTimeout(r, 5));
        }
      })();
      const results = await Promise.all(
        all.map(values =>
          run(f, action(f, { store, maxConcurrentCreates: 2 }), values),
        ),
      );
      done = true;
      await sampler;
      expect(results.map(r => r.error)).toEqual([
        undefined,
        undefined,
        undefined,
      ]);
      expect(max).toBeGreaterThan(0);
      expect(max).toBeLessThanOrEqual(2);
      for (const values of all) {
        await expectCreatedOnce(f, values.email, values.accountName);
      }
    });
  });
});

describe('IN_PROGRESS for a long time (S12)', () => {
  it('polls with backoff until the request succeeds', async () => {
    const f = awsFixture(sb);
    await f.fault({ type: 'create-account-in-progress', polls: 4 });
    const values = input(f);
    const { error, lines } = await run(f, action(f), values);
    expect(error).toBeUndefined();
    expect(lines.join('\n')).toMatch(/IN_PROGRESS; checking again/);
    await expectCreatedOnce(f, values.email, values.accountName);
    expect((await sb.faults().list()).requests).toEqual(
      expect.not.arrayContaining([
        expect.objectContaining({ accountName: values.accountName }),
      ]),
    );
  });

  it('stops at the deadline with a resumable error; a rerun resumes the same request', async () => {
    const f = awsFixture(sb);
    await f.fault({ type: 'create-account-in-progress', polls: 25 });
    const values = input(f);
    const taskId = `task-${values.accountName}`;
    const checkpoints = new CheckpointStore();
    const first = await run(f, action(f, { pollDeadlineSeconds: 1 }), values, {
      taskId,
      checkpoints,
    });
    expect(first.error?.name).toBe('ServiceUnavailableError');
    expect(first.error?.message).toMatch(
      /still creating the account \(request car-\w+ IN_PROGRESS\).*retry the task/,
    );

    const rerun = await run(f, action(f, { pollDeadlineSeconds: 20 }), values, {
      taskId,
      checkpoints,
    });
    expect(rerun.error).toBeUndefined();
    expect(rerun.lines.join('\n')).toMatch(/Resuming account request car-/);
    await expectCreatedOnce(f, values.email, values.accountName);
  });

  it('a rerun of a finished step (task recovery) takes TagResource from its checkpoint, and no CreateAccount is sent', async () => {
    const f = awsFixture(sb);
    const values = input(f);
    const taskId = `task-${values.accountName}`;
    const checkpoints = new CheckpointStore();
    const first = await run(f, action(f), values, { taskId, checkpoints });
    expect(first.error).toBeUndefined();
    // From now on every AWS write is refused: the rerun must take each one
    // (CreateAccount, MoveAccount, TagResource) from its checkpoint.
    for (const operation of ['CreateAccount', 'MoveAccount', 'TagResource']) {
      await f.fault({
        type: 'error',
        operation,
        error: 'AccessDeniedException',
        message: `${operation} must not be sent again`,
        sticky: true,
      });
    }
    const rerun = await run(f, action(f), values, { taskId, checkpoints });
    expect(rerun.error).toBeUndefined();
    expect(rerun.outputs.accountId).toBe(first.outputs.accountId);
    await expectCreatedOnce(f, values.email, values.accountName);
  });

  it('retries MoveAccount and TagResource while the new account is not usable yet', async () => {
    const f = awsFixture(sb);
    await f.fault({
      type: 'error',
      operation: 'MoveAccount',
      error: 'AccountNotFoundException',
      times: 2,
    });
    await f.fault({
      type: 'error',
      operation: 'TagResource',
      error: 'TargetNotFoundException',
      times: 2,
    });
    const values = input(f);
    const { error, outputs } = await run(f, action(f), values);
    expect(error).toBeUndefined();
    expect(await parentOf(f.client, String(outputs.accountId))).toBe(
      f.ous['Workloads/Prod'],
    );
    expect((await tagsOf(f.client, String(outputs.accountId))).tenant).toBe(
      PAYMENTS,
    );
    const left = (await sb.faults().list()).rules.filter(
      r => r.rule.match?.accessKeyId === f.accessKeyId,
    );
    expect(left).toEqual([]);
  });
});

describe('limits (S13)', () => {
  it('fails fast on ACCOUNT_LIMIT_EXCEEDED, naming the limit', async () => {
    const f = awsFixture(sb);
    await f.fault({
      type: 'create-account-failure',
      reason: 'ACCOUNT_LIMIT_EXCEEDED',
      sticky: true,
    });
    const values = input(f);
    const { error } = await run(f, action(f), values);
    expect(error?.name).toBe('ConflictError');
    expect(error?.message).toMatch(
      /because of a limit: ACCOUNT_LIMIT_EXCEEDED.*maximum number of accounts/,
    );
    expect(await requestsNamed(f.client, values.accountName)).toHaveLength(1);
    expect(await sqlite.get(values.email)).toMatchObject({
      state: 'failed',
      slot: null,
    });
  });

  it('fails fast on a ConstraintViolationException from CreateAccount (creation rate)', async () => {
    const f = awsFixture(sb);
    await f.fault({
      type: 'error',
      operation: 'CreateAccount',
      error: 'ConstraintViolationException',
      message:
        'ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED: You have exceeded the allowed account creation rate.',
      times: 5,
    });
    const values = input(f);
    const { error } = await run(f, action(f), values);
    expect(error?.name).toBe('ConflictError');
    expect(error?.message).toMatch(
      /because of a limit.*ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED/,
    );
    const [rule] = (await sb.faults().list()).rules.filter(
      r => r.rule.match?.accessKeyId === f.accessKeyId,
    );
    expect(rule).toMatchObject({ applied: 1, remaining: 4 });
  });
});

describe('INTERNAL_FAILURE (S14)', () => {
  it('sends a new request a bounded number of times, then succeeds', async () => {
    const f = awsFixture(sb);
    await f.fault({
      type: 'create-account-failure',
      reason: 'INTERNAL_FAILURE',
      times: 2,
    });
    const values = input(f);
    const { error, lines } = await run(f, action(f), values);
    expect(error).toBeUndefined();
    expect(lines.filter(l => /INTERNAL_FAILURE/.test(l))).toHaveLength(2);
    expect(await requestsNamed(f.client, values.accountName)).toHaveLength(3);
    expect(await accountsWithEmail(f.client, values.email)).toHaveLength(1);
  });

  it('gives up after the bound', async () => {
    const f = awsFixture(sb);
    await f.fault({
      type: 'create-account-failure',
      reason: 'INTERNAL_FAILURE',
      sticky: true,
    });
    const values = input(f);
    const { error } = await run(f, action(f), values);
    expect(error?.name).toBe('ServiceUnavailableError');
    expect(error?.message).toMatch(/INTERNAL_FAILURE 3 times/);
    expect(await requestsNamed(f.client, values.accountName)).toHaveLength(3);
    expect(await accountsWithEmail(f.client, values.email)).toHaveLength(0);
  });
});

describe('throttling (S15)', () => {
  it('backs off with jitter on TooManyRequestsException from any call', async () => {
    const f = awsFixture(sb);
    await f.fault({
      type: 'error',
      operation: '*',
      error: 'TooManyRequestsException',
      times: 4,
    });
    await f.fault({
      type: 'error',
      operation: 'CreateAccount',
      error: 'TooManyRequestsException',
      times: 2,
    });
    const values = input(f);
    const { error, lines } = await run(f, action(f), values);
    expect(error).toBeUndefined();
    expect(
      lines.filter(l => /throttled/.test(l)).length,
    ).toBeGreaterThanOrEqual(4);
    await expectCreatedOnce(f, values.email, values.accountName);
  });

  it('gives up after a bounded number of attempts; nothing is created', async () => {
    const f = awsFixture(sb);
    await f.fault({
      type: 'error',
      operation: 'CreateAccount',
      error: 'TooManyRequestsException',
      sticky: true,
    });
    const values = input(f);
    const { error } = await run(f, action(f), values);
    expect(error?.name).toBe('ServiceUnavailableError');
    expect(error?.message).toMatch(/throttled CreateAccount 5 times/);
    const [rule] = (await sb.faults().list()).rules.filter(
      r => r.rule.match?.accessKeyId === f.accessKeyId,
    );
    expect(rule.applied).toBe(5);
    expect(await accountsWithEmail(f.client, values.email)).toHaveLength(0);
    expect(await sqlite.get(values.email)).toMatchObject({
      state: 'failed',
      slot: null,
    });
  });
});

describe('a failure reason nobody knows (S17)', () => {
  it('is reported verbatim and not retried', async () => {
    const f = awsFixture(sb);
    await f.fault({
      type: 'create-account-failure',
      reason: 'QUANTUM_FLUX_MISALIGNED',
      sticky: true,
    });
    const values = input(f);
    const { error } = await run(f, action(f), values);
    expect(error?.message).toMatch(/FailureReason "QUANTUM_FLUX_MISALIGNED"/);
    expect(await requestsNamed(f.client, values.accountName)).toHaveLength(1);
  });
});

describe('MoveAccount after it already succeeded (S18)', () => {
  it('takes DuplicateAccountException as success', async () => {
    const f = awsFixture(sb);
    await f.fault({
      type: 'error',
      operation: 'MoveAccount',
      error: 'DuplicateAccountException',
      times: 3,
    });
    const values = input(f);
    const { error, outputs } = await run(f, action(f), values);
    expect(error).toBeUndefined();
    expect(outputs.outcome).toBe('created');
    const [rule] = (await sb.faults().list()).rules.filter(
      r => r.rule.match?.accessKeyId === f.accessKeyId,
    );
    expect(rule).toMatchObject({ applied: 1, remaining: 2 });
  });
});

describe('secrets (S5)', () => {
  it('keeps credentials and request dumps out of logs, outputs and errors on every path', async () => {
    const f = awsFixture(sb);
    await f.fault({
      type: 'error',
      operation: '*',
      error: 'TooManyRequestsException',
      times: 2,
    });
    await f.fault({
      type: 'create-account-failure',
      reason: 'INTERNAL_FAILURE',
    });
    await f.fault({
      type: 'error',
      operation: 'MoveAccount',
      error: 'AccessDeniedException',
      status: 403,
    });
    const values = input(f);
    // run() checks every line, output and the error for the key, the
    // secret and signed-request fragments.
    const { error, lines } = await run(f, action(f), values);
    expect(error?.name).toBe('NotAllowedError');
    expect(error?.message).toMatch(/organizations:MoveAccount/);
    expect(lines.length).toBeGreaterThan(3);
  });
});
