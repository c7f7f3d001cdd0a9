import { TemplateAction } from '@backstage/plugin-scaffolder-node';
import { validate } from 'jsonschema';
import yaml from 'yaml';
import { awsFixture, FAST, parentOf, tagsOf } from '@tenancy/test-utils';
import { createCloseAwsAccountAction } from './close';
import { examples as closeExamples } from './close.examples';
import { createCreateAwsAccountAction } from './create';
import { examples as createExamples } from './create.examples';
import { examples as registerExamples } from './register.examples';
import { readAwsOrganizationsConfig } from '@tenancy/plugin-tenancy-node';
import { registerAction } from './__testUtils__/registerAction';
import { accessDeps, runAction } from './__testUtils__/runAction';
import {
  accountOf,
  awsSandbox,
  PAYMENTS,
  testDatabases,
} from './__testUtils__/sandbox';

jest.setTimeout(60_000);

const sb = awsSandbox();
const { sqliteStore } = testDatabases();

const ALLOWED = ['tenancy.aws.account.create', 'tenancy.aws.account.close'];

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
  const { outputs, error } = await runAction(action, input);
  if (error) throw error;
  return outputs;
}

describe('every action example runs against the sandbox', () => {
  it.each(createExamples.map(e => [e.description, e]))(
    'create: %s',
    async (_, example) => {
      const f = awsFixture(sb);
      const store = await sqliteStore();
      // An example that says it is the platform team's runs with its
      // override (tenancy.namespace.override); the others as a member.
      const platform = example.description.startsWith('The platform team');
      const action = createCreateAwsAccountAction({
        ...accessDeps(
          platform ? [...ALLOWED, 'tenancy.namespace.override'] : ALLOWED,
        ),
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
      const { act: action } = await registerAction(f, { allowed: ALLOWED });
      const accountId = await accountOf(f, 'ex', PAYMENTS);
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
      const accountId = await accountOf(f, 'ex', PAYMENTS);
      const action = createCloseAwsAccountAction({
        ...accessDeps(ALLOWED),
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
