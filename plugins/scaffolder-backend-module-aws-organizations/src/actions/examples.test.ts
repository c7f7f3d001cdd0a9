import { CreateAccountCommand } from '@aws-sdk/client-organizations';
import { TemplateAction } from '@backstage/plugin-scaffolder-node';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { validate } from 'jsonschema';
import yaml from 'yaml';
import { AwsAccountEntityProvider } from '@tenancy/plugin-catalog-backend-module-aws-organizations';
import {
  awsFixture,
  AwsFixture,
  capturingContext,
  createTestDatabases,
  FakeConnection,
  FAST,
  memberOf,
  parentOf,
  permissionsAllowing,
  connectToSandbox,
  seedUserInfo,
  tagsOf,
} from '@tenancy/test-utils';
import { storeOn } from '../__testUtils__/harness';
import { createCloseAwsAccountAction } from './close';
import { examples as closeExamples } from './close.examples';
import { createCreateAwsAccountAction } from './create';
import { examples as createExamples } from './create.examples';
import { createRegisterAwsAccountAction } from './register';
import { examples as registerExamples } from './register.examples';
import { readAwsOrganizationsConfig } from '@tenancy/plugin-tenancy-node';

jest.setTimeout(60_000);

const sb = connectToSandbox();
const databases = createTestDatabases();
afterEach(() => sb.cleanup());

const ALLOWED = ['tenancy.aws.account.create', 'tenancy.aws.account.close'];

function access() {
  return {
    auth: mockServices.auth(),
    permissions: permissionsAllowing(ALLOWED),
    userInfo: seedUserInfo(),
    auditor: mockServices.auditor.mock(),
  };
}

/** The example's single step input, with the placeholders the sandbox cannot know replaced. */
function stepInput(
  example: { example: string },
  replace: Record<string, string> = {},
) {
  let text = example.example;
  for (const [from, to] of Object.entries(replace)) {
    text = text.split(from).join(to);
  }
  return yaml.parse(text).steps[0].input;
}

async function run(action: TemplateAction<any, any, any>, input: any) {
  // The scaffolder validates the input against the schema first.
  expect(validate(input, action.schema!.input!).errors).toEqual([]);
  const { ctx, outputs } = capturingContext(input, {
    user: memberOf(input.tenant),
  });
  await action.handler(ctx as any);
  return outputs;
}

async function tenantAccount(f: AwsFixture, tenant: string) {
  const { email, accountName } = f.unique('ex');
  const res = await f.client.send(
    new CreateAccountCommand({
      Email: email,
      AccountName: accountName,
      Tags: [{ Key: 'tenant', Value: tenant }],
    }),
  );
  return res.CreateAccountStatus!.AccountId!;
}

describe('every action example runs against the sandbox', () => {
  it.each(createExamples.map(e => [e.description, e]))(
    'create: %s',
    async (_, example) => {
      const f = awsFixture(sb);
      const store = await storeOn(await databases.init('SQLITE_3'));
      const action = createCreateAwsAccountAction({
        ...access(),
        settings: readAwsOrganizationsConfig(f.config),
        clients: f.clients,
        store,
        timing: FAST,
      });
      // The example's OU id stands for the sandbox's Sandbox OU.
      const input = stepInput(example, { 'ou-abcd-12345678': f.ous.Sandbox });
      const outputs = await run(action, input);
      expect(['created', 'existing']).toContain(outputs.outcome);
      const accountId = String(outputs.accountId);
      expect(await parentOf(f.client, accountId)).toBe(
        input.ou.startsWith('ou-') ? input.ou : f.ous[input.ou],
      );
      expect(await tagsOf(f.client, accountId)).toMatchObject({
        tenant: input.tenant,
        ...input.tags,
      });
    },
  );

  it.each(registerExamples.map(e => [e.description, e]))(
    'register: %s',
    async (_, example) => {
      const f = awsFixture(sb);
      const events = mockServices.events();
      const connection = new FakeConnection();
      await AwsAccountEntityProvider.fromConfig(f.config, {
        logger: mockServices.logger.mock(),
        scheduler: mockServices.scheduler.mock(),
        events,
        credentialsManager: f.credentials,
      }).connect(connection);
      const accountId = await tenantAccount(f, 'group:default/team-payments');
      const action = createRegisterAwsAccountAction({
        ...access(),
        clients: f.clients,
        catalog: catalogServiceMock.mock({
          getEntityByRef: jest.fn(async ref =>
            connection.entities.get(String(ref)),
          ),
        }),
        events,
        timing: FAST,
        catalogPollMs: 20,
      });
      // The previous step's output, as the scaffolder renders it: a
      // single expression keeps its type, so the id stays a string.
      const outputs = await run(
        action,
        stepInput(example, {
          '${{ steps["create-account"].output.accountId }}':
            JSON.stringify(accountId),
        }),
      );
      expect(outputs.entityRef).toBe(
        `resource:default/aws-account-${accountId}`,
      );
    },
  );

  it.each(closeExamples.map(e => [e.description, e]))(
    'close: %s',
    async (_, example) => {
      const f = awsFixture(sb);
      const accountId = await tenantAccount(f, 'group:default/team-payments');
      const action = createCloseAwsAccountAction({
        ...access(),
        clients: f.clients,
        timing: FAST,
      });
      // The example's account id stands for an account of the team.
      const outputs = await run(
        action,
        stepInput(example, { '210987654321': accountId }),
      );
      expect(['SUSPENDED', 'PENDING_CLOSURE']).toContain(outputs.status);
    },
  );
});
