import { mockCredentials } from '@backstage/backend-test-utils';
import { CoreV1Api } from '@kubernetes/client-node';
import { capturingContext } from '@tenancy/test-utils';
import { createHarness, Harness } from '../__testUtils__/harness';
import { actionDeps } from './__testUtils__/actionDeps';
import { createOffboardNamespaceAction } from './offboard';
import { createOnboardNamespaceAction } from './onboard';

jest.setTimeout(300_000);

let h: Harness;
beforeAll(() => {
  h = createHarness();
});

async function run(
  which: 'onboard' | 'offboard',
  input: Record<string, unknown>,
  user = 'alice',
  isDryRun = false,
) {
  const act =
    which === 'onboard'
      ? createOnboardNamespaceAction(actionDeps(h))
      : createOffboardNamespaceAction(actionDeps(h));
  const { ctx, outputs, lines } = capturingContext(input as any, {
    credentials: mockCredentials.user(`user:default/${user}`),
    isDryRun,
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

describe('tenancy:namespace:offboard', () => {
  it('removes the namespace from every cluster and waits until it is gone', async () => {
    const ns = h.sandbox.uniqueName('off');
    const clusters = ['sandbox-a', 'sandbox-c'];
    expect(
      (
        await run('onboard', {
          tenant: 'group:default/team-payments',
          namespace: ns,
          clusters,
        })
      ).error,
    ).toBeUndefined();
    await core('sandbox-a').createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'p' },
        spec: {
          containers: [{ name: 'app', image: 'registry.example.com/a:1' }],
        },
      },
    });
    await core('sandbox-a').createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } },
    });
    // The dry run names what would go: the namespace and what is in it.
    const plan = await run(
      'offboard',
      { tenant: 'group:default/team-payments', namespace: ns, clusters },
      'alice',
      true,
    );
    expect(plan.error).toBeUndefined();
    expect(plan.reports.map(r => [r.cluster, r.outcome])).toEqual([
      ['sandbox-a', 'dry-run'],
      ['sandbox-c', 'dry-run'],
    ]);
    expect(plan.reports[0].objects).toEqual(
      expect.arrayContaining([
        { object: `Namespace/${ns}`, change: 'would-delete' },
        { object: 'Service/web', change: 'would-delete' },
      ]),
    );
    expect(
      (await core('sandbox-a').readNamespace({ name: ns })).metadata
        ?.deletionTimestamp,
    ).toBeUndefined();

    const { error, reports, lines } = await run('offboard', {
      tenant: 'group:default/team-payments',
      namespace: ns,
      clusters,
      waitSeconds: 240,
    });
    expect(error).toBeUndefined();
    expect(reports.map(r => [r.cluster, r.outcome])).toEqual([
      ['sandbox-a', 'deleted'],
      ['sandbox-c', 'deleted'],
    ]);
    expect(lines.filter(l => / deleted in \d+ ms$/.test(l))).toHaveLength(2);
    for (const c of clusters) {
      await expect(core(c).readNamespace({ name: ns })).rejects.toMatchObject({
        code: 404,
      });
    }
    // A second run finds nothing to do.
    const again = await run('offboard', {
      tenant: 'group:default/team-payments',
      namespace: ns,
      clusters,
    });
    expect(again.reports.map(r => r.outcome)).toEqual(['absent', 'absent']);
  });

  it('does nothing when the typed confirmation is not the namespace', async () => {
    const ns = h.sandbox.uniqueName('off');
    expect(
      (
        await run('onboard', {
          tenant: 'group:default/team-payments',
          namespace: ns,
          clusters: ['sandbox-a'],
        })
      ).error,
    ).toBeUndefined();
    const { error, reports } = await run('offboard', {
      tenant: 'group:default/team-payments',
      namespace: ns,
      clusters: ['sandbox-a'],
      confirm: `${ns}x`,
    });
    expect(error?.name).toBe('InputError');
    expect(error?.message).toBe(
      `The confirmation "${ns}x" is not the namespace's name "${ns}"; nothing was removed`,
    );
    expect(reports).toBeUndefined();
    const live = await core('sandbox-a').readNamespace({ name: ns });
    expect(live.metadata?.deletionTimestamp).toBeUndefined();
    // The right confirmation removes it.
    const confirmed = await run('offboard', {
      tenant: 'group:default/team-payments',
      namespace: ns,
      clusters: ['sandbox-a'],
      confirm: ns,
    });
    expect(confirmed.error).toBeUndefined();
    expect(confirmed.reports.map(r => r.outcome)).toEqual(['deleted']);
  });

  it("refuses another tenant's namespace and leaves it alone", async () => {
    const ns = h.sandbox.uniqueName('off');
    expect(
      (
        await run('onboard', {
          tenant: 'group:default/team-payments',
          namespace: ns,
          clusters: ['sandbox-b'],
        })
      ).error,
    ).toBeUndefined();
    const { error, reports } = await run(
      'offboard',
      {
        tenant: 'group:default/team-search',
        namespace: ns,
        clusters: ['sandbox-b'],
      },
      'bob',
    );
    expect(error?.message).toMatch(/sandbox-b/);
    expect(reports[0].error).toMatch(/belongs to group:default\/team-payments/);
    const live = await core('sandbox-b').readNamespace({ name: ns });
    expect(live.status?.phase).toBe('Active');
    await core('sandbox-b').deleteNamespace({ name: ns });
  });
});
