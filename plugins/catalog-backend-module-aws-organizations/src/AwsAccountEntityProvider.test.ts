import {
  CloseAccountCommand,
  CreateAccountCommand,
  MoveAccountCommand,
} from '@aws-sdk/client-organizations';
import { mockServices } from '@backstage/backend-test-utils';
import {
  awsFixture,
  AwsFixture,
  FakeConnection,
  FAST,
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

async function moveTo(f: AwsFixture, accountId: string, ouPath: string) {
  await f.client.send(
    new MoveAccountCommand({
      AccountId: accountId,
      SourceParentId: f.rootId,
      DestinationParentId: f.ous[ouPath],
    }),
  );
}

async function connected(f: AwsFixture) {
  const events = mockServices.events();
  const scheduler = mockServices.scheduler.mock();
  const logger = mockServices.logger.mock();
  const provider = AwsAccountEntityProvider.fromConfig(f.config, {
    logger,
    scheduler,
    events,
    credentialsManager: f.credentials,
    timing: FAST,
  });
  const connection = new FakeConnection();
  await provider.connect(connection);
  return { provider, connection, events, scheduler, logger };
}

const STATUS_LABEL = 'amazonaws.com/account-status';
const OU_ANNOTATION = 'tenancy.dev/organizational-unit';

describe('AwsAccountEntityProvider', () => {
  it("lists tenant accounts as Resources owned by the tenant, with their OU's name and state, and nothing else", async () => {
    const f = awsFixture(sb);
    const owned = await account(f, {
      tenant: 'group:default/team-payments',
      environment: 'prod',
      'cost-centre': 'CC-1042',
    });
    await moveTo(f, owned.id, 'Workloads/Prod');
    const sibling = await account(f, { tenant: 'group:default/team-search' });
    await moveTo(f, sibling.id, 'Workloads/Prod');
    const atRoot = await account(f, { tenant: 'group:default/team-search' });
    const untagged = await account(f, {});
    const bogus = await account(f, { tenant: 'not a ref!' });
    const closed = await account(f, { tenant: 'group:default/team-search' });
    await moveTo(f, closed.id, 'Workloads/Dev');
    // moto, unlike AWS, skips PENDING_CLOSURE: CloseAccount makes both
    // State and Status SUSPENDED at once.
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
          // The name of the OU it is directly in, not its path.
          'tenancy.dev/organizational-unit': 'Prod',
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
    const entityOf = (id: string) =>
      connection.entities.get(awsAccountEntityRef(id));
    expect(entityOf(sibling.id)?.metadata.annotations?.[OU_ANNOTATION]).toBe(
      'Prod',
    );
    expect(entityOf(atRoot.id)?.metadata.annotations?.[OU_ANNOTATION]).toBe(
      'Root',
    );
    // A closed account stays, marked as such, while AWS keeps it SUSPENDED.
    expect(entityOf(closed.id)?.metadata.labels).toEqual({
      [STATUS_LABEL]: 'suspended',
    });
    expect(entityOf(closed.id)?.metadata.annotations?.[OU_ANNOTATION]).toBe(
      'Dev',
    );
    expect(entityOf(closed.id)?.spec?.owner).toBe('group:default/team-search');
    for (const other of [untagged, bogus]) {
      expect(entityOf(other.id)).toBeUndefined();
    }
  });

  it('applies an account announced on the events topic as a delta: added, then marked suspended once closed, then removed once gone', async () => {
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

    expect(
      connection.entities.get(awsAccountEntityRef(owned.id))?.metadata.labels,
    ).toEqual({ [STATUS_LABEL]: 'active' });

    // What the close action announces once AWS reports the account closed.
    await f.client.send(new CloseAccountCommand({ AccountId: owned.id }));
    await events.publish({
      topic: AWS_ACCOUNT_EVENT_TOPIC,
      eventPayload: { accountId: owned.id },
    });
    expect(connection.mutations[1]).toEqual(
      expect.objectContaining({ type: 'delta', removed: [] }),
    );
    expect(
      connection.entities.get(awsAccountEntityRef(owned.id))?.metadata.labels,
    ).toEqual({ [STATUS_LABEL]: 'suspended' });

    // An account AWS does not know (any more) leaves the catalog.
    const gone = '000000000001';
    connection.entities.set(awsAccountEntityRef(gone), {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: { name: `aws-account-${gone}` },
    });
    await events.publish({
      topic: AWS_ACCOUNT_EVENT_TOPIC,
      eventPayload: { accountId: gone },
    });
    expect(connection.mutations[2]).toEqual({
      type: 'delta',
      added: [],
      removed: [
        {
          entityRef: awsAccountEntityRef(gone),
          locationKey: `tenancy-aws-organizations-accounts:${gone}`,
        },
      ],
    });
    expect(connection.entities.has(awsAccountEntityRef(gone))).toBe(false);

    // Garbage on the topic changes nothing.
    await events.publish({
      topic: AWS_ACCOUNT_EVENT_TOPIC,
      eventPayload: { accountId: '../../etc' },
    });
    expect(connection.mutations).toHaveLength(3);
  });

  it.each(['ListParents', 'DescribeOrganizationalUnit'])(
    'keeps an account whose OU cannot be read (%s throttled past every retry), without the OU',
    async operation => {
      const f = awsFixture(sb);
      const { connection, events, logger } = await connected(f);
      const owned = await account(f, {
        tenant: 'group:default/team-checkout',
      });
      await moveTo(f, owned.id, 'Workloads/Dev');
      await f.fault({
        type: 'error',
        operation,
        error: 'TooManyRequestsException',
        message: 'Rate exceeded',
        sticky: true,
      });

      await events.publish({
        topic: AWS_ACCOUNT_EVENT_TOPIC,
        eventPayload: { accountId: owned.id },
      });
      const entity = connection.entities.get(awsAccountEntityRef(owned.id));
      expect(entity?.spec?.owner).toBe('group:default/team-checkout');
      expect(entity?.metadata.labels).toEqual({ [STATUS_LABEL]: 'active' });
      expect(entity?.metadata.annotations).not.toHaveProperty(OU_ANNOTATION);
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining(
          `Could not read the organizational unit of AWS account ${owned.id}; listing it without one: AWS Organizations throttled ${operation} 5 times`,
        ),
      );
    },
  );
});
