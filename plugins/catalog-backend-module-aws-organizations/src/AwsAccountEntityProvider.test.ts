import {
  CloseAccountCommand,
  CreateAccountCommand,
} from '@aws-sdk/client-organizations';
import { mockServices } from '@backstage/backend-test-utils';
import {
  awsFixture,
  AwsFixture,
  FakeConnection,
  connectToSandbox,
} from '@tenancy/test-utils';
import { AwsAccountEntityProvider } from './AwsAccountEntityProvider';
import {
  AWS_ACCOUNT_EVENT_TOPIC,
  awsAccountEntityRef,
} from '@tenancy/plugin-tenancy-node';

jest.setTimeout(60_000);

const sb = connectToSandbox();
afterEach(() => sb.cleanup());

async function account(f: AwsFixture, tags: Record<string, string>) {
  const { email, accountName } = f.unique('prov');
  const res = await f.client.send(
    new CreateAccountCommand({
      Email: email,
      AccountName: accountName,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  return { id: res.CreateAccountStatus!.AccountId!, accountName };
}

async function connected(f: AwsFixture) {
  const events = mockServices.events();
  const scheduler = mockServices.scheduler.mock();
  const provider = AwsAccountEntityProvider.fromConfig(f.config, {
    logger: mockServices.logger.mock(),
    scheduler,
    events,
    credentialsManager: f.credentials,
  });
  const connection = new FakeConnection();
  await provider.connect(connection);
  return { provider, connection, events, scheduler };
}

describe('AwsAccountEntityProvider', () => {
  it('lists active tenant accounts as Resources owned by the tenant, and nothing else', async () => {
    const f = awsFixture(sb);
    const owned = await account(f, {
      tenant: 'group:default/team-payments',
      environment: 'prod',
      'cost-centre': 'CC-1042',
    });
    const untagged = await account(f, {});
    const bogus = await account(f, { tenant: 'not a ref!' });
    const closed = await account(f, { tenant: 'group:default/team-search' });
    await f.client.send(new CloseAccountCommand({ AccountId: closed.id }));

    const { provider, connection, scheduler } = await connected(f);
    expect(scheduler.scheduleTask).toHaveBeenCalledWith(
      expect.objectContaining({
        id: 'tenancy-aws-organizations-accounts:refresh',
        frequency: { minutes: 30 },
      }),
    );
    await provider.refresh();

    expect(connection.mutations[0].type).toBe('full');
    const entity = connection.entities.get(awsAccountEntityRef(owned.id));
    expect(entity).toEqual({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: `aws-account-${owned.id}`,
        title: owned.accountName,
        description: expect.stringContaining(owned.id),
        annotations: expect.objectContaining({
          'amazonaws.com/account-id': owned.id,
          'amazonaws.com/arn': expect.stringContaining(owned.id),
          'amazonaws.com/organization-id':
            sb.state.aws.organization.organizationId,
          'tenancy.dev/environment': 'prod',
          'tenancy.dev/cost-centre': 'CC-1042',
          'backstage.io/managed-by-location': expect.stringMatching(
            /^tenancy-aws-organizations-accounts:arn:aws:organizations::/,
          ),
        }),
        // Backstage's AWS Organizations processor sets the same label.
        labels: { 'amazonaws.com/account-status': 'active' },
        tags: ['aws'],
        links: [
          {
            url: `https://console.aws.amazon.com/organizations/v2/home/accounts/${owned.id}`,
            title: 'AWS Organizations console',
          },
        ],
      },
      spec: { type: 'cloud-account', owner: 'group:default/team-payments' },
    });
    for (const other of [untagged, bogus, closed]) {
      expect(connection.entities.has(awsAccountEntityRef(other.id))).toBe(
        false,
      );
    }
  });

  it('applies an account announced on the events topic as a delta, and removes it once closed', async () => {
    const f = awsFixture(sb);
    const { connection, events } = await connected(f);
    const owned = await account(f, { tenant: 'group:default/team-checkout' });

    await events.publish({
      topic: AWS_ACCOUNT_EVENT_TOPIC,
      eventPayload: { accountId: owned.id },
    });
    expect(connection.mutations).toEqual([
      expect.objectContaining({ type: 'delta', removed: [] }),
    ]);
    expect(
      connection.entities.get(awsAccountEntityRef(owned.id))?.spec?.owner,
    ).toBe('group:default/team-checkout');

    await f.client.send(new CloseAccountCommand({ AccountId: owned.id }));
    await events.publish({
      topic: AWS_ACCOUNT_EVENT_TOPIC,
      eventPayload: { accountId: owned.id },
    });
    expect(connection.entities.has(awsAccountEntityRef(owned.id))).toBe(false);

    // Garbage on the topic changes nothing.
    await events.publish({
      topic: AWS_ACCOUNT_EVENT_TOPIC,
      eventPayload: { accountId: '../../etc' },
    });
    expect(connection.mutations).toHaveLength(2);
  });
});
