import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { tenantOfNamespace } from '@tenancy/plugin-tenancy-common';
import { connectSandbox, SandboxFixtures } from '@tenancy/sandbox';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import YAML from 'yaml';
import { tenancyPlugin } from '../plugin';
import { as, personaServices } from './__testUtils__/personas';

// Real clusters, and a black hole that is waited out for its timeout.
jest.setTimeout(180_000);

const TIMEOUT_MS = 2500;
let sandbox: SandboxFixtures;
let server: any;
let stop: () => Promise<void>;

/** The seed catalog of the sandbox, with the ownership relations the catalog would compute. */
function seedEntities(extra: Entity[]): Entity[] {
  const file = path.join(
    path.dirname(require.resolve('@tenancy/sandbox/package.json')),
    'catalog',
    'seed.yaml',
  );
  const entities: Entity[] = YAML.parseAllDocuments(
    fs.readFileSync(file, 'utf8'),
  ).map(d => d.toJSON());
  return [...entities, ...extra].map(e => ({
    ...e,
    relations: e.spec?.owner
      ? [{ type: 'ownedBy', targetRef: String(e.spec.owner) }]
      : [],
  }));
}

/**
 * The tenants of sandbox-a's namespaces as its API server lists them now.
 * Other test files add and remove tenants on the shared sandbox while this
 * one runs, so the fleet's count is checked against what the cluster held
 * before the snapshot and after it.
 */
async function liveTenantsOfSandboxA(): Promise<Set<string>> {
  const core = sandbox
    .cluster('sandbox-a')
    .kubeConfig('admin')
    .makeApiClient(CoreV1Api);
  const list = await core.listNamespace();
  return new Set(
    list.items
      .map(ns =>
        tenantOfNamespace({
          labels: ns.metadata?.labels ?? {},
          annotations: ns.metadata?.annotations ?? {},
        }),
      )
      .filter((t): t is string => Boolean(t)),
  );
}
let tenantsBeforeSnapshot = new Set<string>();

// A fixture tenant whose numbers the test knows exactly.
const fixture = {
  team: 'team-fixture',
  namespace: '',
  component: 'fixture-web',
};

beforeAll(async () => {
  sandbox = connectSandbox();
  const overlay = YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8'));
  const a = sandbox.cluster('sandbox-a');
  overlay.kubernetes.clusterLocatorMethods[0].clusters.push(
    {
      name: 'sandbox-blackhole',
      url: sandbox.state.endpoints.blackhole,
      authProvider: 'serviceAccount',
      serviceAccountToken: a.identities.platform.token,
      caData: a.caData,
    },
    {
      name: 'sandbox-refused',
      url: sandbox.state.endpoints.refused,
      authProvider: 'serviceAccount',
      serviceAccountToken: a.identities.platform.token,
      caData: a.caData,
    },
    {
      name: 'sandbox-badtoken',
      url: a.url,
      authProvider: 'serviceAccount',
      serviceAccountToken: 'not-a-valid-token-0123456789',
      caData: a.caData,
    },
  );
  overlay.tenancy.clusterTimeoutMs = TIMEOUT_MS;
  overlay.tenancy.fleet = { refreshIntervalSeconds: 3600, pageSize: 1000 };
  // An environment whose one cluster never answers, and one size more.
  overlay.tenancy.environments.edge = ['sandbox-blackhole'];
  overlay.tenancy.baseline = {
    ...overlay.tenancy.baseline,
    defaultQuotaPreset: 'medium',
    quotaPresets: {
      medium: { 'requests.cpu': '8', 'requests.memory': '16Gi', pods: '60' },
      xl: { 'requests.cpu': '64', pods: '400' },
    },
  };

  // Known workloads and quota on sandbox-a, owned by a fixture team.
  fixture.namespace = await sandbox.createNamespace(a, {
    labels: {
      'tenancy.dev/tenant': fixture.team,
      'app.kubernetes.io/managed-by': 'tenancy',
    },
  });
  const core = a.kubeConfig('admin').makeApiClient(CoreV1Api);
  await core.createNamespacedResourceQuota({
    namespace: fixture.namespace,
    body: {
      metadata: { name: 'q' },
      spec: { hard: { pods: '10', 'requests.cpu': '2' } },
    },
  });
  const labels = { 'backstage.io/kubernetes-id': fixture.component };
  await a
    .kubeConfig('admin')
    .makeApiClient(AppsV1Api)
    .createNamespacedDeployment({
      namespace: fixture.namespace,
      body: {
        metadata: { name: fixture.component, labels },
        spec: {
          replicas: 3,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: 'registry.example.com/x:1',
                  resources: { requests: { cpu: '100m' } },
                },
              ],
            },
          },
        },
      },
    });
  // Wait until the cluster itself says 3 ready and the quota counts them.
  for (let i = 0; i < 120; i++) {
    const quota = await core.readNamespacedResourceQuota({
      name: 'q',
      namespace: fixture.namespace,
    });
    const d = await a
      .kubeConfig('admin')
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({
        name: fixture.component,
        namespace: fixture.namespace,
      });
    if (quota.status?.used?.pods === '3' && d.status?.readyReplicas === 3)
      break;
    await new Promise(r => setTimeout(r, 500));
  }

  tenantsBeforeSnapshot = await liveTenantsOfSandboxA();
  const backend = await startTestBackend({
    features: [
      tenancyPlugin,
      mockServices.rootConfig.factory({ data: overlay }),
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
      catalogServiceMock.factory({
        entities: seedEntities([
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name: fixture.component,
              annotations: { 'backstage.io/kubernetes-id': fixture.component },
            },
            spec: {
              type: 'service',
              lifecycle: 'production',
              owner: `group:default/${fixture.team}`,
            },
          },
          {
            // As the AWS Organizations provider emits it.
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Resource',
            metadata: {
              name: 'payments-prod-account',
              title: 'payments-prod',
              annotations: {
                'amazonaws.com/account-id': '111122223333',
                'tenancy.dev/organizational-unit': 'Prod',
                'tenancy.dev/environment': 'prod',
                'tenancy.dev/cost-centre': 'CC-1042',
              },
              labels: { 'amazonaws.com/account-status': 'active' },
              links: [
                {
                  url: 'https://console.aws.amazon.com/organizations/v2/home/accounts/111122223333',
                  title: 'AWS Organizations console',
                },
              ],
            },
            spec: {
              type: 'cloud-account',
              owner: 'group:default/team-payments',
            },
          },
          {
            // Closed, and written by hand: its links are not the console.
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Resource',
            metadata: {
              name: 'payments-legacy-account',
              annotations: { 'amazonaws.com/account-id': '444455556666' },
              labels: { 'amazonaws.com/account-status': 'pending_closure' },
              links: [
                { url: 'data:text/html,<script>alert(1)</script>' },
                { url: 'http://console.aws.amazon.com/' },
                { url: 'https://console.aws.amazon.com.evil.example/' },
              ],
            },
            spec: {
              type: 'cloud-account',
              owner: 'group:default/team-payments',
            },
          },
          {
            // Another cloud's account, of the same generic type: not AWS.
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Resource',
            metadata: { name: 'payments-gcp-project' },
            spec: {
              type: 'cloud-account',
              owner: 'group:default/team-payments',
            },
          },
        ]),
      }),
      // Not a test of access control — tenantEscape.process.test.ts is, on
      // the real portal. The suite's policy, fed by the personas' user info,
      // lets each caller here read what it reads.
      ...personaServices(),
    ],
  });
  server = backend.server;
  stop = () => backend.stop();
});

afterAll(async () => {
  await stop?.();
  await sandbox.cleanup();
});

describe('GET /api/tenancy/environments, /quota-presets and /teams', () => {
  it("lists the config's environments with each cluster's last answer; why one failed only for the platform team", async () => {
    // The fleet snapshot is made (or shared) first: the black hole is waited out.
    const alice = await request(server)
      .get('/api/tenancy/environments')
      .set(as('alice'));
    expect(alice.status).toBe(200);
    const names = alice.body.environments.map((e: any) => e.name);
    // tenancy.environments, then the environments of accounts only.
    expect(names).toEqual(['dev', 'prod', 'edge', 'sandbox']);
    expect(
      alice.body.environments.find((e: any) => e.name === 'sandbox'),
    ).toEqual({
      name: 'sandbox',
      namespaces: false,
      clusters: [],
      accountOu: 'Sandbox',
    });
    const edge = alice.body.environments.find((e: any) => e.name === 'edge');
    expect(edge.namespaces).toBe(true);
    expect(edge.accountOu).toBeUndefined();
    expect(edge.clusters).toEqual([
      {
        name: 'sandbox-blackhole',
        reachable: false,
        checkedAt: expect.any(String),
        error: {
          kind: 'timeout',
          message:
            'This cluster could not be read; the platform team can see why.',
        },
      },
    ]);
    const prod = alice.body.environments.find((e: any) => e.name === 'prod');
    expect(prod.accountOu).toBe('Workloads/Prod');
    expect(prod.clusters.map((c: any) => [c.name, c.reachable])).toEqual([
      ['sandbox-b', true],
      ['sandbox-c', true],
    ]);

    const pat = await request(server)
      .get('/api/tenancy/environments')
      .set(as('pat'));
    expect(
      pat.body.environments.find((e: any) => e.name === 'edge').clusters[0]
        .error,
    ).toEqual({
      kind: 'timeout',
      message: `No answer within ${TIMEOUT_MS} ms`,
    });
  });

  it("lists the config's namespace sizes with their quota and the default", async () => {
    const res = await request(server)
      .get('/api/tenancy/quota-presets')
      .set(as('bob'));
    expect(res.status).toBe(200);
    expect(res.body.presets).toEqual([
      // The defaults, medium replaced by config's, and config's xl.
      expect.objectContaining({ name: 'small', isDefault: false }),
      {
        name: 'medium',
        isDefault: true,
        hard: { 'requests.cpu': '8', 'requests.memory': '16Gi', pods: '60' },
      },
      expect.objectContaining({ name: 'large', isDefault: false }),
      {
        name: 'xl',
        isDefault: false,
        hard: { 'requests.cpu': '64', pods: '400' },
      },
    ]);
  });

  it('offers a member their own teams, and the platform team every team, as the actions decide', async () => {
    const alice = await request(server)
      .get('/api/tenancy/teams')
      .set(as('alice'));
    expect(alice.status).toBe(200);
    expect(alice.body).toEqual({
      anyTeam: false,
      teams: [{ entityRef: 'group:default/team-payments', title: 'Payments' }],
    });
    const pat = await request(server).get('/api/tenancy/teams').set(as('pat'));
    expect(pat.body.anyTeam).toBe(true);
    expect(pat.body.teams).toEqual([
      { entityRef: 'group:default/platform-team', title: 'Platform' },
      { entityRef: 'group:default/team-checkout', title: 'Checkout' },
      { entityRef: 'group:default/team-newcomers', title: 'Newcomers' },
      { entityRef: 'group:default/team-payments', title: 'Payments' },
      { entityRef: 'group:default/team-search', title: 'Search' },
    ]);
  });

  it('answers no one who is not signed in', async () => {
    for (const route of ['environments', 'quota-presets', 'teams']) {
      const res = await request(server).get(`/api/tenancy/${route}`);
      expect(res.status).toBe(401);
    }
  });
});

describe('GET /api/tenancy/fleet', () => {
  let body: any;
  let elapsed: number;
  let tenantsAfterSnapshot: Set<string>;
  let tenantsInSnapshot: Set<string>;

  beforeAll(async () => {
    const started = Date.now();
    const res = await request(server).get('/api/tenancy/fleet').set(as('pat'));
    elapsed = Date.now() - started;
    if (res.status !== 200)
      throw new Error(`GET /fleet answered ${res.status}`);
    body = res.body;
    tenantsAfterSnapshot = await liveTenantsOfSandboxA();
    // The same snapshot (refreshed once an hour here), namespace by namespace.
    const detail = await request(server)
      .get('/api/tenancy/clusters/sandbox-a')
      .set(as('pat'));
    if (detail.status !== 200)
      throw new Error(`GET /clusters/sandbox-a answered ${detail.status}`);
    const summaryA = body.clusters.find((c: any) => c.name === 'sandbox-a');
    if (detail.body.fetchedAt !== summaryA?.fetchedAt)
      throw new Error(
        `sandbox-a was fetched at ${summaryA?.fetchedAt} for /fleet but at ${detail.body.fetchedAt} for /clusters/sandbox-a: not one snapshot`,
      );
    tenantsInSnapshot = new Set(
      detail.body.namespaceDetails
        .map((n: { tenant?: string }) => n.tenant)
        .filter(Boolean),
    );
  });

  it('answers within the timeout despite a black-holed and a refusing cluster', () => {
    // The first request makes the snapshot: bounded by the per-cluster timeout.
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 4000);
    const byName = Object.fromEntries(
      body.clusters.map((c: any) => [c.name, c]),
    );
    expect(byName['sandbox-blackhole'].error).toEqual({
      kind: 'timeout',
      message: `No answer within ${TIMEOUT_MS} ms`,
    });
    expect(byName['sandbox-blackhole'].reachable).toBe(false);
    expect(byName['sandbox-refused'].error).toEqual({
      kind: 'unreachable',
      message: 'Connection refused',
    });
  });

  it('shows every healthy cluster with version, nodes, namespaces and tenants', () => {
    for (const name of ['sandbox-a', 'sandbox-b', 'sandbox-c']) {
      const cluster = body.clusters.find((c: any) => c.name === name);
      expect(cluster).toMatchObject({
        reachable: true,
        version: 'v1.34.4',
        nodes: { ready: 2, total: 2 },
      });
      expect(cluster.error).toBeUndefined();
      expect(cluster.latencyMs).toBeGreaterThanOrEqual(0);
      expect(cluster.namespaces).toBeGreaterThanOrEqual(5);
    }
    expect(
      body.clusters.find((c: any) => c.name === 'sandbox-a').environment,
    ).toBe('dev');
    // sandbox-a: payments, search, checkout from the seed, plus the fixture
    // team, and whatever tenants other test files hold there at the time.
    const seedAndFixture = [
      'group:default/team-payments',
      'group:default/team-search',
      'group:default/team-checkout',
      `group:default/${fixture.team}`,
    ];
    // Held both before and after the snapshot: held when it was made.
    const surely = [...tenantsBeforeSnapshot].filter(t =>
      tenantsAfterSnapshot.has(t),
    );
    expect(surely).toEqual(expect.arrayContaining(seedAndFixture));
    expect([...tenantsInSnapshot]).toEqual(expect.arrayContaining(surely));
    // The count is exactly the snapshot's own tenants of sandbox-a.
    expect(body.clusters.find((c: any) => c.name === 'sandbox-a').tenants).toBe(
      tenantsInSnapshot.size,
    );
  });

  it('says a 401 is an authentication failure, not "0 resources", with no token or URL', () => {
    const bad = body.clusters.find((c: any) => c.name === 'sandbox-badtoken');
    expect(bad.error.kind).toBe('unauthorized');
    expect(bad.namespaces).toBeUndefined();
    const text = JSON.stringify(body);
    expect(text).not.toContain('not-a-valid-token');
    expect(text).not.toMatch(/https?:\/\/127\.0\.0\.1/);
    for (const cluster of sandbox.clusters) {
      expect(text).not.toContain(cluster.identities.platform.token);
    }
  });
});

describe('GET /api/tenancy/tenants/:namespace/:name', () => {
  it('agrees with the cluster on quota used vs hard, policies and workloads (1)', async () => {
    const res = await request(server)
      .get(`/api/tenancy/tenants/default/${fixture.team}`)
      .set(as('pat'));
    expect(res.status).toBe(200);
    const ns = res.body.namespaces.find(
      (n: any) => n.name === fixture.namespace,
    );
    const live = await sandbox
      .cluster('sandbox-a')
      .kubeConfig('admin')
      .makeApiClient(CoreV1Api)
      .readNamespacedResourceQuota({ name: 'q', namespace: fixture.namespace });
    expect(ns).toMatchObject({
      cluster: 'sandbox-a',
      tenant: `group:default/${fixture.team}`,
      limitRange: false,
      networkPolicies: { count: 0, defaultDeny: false },
      workloads: { total: 1, healthy: 1, state: 'healthy' },
    });
    expect(ns.quota).toEqual([
      {
        resource: 'pods',
        hard: live.status!.hard!.pods,
        used: live.status!.used!.pods,
        ratio: 0.3,
      },
      {
        resource: 'requests.cpu',
        hard: '2',
        used: live.status!.used!['requests.cpu'],
        ratio: 0.15,
      },
    ]);
    // The clusters it could not read are named beside the data.
    expect(res.body.clusterErrors.map((e: any) => e.cluster).sort()).toEqual([
      'sandbox-badtoken',
      'sandbox-blackhole',
      'sandbox-refused',
    ]);
  });

  it("lists a seeded team's namespaces across clusters and its AWS accounts", async () => {
    const res = await request(server)
      .get('/api/tenancy/tenants/default/team-payments')
      .set(as('alice'));
    expect(res.status).toBe(200);
    // The seeded namespaces on all three clusters (tests running beside this
    // one may onboard more for the same team).
    expect(
      res.body.namespaces.map((n: any) => `${n.cluster}/${n.name}`),
    ).toEqual(
      expect.arrayContaining([
        'sandbox-a/payments',
        'sandbox-b/payments',
        'sandbox-c/payments',
      ]),
    );
    expect(new Set(res.body.namespaces.map((n: any) => n.tenant))).toEqual(
      new Set(['group:default/team-payments']),
    );
    const payments = res.body.namespaces.find(
      (n: any) => n.cluster === 'sandbox-a' && n.name === 'payments',
    );
    // The seed labels its baseline like the suite does (packages/sandbox).
    expect(payments.roleBindings).toEqual([
      {
        name: 'tenant-developers',
        role: 'ClusterRole/tenancy-tenant-developer',
        subjects: ['Group:team-payments'],
      },
    ]);
    expect(payments.networkPolicies).toEqual({ count: 2, defaultDeny: true });
    expect(payments.limitRange).toBe(true);
    expect(res.body.accounts).toEqual([
      {
        entityRef: 'resource:default/payments-prod-account',
        title: 'payments-prod',
        accountId: '111122223333',
        state: 'ACTIVE',
        organizationalUnit: 'Prod',
        environment: 'prod',
        costCentre: 'CC-1042',
        consoleUrl:
          'https://console.aws.amazon.com/organizations/v2/home/accounts/111122223333',
      },
      {
        entityRef: 'resource:default/payments-legacy-account',
        accountId: '444455556666',
        state: 'PENDING_CLOSURE',
      },
    ]);
  });

  it.each([
    [`/api/tenancy/tenants/default/${'x'.repeat(300)}`],
    ['/api/tenancy/tenants/de%20fault/team-payments'],
    ['/api/tenancy/clusters/%3Cscript%3E'],
    ['/api/tenancy/entities/comp%24nent/default/x/health'],
  ])('answers 400 with a clear message for %s', async url => {
    const res = await request(server).get(url).set(as('pat'));
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
    expect(res.body.error.message).toMatch(/^Invalid /);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('entity and team health', () => {
  // Each service read by a member of its own team (the fixture's team has
  // no members: the platform team reads it). Who may read what — other
  // teams' health, error detail — is proven against the real portal in
  // packages/backend/src/tenantEscape.process.test.ts.
  const health = async (name: string, user = 'alice') =>
    (
      await request(server)
        .get(`/api/tenancy/entities/component/default/${name}/health`)
        .set(as(user))
    ).body;

  it('reports the crash-looping service as failing, with restarts and Warning events', async () => {
    const body = await health('search-indexer', 'bob');
    expect(body.state).toBe('failing');
    const a = body.clusters.find((c: any) => c.cluster === 'sandbox-a');
    expect(a.state).toBe('failing');
    expect(a.workloads[0]).toMatchObject({
      name: 'search-indexer',
      desired: 1,
      ready: 0,
      crashLooping: 1,
    });
    expect(a.workloads[0].restarts).toBeGreaterThanOrEqual(1);
    expect(a.events.some((e: any) => e.reason === 'BackOff')).toBe(true);
  });

  it('reports the pending service per cluster: healthy on one, failing with its pods pending on the other', async () => {
    const body = await health('checkout-web', 'carol');
    const byCluster = Object.fromEntries(
      body.clusters.map((c: any) => [c.cluster, c]),
    );
    expect(byCluster['sandbox-a'].state).toBe('healthy');
    expect(byCluster['sandbox-c'].workloads[0]).toMatchObject({
      ready: 0,
      pending: 2,
    });
    expect(byCluster['sandbox-c'].state).toBe('failing');
    expect(
      byCluster['sandbox-c'].events.some(
        (e: any) => e.reason === 'FailedScheduling',
      ),
    ).toBe(true);
    // Clusters that could not be read are there, marked unknown.
    expect(byCluster['sandbox-blackhole'].state).toBe('unknown');
    expect(byCluster['sandbox-blackhole'].error.kind).toBe('timeout');
    expect(body.state).toBe('failing');
  });

  it("agrees with the cluster on the fixture's replicas", async () => {
    const body = await health(fixture.component, 'pat');
    const a = body.clusters.find((c: any) => c.cluster === 'sandbox-a');
    expect(a.workloads).toEqual([
      expect.objectContaining({
        kind: 'Deployment',
        namespace: fixture.namespace,
        desired: 3,
        ready: 3,
        podsNotReady: 0,
        state: 'healthy',
      }),
    ]);
  });

  it("rolls up a team's services", async () => {
    const res = await request(server)
      .get('/api/tenancy/teams/default/team-checkout/health')
      .set(as('carol'));
    expect(res.status).toBe(200);
    expect(
      Object.fromEntries(
        res.body.entities.map((e: any) => [e.entityRef, e.state]),
      ),
    ).toEqual({
      'component:default/checkout-web': 'failing',
      'component:default/image-resizer': 'failing',
    });
  });

  it('answers 404 for an entity the catalog does not have', async () => {
    const res = await request(server)
      .get('/api/tenancy/entities/component/default/nope/health')
      .set(as('alice'));
    expect(res.status).toBe(404);
  });
});
