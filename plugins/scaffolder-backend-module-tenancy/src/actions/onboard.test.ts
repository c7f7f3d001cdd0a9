import { mockCredentials } from '@backstage/backend-test-utils';
import {
  AuthorizationV1Api,
  CoreV1Api,
  KubernetesObject,
  KubernetesObjectApi,
  dumpYaml,
  PatchStrategy,
  V1Pod,
} from '@kubernetes/client-node';
import {
  readBaselineOptions,
  renderTenantBaseline,
} from '@tenancy/plugin-tenancy-node';
import YAML from 'yaml';
import { capturingContext } from '@tenancy/test-utils';
import { createHarness, Harness } from '../__testUtils__/harness';
import { actionDeps } from './__testUtils__/actionDeps';
import { createOnboardNamespaceAction } from './onboard';

// Real clusters: each test onboards namespaces on up to three of them.
jest.setTimeout(120_000);

let h: Harness;
beforeAll(() => {
  h = createHarness();
});
afterEach(async () => {
  h.registry.calls = 0;
  await h.sandbox.cleanup();
});

// These tests are about what lands on the clusters, not about access control:
// the stand-in grants onboarding and the platform's overrides (explicit
// clusters, quota). Who may do what is proven against the real portal and
// the shipped policy in packages/backend/src/tenantEscape.process.test.ts.
const ONBOARD = ['tenancy.namespace.onboard', 'tenancy.namespace.override'];

type CheckpointOptions = { key: string; fn: () => Promise<unknown> };

function action(allowed = ONBOARD, harness = h) {
  return createOnboardNamespaceAction(actionDeps(harness, allowed));
}

/** Namespaces the tests onboard; deleted on every cluster at the end. */
const onboarded: string[] = [];
function tenantNamespace() {
  const name = h.sandbox.uniqueName('tn');
  onboarded.push(name);
  return name;
}
afterAll(async () => {
  await Promise.all(
    h.sandbox.clusters.flatMap(cluster =>
      onboarded.map(name =>
        cluster
          .kubeConfig('admin')
          .makeApiClient(CoreV1Api)
          .deleteNamespace({ name })
          .catch(() => undefined),
      ),
    ),
  );
});

const ALL = ['sandbox-a', 'sandbox-b', 'sandbox-c'];

async function onboard(
  input: Record<string, unknown>,
  opts: {
    isDryRun?: boolean;
    user?: string;
    allowed?: string[];
    harness?: Harness;
    /** The task's checkpoints, kept across runs as the scaffolder keeps them. */
    checkpoints?: Map<string, unknown>;
  } = {},
) {
  const { ctx, lines, outputs } = capturingContext(
    { tenant: 'group:default/team-payments', ...input } as any,
    {
      isDryRun: opts.isDryRun,
      credentials: mockCredentials.user(`user:default/${opts.user ?? 'alice'}`),
    },
  );
  const saved = opts.checkpoints;
  if (saved) {
    ctx.checkpoint = (async ({ key, fn }: CheckpointOptions) => {
      if (!saved.has(key)) saved.set(key, await fn());
      return saved.get(key);
    }) as typeof ctx.checkpoint;
  }
  let error: Error | undefined;
  try {
    await action(opts.allowed, opts.harness).handler(ctx as any);
  } catch (e) {
    error = e as Error;
  }
  return { lines, outputs, error, reports: outputs.clusters as any[] };
}

function objectsClient(cluster: string) {
  return KubernetesObjectApi.makeApiClient(
    h.sandbox.cluster(cluster).kubeConfig('admin'),
  );
}

/** An object as it goes over the wire (the client's models rename e.g. `from` to `_from`). */
const wire = (o: KubernetesObject) => YAML.parse(dumpYaml(o));

describe('tenancy:namespace:onboard on the sandbox clusters', () => {
  it('leaves exactly the rendered bundle on every cluster, field by field (1)', async () => {
    const ns = tenantNamespace();
    const { error, reports, lines } = await onboard({
      namespace: ns,
      clusters: ALL,
      quota: { pods: '7' },
    });
    expect(error).toBeUndefined();
    expect(reports.map(r => [r.cluster, r.outcome])).toEqual(
      ALL.map(c => [c, 'created']),
    );
    expect(lines.filter(l => /^sandbox-[abc]: created/.test(l))).toHaveLength(
      3,
    );

    const baseline = readBaselineOptions(h.config);
    const rendered = renderTenantBaseline(
      {
        tenant: { kind: 'group', namespace: 'default', name: 'team-payments' },
        namespace: ns,
        quota: { ...baseline.quotaPresets.small, pods: '7' },
        podSecurity: 'baseline',
        labels: {},
      },
      baseline,
    );
    for (const cluster of ALL) {
      const client = objectsClient(cluster);
      for (const object of rendered) {
        const live = await client.read({
          apiVersion: object.apiVersion!,
          kind: object.kind!,
          metadata: {
            name: object.metadata!.name!,
            namespace: object.metadata?.namespace,
          },
        });
        // The wire form of what was rendered is contained in what the cluster holds.
        expect(wire(live)).toMatchObject(wire(object));
        // And the suite's field manager owns it.
        expect(
          live.metadata?.managedFields?.some(f => f.manager === 'tenancy'),
        ).toBe(true);
      }
      // Nothing beyond the bundle carries the suite's ownership in that namespace.
      const core = h.sandbox
        .cluster(cluster)
        .kubeConfig('admin')
        .makeApiClient(CoreV1Api);
      const accounts = await core.listNamespacedServiceAccount({
        namespace: ns,
        labelSelector: 'app.kubernetes.io/managed-by=tenancy',
      });
      expect(accounts.items.map(a => a.metadata?.name)).toEqual(['deployer']);
    }
  });

  it('changes nothing on a second run and says so (S7); converges after an object was deleted (S26)', async () => {
    const ns = tenantNamespace();
    const clusters = ['sandbox-a', 'sandbox-b'];
    await onboard({ namespace: ns, clusters });
    const rv = async () =>
      Promise.all(
        clusters.map(async c => {
          const core = h.sandbox
            .cluster(c)
            .kubeConfig('admin')
            .makeApiClient(CoreV1Api);
          const [nsObj, quota, limits] = await Promise.all([
            core.readNamespace({ name: ns }),
            core.readNamespacedResourceQuota({
              name: 'tenant-quota',
              namespace: ns,
            }),
            core.readNamespacedLimitRange({
              name: 'tenant-defaults',
              namespace: ns,
            }),
          ]);
          return [
            nsObj.metadata?.resourceVersion,
            quota.metadata?.resourceVersion,
            limits.metadata?.resourceVersion,
          ];
        }),
      );
    const before = await rv();
    const second = await onboard({ namespace: ns, clusters });
    expect(second.error).toBeUndefined();
    expect(second.reports.map(r => r.outcome)).toEqual([
      'unchanged',
      'unchanged',
    ]);
    expect(
      second.reports[0].objects.every((o: any) => o.change === 'unchanged'),
    ).toBe(true);
    // The quota controller may refresh status.used, which bumps its version;
    // the Namespace and LimitRange have no controller writing to them.
    const after = await rv();
    expect(after.map(r => [r[0], r[2]])).toEqual(before.map(r => [r[0], r[2]]));

    await h.sandbox
      .cluster('sandbox-b')
      .kubeConfig('admin')
      .makeApiClient(CoreV1Api)
      .deleteNamespacedLimitRange({ name: 'tenant-defaults', namespace: ns });
    const third = await onboard({ namespace: ns, clusters });
    expect(third.error).toBeUndefined();
    const b = third.reports.find(r => r.cluster === 'sandbox-b');
    expect(b.outcome).toBe('updated');
    expect(
      b.objects.find((o: any) => o.object === 'LimitRange/tenant-defaults')
        .change,
    ).toBe('created');
    expect(third.reports.find(r => r.cluster === 'sandbox-a').outcome).toBe(
      'unchanged',
    );
  });

  it('resumed after a crash (task recovery), takes the finished clusters from their checkpoints and calls none of them again (S41)', async () => {
    const namespace = tenantNamespace();
    const checkpoints = new Map<string, unknown>();
    const first = await onboard(
      { namespace, environment: 'prod' },
      { checkpoints },
    );
    expect(first.error).toBeUndefined();
    const calls = h.registry.calls;

    const resumed = await onboard(
      { namespace, environment: 'prod' },
      { checkpoints },
    );
    expect(resumed.error).toBeUndefined();
    // No cluster was handed credentials, so none was called.
    expect(h.registry.calls).toBe(calls);
    expect(resumed.lines).toEqual(
      expect.arrayContaining(
        ['sandbox-b', 'sandbox-c'].map(
          c =>
            `${c}: created before the task was interrupted; resumed without touching the cluster again`,
        ),
      ),
    );
    expect(resumed.reports.map(r => r.outcome)).toEqual(['created', 'created']);
  });

  it('reports a field another manager owns instead of forcing it (S26)', async () => {
    const ns = tenantNamespace();
    await onboard({ namespace: ns, clusters: ['sandbox-a'] });
    await objectsClient('sandbox-a').patch(
      {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'tenant-quota', namespace: ns },
        spec: { hard: { pods: '99' } },
      } as KubernetesObject,
      undefined,
      undefined,
      'kubectl-edit',
      true,
      PatchStrategy.ServerSideApply,
    );
    const { error, reports } = await onboard({
      namespace: ns,
      clusters: ['sandbox-a'],
    });
    expect(error?.message).toMatch(/sandbox-a/);
    expect(reports[0].outcome).toBe('failed');
    expect(reports[0].error).toMatch(/conflict.*kubectl-edit/i);
    expect(reports[0].error).toMatch(/spec\.hard\.pods/);
    const quota = await h.sandbox
      .cluster('sandbox-a')
      .kubeConfig('admin')
      .makeApiClient(CoreV1Api)
      .readNamespacedResourceQuota({ name: 'tenant-quota', namespace: ns });
    expect(quota.spec?.hard?.pods).toBe('99');
  });
});

describe('what the baseline enforces on the real API server', () => {
  let ns: string;
  let other: string;

  beforeAll(async () => {
    ns = tenantNamespace();
    other = tenantNamespace();
    const first = await onboard({
      namespace: ns,
      clusters: ['sandbox-a'],
      podSecurity: 'baseline',
    });
    if (first.error) throw first.error;
    const second = await onboard(
      {
        tenant: 'group:default/team-search',
        namespace: other,
        clusters: ['sandbox-a'],
      },
      { user: 'bob' },
    );
    if (second.error) throw second.error;
  });

  const core = () =>
    h.sandbox.cluster('sandbox-a').kubeConfig('admin').makeApiClient(CoreV1Api);
  const pod = (name: string, extra: Partial<V1Pod['spec']> = {}): V1Pod => ({
    metadata: { name },
    spec: {
      containers: [{ name: 'app', image: 'registry.example.com/app:1' }],
      ...extra,
    },
  });

  it('rejects a privileged pod (S22)', async () => {
    const privileged = pod('privileged', {
      containers: [
        {
          name: 'app',
          image: 'registry.example.com/app:1',
          securityContext: { privileged: true },
        },
      ],
    });
    await expect(
      core().createNamespacedPod({ namespace: ns, body: privileged }),
    ).rejects.toMatchObject({
      code: 403,
      body: expect.stringContaining('violates PodSecurity'),
    });
    // The API server itself allows privileged pods: a namespace without the
    // baseline's labels takes one.
    const plain = await h.sandbox.createNamespace(
      h.sandbox.cluster('sandbox-a'),
    );
    const accepted = await core().createNamespacedPod({
      namespace: plain,
      body: privileged,
    });
    expect(accepted.spec?.containers[0].securityContext?.privileged).toBe(true);
  });

  it('gives a pod without requests the LimitRange defaults, and the quota counts it', async () => {
    const created = await core().createNamespacedPod({
      namespace: ns,
      body: pod('plain'),
    });
    expect(created.spec?.containers[0].resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '512Mi' },
    });
    const deadline = Date.now() + 60_000;
    let used: Record<string, string> | undefined;
    while (Date.now() < deadline) {
      const quota = await core().readNamespacedResourceQuota({
        name: 'tenant-quota',
        namespace: ns,
      });
      used = quota.status?.used;
      if (used?.pods === '1') break;
      await new Promise(r => setTimeout(r, 500));
    }
    expect(used).toMatchObject({ pods: '1', 'requests.cpu': '100m' });
  });

  it('lets the team act only in its own namespace, not on its quota, not cluster-wide (S25)', async () => {
    const sar = h.sandbox
      .cluster('sandbox-a')
      .kubeConfig('admin')
      .makeApiClient(AuthorizationV1Api);
    const can = async (attributes: Record<string, string>) =>
      (
        await sar.createSubjectAccessReview({
          body: {
            spec: {
              user: 'alice',
              groups: ['team-payments', 'system:authenticated'],
              resourceAttributes: attributes,
            },
          },
        })
      ).status?.allowed;
    expect(
      await can({
        namespace: ns,
        verb: 'create',
        group: 'apps',
        resource: 'deployments',
      }),
    ).toBe(true);
    expect(
      await can({
        namespace: other,
        verb: 'create',
        group: 'apps',
        resource: 'deployments',
      }),
    ).toBe(false);
    expect(
      await can({ namespace: ns, verb: 'update', resource: 'resourcequotas' }),
    ).toBe(false);
    expect(
      await can({
        namespace: ns,
        verb: 'delete',
        group: 'networking.k8s.io',
        resource: 'networkpolicies',
      }),
    ).toBe(false);
    expect(await can({ verb: 'create', resource: 'namespaces' })).toBe(false);
    expect(await can({ verb: 'list', resource: 'nodes' })).toBe(false);
    expect(
      await can({
        verb: 'create',
        group: 'rbac.authorization.k8s.io',
        resource: 'clusterrolebindings',
      }),
    ).toBe(false);
  });
});

describe('refusals before any call to a cluster', () => {
  const badNames = [
    '',
    'Payments',
    'pay_ments',
    'pay.ments',
    '-pay',
    'pay-',
    'a'.repeat(64),
    'zahlung-ü',
    'kube-x',
    'default',
    'kube-system',
    'kube-public',
    'kube-node-lease',
  ];

  it.each(badNames)('refuses the namespace name %j (S20)', async name => {
    const { error } = await onboard({ namespace: name, clusters: ALL });
    expect(error?.name).toBe('InputError');
    expect(h.registry.calls).toBe(0);
  });

  it.each([
    [{ quota: { 'requests.cpu': '10 cores' } }, /not a Kubernetes quantity/],
    [{ quota: { 'limits.memory': '-1Gi' } }, /not a Kubernetes quantity/],
    [{ quota: { pods: '2.5' } }, /whole number/],
    [{ quotaPreset: 'huge' }, /Quota preset "huge" does not exist/],
    // What every object inherits is no preset (nor its limits none).
    [
      { quotaPreset: 'constructor', quota: { pods: '100000' } },
      /Quota preset "constructor" does not exist/,
    ],
    [{ quotaPreset: '__proto__' }, /Quota preset "__proto__" does not exist/],
    [
      { labels: { 'tenancy.dev/tenant': 'someone-else' } },
      /cannot be overridden/,
    ],
    [{ tenant: 'user:default/alice' }, /must be a Group/],
    // Its Kubernetes group would be group:default/team-payments' ({name}).
    [
      { tenant: 'group:other/team-payments' },
      /not in the catalog's default namespace.*\{namespace\}/,
    ],
  ])('refuses %j (S24)', async (input, message) => {
    const { error } = await onboard({
      namespace: 'fine-name',
      clusters: ALL,
      ...input,
    });
    expect(error?.name).toBe('InputError');
    expect(error?.message).toMatch(message);
    expect(h.registry.calls).toBe(0);
  });

  it('refuses an unknown environment or cluster', async () => {
    expect(
      (await onboard({ namespace: 'fine-name', environment: 'staging' })).error
        ?.message,
    ).toMatch(/Unknown environment "staging"; known: dev, prod/);
    expect(
      (await onboard({ namespace: 'fine-name', environment: 'constructor' }))
        .error?.message,
    ).toMatch(/Unknown environment "constructor"; known: dev, prod/);
    expect(
      (await onboard({ namespace: 'fine-name', clusters: ['nowhere'] })).error
        ?.name,
    ).toBe('InputError');
    expect(h.registry.calls).toBe(0);
  });
});

describe('ownership, dry run, secrets and faults', () => {
  it("refuses another tenant's namespace and never changes it (S21)", async () => {
    const ns = tenantNamespace();
    expect(
      (await onboard({ namespace: ns, clusters: ['sandbox-a'] })).error,
    ).toBeUndefined();
    const { error, reports } = await onboard(
      {
        tenant: 'group:default/team-search',
        namespace: ns,
        clusters: ['sandbox-a'],
      },
      { user: 'bob' },
    );
    expect(error?.message).toMatch(/sandbox-a/);
    expect(reports[0].error).toMatch(/belongs to group:default\/team-payments/);
    const live = await h.sandbox
      .cluster('sandbox-a')
      .kubeConfig('admin')
      .makeApiClient(CoreV1Api)
      .readNamespace({ name: ns });
    expect(live.metadata?.labels?.['tenancy.dev/tenant']).toBe('team-payments');
  });

  it('claims a name on no cluster while another team holds it on any that answers (S36)', async () => {
    // team-payments holds it on sandbox-b alone, as after a run during which
    // sandbox-a did not answer.
    const ns = tenantNamespace();
    expect(
      (await onboard({ namespace: ns, clusters: ['sandbox-b'] })).error,
    ).toBeUndefined();
    // team-search's run on both is refused before anything is made: once it
    // had claimed sandbox-a, each team would hold one, and neither's run
    // could ever finish.
    const search = await onboard(
      {
        tenant: 'group:default/team-search',
        namespace: ns,
        clusters: ['sandbox-a', 'sandbox-b'],
      },
      { user: 'bob' },
    );
    expect(search.error?.message).toMatch(
      /on 2 of 2 clusters: sandbox-a \(not attempted: sandbox-b: Namespace .* belongs to group:default\/team-payments/,
    );
    expect(search.reports.map(r => r.outcome)).toEqual(['failed', 'failed']);
    const onA = h.sandbox
      .cluster('sandbox-a')
      .kubeConfig('admin')
      .makeApiClient(CoreV1Api);
    await expect(onA.readNamespace({ name: ns })).rejects.toMatchObject({
      code: 404,
    });
    // The team that holds it completes its own run on both.
    const payments = await onboard({
      namespace: ns,
      clusters: ['sandbox-a', 'sandbox-b'],
    });
    expect(payments.error).toBeUndefined();
    expect(
      (await onA.readNamespace({ name: ns })).metadata?.labels?.[
        'tenancy.dev/tenant'
      ],
    ).toBe('team-payments');
  });

  it('refuses a namespace that exists but was not made by Tenancy', async () => {
    const existing = await h.sandbox.createNamespace(
      h.sandbox.cluster('sandbox-b'),
    );
    const { reports } = await onboard({
      namespace: existing,
      clusters: ['sandbox-b'],
    });
    expect(reports[0].error).toMatch(
      /was not made by Tenancy; it will not be adopted/,
    );
  });

  it('plans an existing namespace by what would change: another preset updates the quota alone, the same input nothing', async () => {
    const ns = tenantNamespace();
    expect(
      (
        await onboard({
          namespace: ns,
          clusters: ['sandbox-a'],
          quotaPreset: 'small',
        })
      ).error,
    ).toBeUndefined();
    const changes = (reports: any[]) =>
      Object.fromEntries(
        reports[0].objects.map((o: { object: string; change: string }) => [
          o.object,
          o.change,
        ]),
      );
    // A server-side dry run does not move resourceVersion: the plan reads
    // the change off the objects' content.
    const bigger = await onboard(
      { namespace: ns, clusters: ['sandbox-a'], quotaPreset: 'large' },
      { isDryRun: true },
    );
    expect(bigger.error).toBeUndefined();
    const planned = changes(bigger.reports);
    expect(planned['ResourceQuota/tenant-quota']).toBe('would-update');
    expect(
      Object.entries(planned).filter(
        ([object, change]) =>
          object !== 'ResourceQuota/tenant-quota' &&
          change !== 'would-be-unchanged',
      ),
    ).toEqual([]);
    const same = await onboard(
      { namespace: ns, clusters: ['sandbox-a'], quotaPreset: 'small' },
      { isDryRun: true },
    );
    expect(
      Object.values(changes(same.reports)).every(
        c => c === 'would-be-unchanged',
      ),
    ).toBe(true);
    expect(Object.keys(changes(same.reports))).toHaveLength(
      Object.keys(planned).length,
    );
  });

  it('creates nothing in a dry run, and no output or log line holds a credential (S5)', async () => {
    const dry = tenantNamespace();
    const { error, reports, lines, outputs } = await onboard(
      { namespace: dry, clusters: ALL },
      { isDryRun: true },
    );
    expect(error).toBeUndefined();
    expect(reports.map(r => r.outcome)).toEqual([
      'dry-run',
      'dry-run',
      'dry-run',
    ]);
    for (const cluster of ALL) {
      await expect(
        h.sandbox
          .cluster(cluster)
          .kubeConfig('admin')
          .makeApiClient(CoreV1Api)
          .readNamespace({ name: dry }),
      ).rejects.toMatchObject({ code: 404 });
    }
    const everything = JSON.stringify({ lines, outputs });
    for (const cluster of h.sandbox.clusters) {
      for (const identity of Object.values(cluster.identities)) {
        for (const form of [
          identity.token,
          Buffer.from(identity.token).toString('base64'),
          encodeURIComponent(identity.token),
        ]) {
          expect(everything).not.toContain(form);
        }
      }
    }
  });

  it('reports a black-holed cluster within its timeout while the others succeed (S28)', async () => {
    const FAST = 3000;
    const fast = createHarness(FAST);
    const ns = tenantNamespace();
    const started = Date.now();
    const { error, reports, lines } = await onboard(
      { namespace: ns, clusters: ['sandbox-a', 'sandbox-blackhole'] },
      { harness: fast },
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(FAST + 5000);
    expect(error?.message).toMatch(
      /on 1 of 2 clusters: sandbox-blackhole \(.*no answer within 3000 ms/,
    );
    expect(reports.find(r => r.cluster === 'sandbox-a').outcome).not.toBe(
      'failed',
    );
    expect(lines.some(l => l.startsWith('sandbox-blackhole: failed'))).toBe(
      true,
    );
  });
});
