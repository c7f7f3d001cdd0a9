import { mockCredentials } from '@backstage/backend-test-utils';
import { CoreV1Api } from '@kubernetes/client-node';
import { TENANT_USERS } from '@tenancy/sandbox';
import yaml from 'yaml';
import { capturingContext } from '@tenancy/test-utils';
import { createHarness, Harness } from '../__testUtils__/harness';
import { actionDeps } from './__testUtils__/actionDeps';
import { examples as offboardExamples } from './offboard.examples';
import { createOffboardNamespaceAction } from './offboard';
import { examples as onboardExamples } from './onboard.examples';
import { createOnboardNamespaceAction } from './onboard';

jest.setTimeout(180_000);

let h: Harness;
beforeAll(() => {
  h = createHarness();
});

function memberOf(tenant: string) {
  const team = tenant.split('/').pop()!;
  return TENANT_USERS.find(u => u.groups.includes(team))!.user;
}

async function runExample(
  action:
    | ReturnType<typeof createOnboardNamespaceAction>
    | ReturnType<typeof createOffboardNamespaceAction>,
  example: { example: string },
) {
  const input = yaml.parse(example.example).steps[0].input;
  const { ctx, outputs } = capturingContext(input, {
    credentials: mockCredentials.user(`user:default/${memberOf(input.tenant)}`),
  });
  await action.handler(ctx as any);
  return { input, outputs };
}

describe('every action example runs against the sandbox', () => {
  const touched: Array<{ namespace: string; clusters: string[] }> = [];
  afterAll(async () => {
    for (const { namespace, clusters } of touched) {
      for (const c of clusters) {
        await h.sandbox
          .cluster(c)
          .kubeConfig('admin')
          .makeApiClient(CoreV1Api)
          .deleteNamespace({ name: namespace })
          .catch(() => undefined);
      }
    }
  });

  it.each(onboardExamples.map(e => [e.description, e]))(
    'onboard: %s',
    async (_, example) => {
      const { input, outputs } = await runExample(
        createOnboardNamespaceAction(actionDeps(h)),
        example,
      );
      const clusters = (outputs.clusters as any[]).map(c => c.cluster);
      touched.push({ namespace: input.namespace, clusters });
      expect(
        (outputs.clusters as any[]).every(c =>
          ['created', 'updated', 'unchanged'].includes(c.outcome),
        ),
      ).toBe(true);
    },
  );

  it.each(offboardExamples.map(e => [e.description, e]))(
    'offboard: %s',
    async (_, example) => {
      const { outputs } = await runExample(
        createOffboardNamespaceAction(actionDeps(h)),
        example,
      );
      expect(
        (outputs.clusters as any[]).every(c =>
          ['deleted', 'absent'].includes(c.outcome),
        ),
      ).toBe(true);
    },
  );
});
