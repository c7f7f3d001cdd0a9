import { mockCredentials } from '@backstage/backend-test-utils';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  parseQuantity,
  readBaselineOptions,
} from '@tenancy/plugin-tenancy-node';
import { capturingContext } from '@tenancy/test-utils';
import { createHarness, Harness } from '../__testUtils__/harness';
import { actionDeps } from './__testUtils__/actionDeps';
import { createOnboardNamespaceAction } from './onboard';
import { createResizeNamespaceAction } from './resize';

jest.setTimeout(300_000);

let h: Harness;
beforeAll(() => {
  h = createHarness();
});

async function run(
  which: 'onboard' | 'resize',
  input: Record<string, unknown>,
  options: {
    user?: string;
    isDryRun?: boolean;
    allowed?: string[];
    credentials?: ReturnType<typeof mockCredentials.user>;
  } = {},
) {
  const deps = actionDeps(h, options.allowed);
  const act =
    which === 'onboard'
      ? createOnboardNamespaceAction(deps)
      : createResizeNamespaceAction(deps);
  const { ctx, outputs, lines } = capturingContext(input as any, {
    credentials:
      options.credentials ??
      mockCredentials.user(`user:default/${options.user ?? 'alice'}`),
    isDryRun: options.isDryRun,
  });
  let error: Error | undefined;
  try {
    await act.handler(ctx as any);
  } catch (e) {
    error = e as Error;
  }
  return { error, reports: outputs.clusters as any[], lines };
}

const core = (cluster: string) =>
  h.sandbox.cluster(cluster).kubeConfig('admin').makeApiClient(CoreV1Api);

const hard = async (cluster: string, namespace: string) =>
  (
    await core(cluster).readNamespacedResourceQuota({
      name: 'tenant-quota',
      namespace,
    })
  ).spec?.hard;

/** Namespaces the tests onboard; deleted on every cluster at the end. */
const made: string[] = [];
afterAll(async () => {
  await Promise.all(
    h.sandbox.clusters.flatMap(cluster =>
      made.map(name =>
        cluster
          .kubeConfig('admin')
          .makeApiClient(CoreV1Api)
          .deleteNamespace({ name })
          .catch(() => undefined),
      ),
    ),
  );
});

async function onboarded(clusters: string[], quotaPreset = 'small') {
  const ns = h.sandbox.uniqueName('rsz');
  made.push(ns);
  const { error } = await run('onboard', {
    tenant: 'group:default/team-payments',
    namespace: ns,
    clusters,
    quotaPreset,
  });
  expect(error).toBeUndefined();
  return ns;
}

describe('tenancy:namespace:resize', () => {
  it('plans, then applies another preset to the quota alone on every cluster; a rerun changes nothing', async () => {
    const clusters = ['sandbox-a', 'sandbox-c'];
    const ns = await onboarded(clusters);
    const before = await hard('sandbox-a', ns);
    const namespaceBefore = await core('sandbox-a').readNamespace({ name: ns });
    const { quotaPresets } = readBaselineOptions(h.config);
    expect(before?.['requests.cpu']).toBeTruthy();

    const input = {
      tenant: 'group:default/team-payments',
      namespace: ns,
      clusters,
      quotaPreset: 'large',
    };
    const plan = await run('resize', input, { isDryRun: true });
    expect(plan.error).toBeUndefined();
    expect(plan.reports.map(r => [r.cluster, r.outcome])).toEqual([
      ['sandbox-a', 'dry-run'],
      ['sandbox-c', 'dry-run'],
    ]);
    expect(plan.reports[0].objects).toEqual([
      {
        object: 'ResourceQuota/tenant-quota',
        change: 'would-update',
        detail: expect.stringMatching(
          new RegExp(
            `requests\\.cpu ${before!['requests.cpu'].replace('.', '\\.')} → `,
          ),
        ),
      },
    ]);
    // The dry run persisted nothing.
    expect(await hard('sandbox-a', ns)).toEqual(before);

    const done = await run('resize', input);
    expect(done.error).toBeUndefined();
    expect(done.reports.map(r => r.outcome)).toEqual(['updated', 'updated']);
    const after = await hard('sandbox-c', ns);
    expect(after).not.toEqual(before);
    // The platform's large preset, as the config (or the defaults) has it.
    expect(Object.keys(after!).sort()).toEqual(
      Object.keys(quotaPresets.large).sort(),
    );
    for (const [key, value] of Object.entries(quotaPresets.large)) {
      expect([key, parseQuantity(after![key])]).toEqual([
        key,
        parseQuantity(value),
      ]);
    }
    expect(done.lines.some(l => /sandbox-a: .*requests\.cpu/.test(l))).toBe(
      true,
    );
    // Nothing else of the namespace changed: not its labels.
    const namespaceAfter = await core('sandbox-a').readNamespace({ name: ns });
    expect(namespaceAfter.metadata?.labels).toEqual(
      namespaceBefore.metadata?.labels,
    );

    const again = await run('resize', input);
    expect(again.error).toBeUndefined();
    expect(again.reports.map(r => r.outcome)).toEqual([
      'unchanged',
      'unchanged',
    ]);
    expect(again.reports[0].objects[0].detail).toBe('no change');
  });

  it('says where the namespace already uses more than the new limit', async () => {
    const ns = await onboarded(['sandbox-b'], 'medium');
    await core('sandbox-b').createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'big' },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'registry.example.com/a:1',
              resources: {
                requests: { cpu: '1500m', memory: '64Mi' },
                limits: { cpu: '1500m', memory: '64Mi' },
              },
            },
          ],
        },
      },
    });
    // The quota controller counts the pod.
    for (let i = 0; i < 60; i++) {
      const quota = await core('sandbox-b').readNamespacedResourceQuota({
        name: 'tenant-quota',
        namespace: ns,
      });
      if (quota.status?.used?.['requests.cpu'] === '1500m') break;
      await new Promise(r => setTimeout(r, 500));
    }
    const plan = await run(
      'resize',
      {
        tenant: 'group:default/team-payments',
        namespace: ns,
        clusters: ['sandbox-b'],
        quotaPreset: 'small',
        quota: { 'requests.cpu': '1' },
      },
      { isDryRun: true },
    );
    expect(plan.error).toBeUndefined();
    expect(plan.reports[0].objects[0].detail).toMatch(
      /already in use above the new limit: requests\.cpu 1500m > 1 \(running pods keep running/,
    );
  });

  it("refuses another team's namespace, and one that is not there, changing nothing", async () => {
    const ns = await onboarded(['sandbox-a']);
    const before = await hard('sandbox-a', ns);
    const other = await run(
      'resize',
      {
        tenant: 'group:default/team-search',
        namespace: ns,
        clusters: ['sandbox-a'],
        quotaPreset: 'large',
      },
      { user: 'bob' },
    );
    expect(other.error?.message).toMatch(/sandbox-a/);
    expect(other.reports[0].error).toMatch(
      /belongs to group:default\/team-payments/,
    );
    expect(await hard('sandbox-a', ns)).toEqual(before);

    const absent = {
      tenant: 'group:default/team-payments',
      namespace: h.sandbox.uniqueName('rsz-none'),
      clusters: ['sandbox-a'],
      quotaPreset: 'large',
    };
    // The plan says it is not there; the run fails there, creating nothing.
    const plan = await run('resize', absent, { isDryRun: true });
    expect(plan.error).toBeUndefined();
    expect(plan.reports[0]).toMatchObject({
      outcome: 'absent',
      objects: [
        {
          object: `Namespace/${absent.namespace}`,
          change: 'absent',
          detail: expect.stringMatching(/^not on this cluster: onboard it/),
        },
      ],
    });
    const missing = await run('resize', absent);
    expect(missing.error?.message).toMatch(/Could not resize/);
    await expect(
      core('sandbox-a').readNamespace({ name: absent.namespace }),
    ).rejects.toMatchObject({ code: 404 });
    expect(missing.reports[0]).toMatchObject({
      outcome: 'failed',
      error: expect.stringMatching(
        /is not on this cluster; onboard it here first/,
      ),
    });
  });

  it('lets a service (a CI token) plan a resize but never make it', async () => {
    const ns = await onboarded(['sandbox-a']);
    const before = await hard('sandbox-a', ns);
    const input = {
      tenant: 'group:default/team-payments',
      namespace: ns,
      clusters: ['sandbox-a'],
      quotaPreset: 'large',
    };
    const service = mockCredentials.service('external:template-checks');
    const plan = await run('resize', input, {
      isDryRun: true,
      credentials: service as any,
      allowed: [
        'tenancy.namespace.resize',
        'tenancy.namespace.override',
        'tenancy.platform.admin',
      ],
    });
    expect(plan.error).toBeUndefined();
    expect(plan.reports[0].outcome).toBe('dry-run');
    const done = await run('resize', input, {
      credentials: service as any,
      allowed: [
        'tenancy.namespace.resize',
        'tenancy.namespace.override',
        'tenancy.platform.admin',
      ],
    });
    expect(done.error?.name).toBe('NotAllowedError');
    expect(done.error?.message).toBe(
      'external:template-checks is not a person: a service may only dry-run a change for group:default/team-payments; sign in and run it yourself',
    );
    expect(done.reports).toBeUndefined();
    expect(await hard('sandbox-a', ns)).toEqual(before);
  });

  it('refuses an unknown preset, and a quota above the preset without the override, before any cluster', async () => {
    const unknown = await run('resize', {
      tenant: 'group:default/team-payments',
      namespace: 'anything',
      clusters: ['sandbox-a'],
      quotaPreset: 'huge',
    });
    expect(unknown.error?.name).toBe('InputError');
    expect(unknown.error?.message).toMatch(
      /^Quota preset "huge" does not exist; use one of /,
    );
    expect(unknown.reports).toBeUndefined();
    // Not what every object inherits: that would be a preset with no limits,
    // and the quota would have been set to the caller's values alone.
    for (const quotaPreset of ['constructor', '__proto__', 'toString']) {
      const inherited = await run('resize', {
        tenant: 'group:default/team-payments',
        namespace: 'anything',
        clusters: ['sandbox-a'],
        quotaPreset,
        quota: { pods: '100000' },
      });
      expect(inherited.error?.message).toMatch(
        new RegExp(`^Quota preset "${quotaPreset}" does not exist`),
      );
      expect(inherited.reports).toBeUndefined();
    }

    const raised = await run(
      'resize',
      {
        tenant: 'group:default/team-payments',
        namespace: 'anything',
        environment: 'dev',
        quotaPreset: 'small',
        quota: { pods: '100000' },
      },
      { allowed: ['tenancy.namespace.resize'] },
    );
    expect(raised.error?.name).toBe('NotAllowedError');
    expect(raised.error?.message).toMatch(/raise the quota above its preset/);
    expect(raised.reports).toBeUndefined();
  });
});
