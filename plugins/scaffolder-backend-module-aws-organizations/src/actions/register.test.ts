import { CreateAccountCommand } from '@aws-sdk/client-organizations';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { EventsService } from '@backstage/plugin-events-node';
import {
  awsFixture,
  AwsFixture,
  capturingContext,
  FakeConnection,
  FAST,
  memberOf,
  permissionsAllowing,
  connectToSandbox,
  seedUserInfo,
} from '@tenancy/test-utils';
import { AwsAccountEntityProvider } from '@tenancy/plugin-catalog-backend-module-aws-organizations';
import { createRegisterAwsAccountAction } from './register';
import { awsAccountEntityRef } from '@tenancy/plugin-tenancy-node';

jest.setTimeout(60_000);

const sb = connectToSandbox();
afterEach(() => sb.cleanup());

const PAYMENTS = 'group:default/team-payments';

/**
 * The register action against a catalog fed by the real account provider:
 * its events reach the provider, whose mutations are what the catalog
 * serves. (The real catalog is exercised in module.test.ts.)
 */
async function setup(f: AwsFixture, options: { provider?: boolean } = {}) {
  const events: EventsService = mockServices.events();
  const connection = new FakeConnection();
  if (options.provider ?? true) {
    const provider = AwsAccountEntityProvider.fromConfig(f.config, {
      logger: mockServices.logger.mock(),
      scheduler: mockServices.scheduler.mock(),
      events,
      credentialsManager: f.credentials,
    });
    await provider.connect(connection);
  }
  const catalog = catalogServiceMock.mock({
    getEntityByRef: jest.fn(async ref => connection.entities.get(String(ref))),
  });
  const publish = jest.spyOn(events, 'publish');
  const act = createRegisterAwsAccountAction({
    auth: mockServices.auth(),
    permissions: permissionsAllowing(['tenancy.aws.account.create']),
    userInfo: seedUserInfo(),
    auditor: mockServices.auditor.mock(),
    clients: f.clients,
    catalog,
    events,
    timing: FAST,
    catalogPollMs: 20,
  });
  return { act, publish, connection };
}

async function accountOf(f: AwsFixture, tenant: string) {
  const { email, accountName } = f.unique('reg');
  const res = await f.client.send(
    new CreateAccountCommand({
      Email: email,
      AccountName: accountName,
      Tags: [{ Key: 'tenant', Value: tenant }],
    }),
  );
  return res.CreateAccountStatus!.AccountId!;
}

async function run(
  act: Awaited<ReturnType<typeof setup>>['act'],
  values: Record<string, unknown>,
  isDryRun = false,
) {
  const c = capturingContext(values as any, {
    user: memberOf(PAYMENTS),
    isDryRun,
  });
  const error = await act.handler(c.ctx as any).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  return { ...c, error };
}

describe('aws:organizations:account:register', () => {
  it("puts the team's account in the catalog as a Resource it owns, and waits for it", async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, PAYMENTS);
    const { act, connection } = await setup(f);
    const { error, outputs } = await run(act, { accountId, tenant: PAYMENTS });
    expect(error).toBeUndefined();
    expect(outputs.entityRef).toBe(`resource:default/aws-account-${accountId}`);
    const entity = connection.entities.get(awsAccountEntityRef(accountId));
    expect(entity?.kind).toBe('Resource');
    expect(entity?.spec).toEqual({ type: 'aws-account', owner: PAYMENTS });
  });

  it("refuses an account AWS says is another team's, announcing nothing", async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, 'group:default/team-search');
    const { act, publish } = await setup(f);
    const { error } = await run(act, { accountId, tenant: PAYMENTS });
    expect(error?.name).toBe('NotAllowedError');
    expect(error?.message).toMatch(
      /not tagged as group:default\/team-payments's/,
    );
    expect(publish).not.toHaveBeenCalled();
  });

  it('fails with a clear message when the catalog never lists the account', async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, PAYMENTS);
    const { act, publish } = await setup(f, { provider: false });
    const { error } = await run(act, {
      accountId,
      tenant: PAYMENTS,
      waitSeconds: 1,
    });
    expect(publish).toHaveBeenCalledTimes(1);
    expect(error?.name).toBe('ServiceUnavailableError');
    expect(error?.message).toMatch(
      /did not list resource:default\/aws-account-\d{12} within 1 s/,
    );
  });

  it('announces nothing in a dry run', async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, PAYMENTS);
    const { act, publish } = await setup(f);
    const { error, outputs } = await run(
      act,
      { accountId, tenant: PAYMENTS },
      true,
    );
    expect(error).toBeUndefined();
    expect(outputs.entityRef).toBe(awsAccountEntityRef(accountId));
    expect(publish).not.toHaveBeenCalled();
  });

  it('answers NotFoundError for an account outside the organization', async () => {
    const f = awsFixture(sb);
    const { act } = await setup(f);
    const { error } = await run(act, {
      accountId: '000000000002',
      tenant: PAYMENTS,
    });
    expect(error?.name).toBe('NotFoundError');
  });
});
