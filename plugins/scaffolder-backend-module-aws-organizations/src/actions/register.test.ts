import { awsFixture, AwsFixture } from '@tenancy/test-utils';
import { awsAccountEntityRef } from '@tenancy/plugin-tenancy-node';
import { registerAction } from './__testUtils__/registerAction';
import { runAction } from './__testUtils__/runAction';
import { accountOf, awsSandbox, PAYMENTS } from './__testUtils__/sandbox';

jest.setTimeout(60_000);

const sb = awsSandbox();

async function setup(f: AwsFixture, options: { provider?: boolean } = {}) {
  const { act, events, connection } = await registerAction(f, {
    allowed: ['tenancy.aws.account.create'],
    ...options,
  });
  const publish = jest.spyOn(events, 'publish');
  return { act, publish, connection };
}

function run(
  act: Awaited<ReturnType<typeof setup>>['act'],
  values: Record<string, unknown>,
  isDryRun = false,
) {
  return runAction(act, values, { isDryRun });
}

describe('aws:organizations:account:register', () => {
  it("puts the team's account in the catalog as a Resource it owns, and waits for it", async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, 'reg', PAYMENTS);
    const { act, connection } = await setup(f);
    const { error, outputs } = await run(act, { accountId, tenant: PAYMENTS });
    expect(error).toBeUndefined();
    expect(outputs.entityRef).toBe(`resource:default/aws-account-${accountId}`);
    const entity = connection.entities.get(awsAccountEntityRef(accountId));
    expect(entity?.kind).toBe('Resource');
    expect(entity?.spec).toEqual({ type: 'cloud-account', owner: PAYMENTS });
  });

  it("refuses an account AWS says is another team's, announcing nothing", async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, 'reg', 'group:default/team-search');
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
    const accountId = await accountOf(f, 'reg', PAYMENTS);
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
    const accountId = await accountOf(f, 'reg', PAYMENTS);
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
