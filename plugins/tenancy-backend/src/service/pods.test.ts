import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { connectSandbox, SandboxFixtures } from '@tenancy/sandbox';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import request from 'supertest';
import YAML from 'yaml';
import { tenancyPlugin } from '../plugin';
import { as, personaServices } from './__testUtils__/personas';

// Real clusters; one read is waited out for its timeout.
jest.setTimeout(180_000);

// Long enough for a busy test machine's first snapshot of every cluster.
const TIMEOUT_MS = 5000;
const REDACTED =
  'This cluster could not be read; the platform team can see why.';

/**
 * A TCP relay in front of a real cluster that counts the bytes clients send
 * through it — any request to the cluster sends some — and can be made to
 * swallow everything, like a route that drops packets: connections are
 * accepted and nothing ever answers.
 */
function relay(target: URL) {
  const sockets = new Set<net.Socket>();
  const state = { bytes: 0, swallowing: false };
  const server = net.createServer(client => {
    sockets.add(client);
    client.on('error', () => undefined);
    client.on('close', () => sockets.delete(client));
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => sockets.delete(upstream));
    client.on('data', data => {
      state.bytes += data.length;
      if (!state.swallowing) upstream.write(data);
    });
    upstream.on('data', data => {
      if (!state.swallowing) client.write(data);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  return {
    state,
    listen: () =>
      new Promise<string>(resolve =>
        server.listen(0, '127.0.0.1', () =>
          resolve(
            `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
          ),
        ),
      ),
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}

/** Values that must never leave the cluster: an env literal and a Secret's data. */
const secret = {
  literal: `literal-${randomBytes(8).toString('hex')}`,
  data: `secret-${randomBytes(8).toString('hex')}`,
};

let sandbox: SandboxFixtures;
let server: any;
let stop: () => Promise<void>;
let relayed: ReturnType<typeof relay>;
let fixtureNamespace = '';

/**
 * A namespace of team-search on sandbox-c (not sandbox-a, whose tenants
 * router.test.ts counts) with a Deployment and a StatefulSet whose
 * containers take a literal env value, a Secret key and a whole Secret.
 */
async function createFixture() {
  const c = sandbox.cluster('sandbox-c');
  fixtureNamespace = await sandbox.createNamespace(c, {
    labels: { 'tenancy.dev/tenant': 'team-search' },
  });
  const namespace = fixtureNamespace;
  const kc = c.kubeConfig('admin');
  await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'db' }, stringData: { password: secret.data } },
  });
  const template = (name: string) => ({
    metadata: { labels: { 'app.kubernetes.io/name': name } },
    spec: {
      containers: [
        {
          name: 'app',
          image: `registry.example.com/team-search/${name}:2.1.0`,
          env: [
            { name: 'API_TOKEN', value: secret.literal },
            {
              name: 'DB_PASSWORD',
              valueFrom: { secretKeyRef: { name: 'db', key: 'password' } },
            },
          ],
          envFrom: [{ secretRef: { name: 'db' } }],
        },
      ],
    },
  });
  const selector = (name: string) => ({
    matchLabels: { 'app.kubernetes.io/name': name },
  });
  const apps = kc.makeApiClient(AppsV1Api);
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'fixture-api' },
      spec: {
        replicas: 2,
        selector: selector('fixture-api'),
        template: template('fixture-api'),
      },
    },
  });
  await apps.createNamespacedStatefulSet({
    namespace,
    body: {
      metadata: { name: 'fixture-db' },
      spec: {
        replicas: 1,
        serviceName: 'fixture-db',
        selector: selector('fixture-db'),
        template: template('fixture-db'),
      },
    },
  });
  for (let i = 0; i < 120; i++) {
    const [d, s] = await Promise.all([
      apps.readNamespacedDeployment({ name: 'fixture-api', namespace }),
      apps.readNamespacedStatefulSet({ name: 'fixture-db', namespace }),
    ]);
    if (d.status?.readyReplicas === 2 && s.status?.readyReplicas === 1) return;
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error('The fixture workloads did not become ready');
}

beforeAll(async () => {
  sandbox = connectSandbox();
  const overlay = YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8'));
  const a = sandbox.cluster('sandbox-a');
  relayed = relay(new URL(a.url));
  // sandbox-a again, through the relay: its requests are counted, and it
  // can be made to stop answering without freezing the cluster that other
  // tests use at the same time.
  overlay.kubernetes.clusterLocatorMethods[0].clusters.push({
    name: 'sandbox-a-relay',
    url: await relayed.listen(),
    authProvider: 'serviceAccount',
    serviceAccountToken: a.identities.platform.token,
    caData: a.caData,
  });
  overlay.kubernetes.clusterLocatorMethods[0].clusters.push({
    name: 'sandbox-refused',
    url: sandbox.state.endpoints.refused,
    authProvider: 'serviceAccount',
    serviceAccountToken: a.identities.platform.token,
    caData: a.caData,
  });
  overlay.tenancy.clusterTimeoutMs = TIMEOUT_MS;
  overlay.tenancy.fleet = { refreshIntervalSeconds: 3600, pageSize: 1000 };
  await createFixture();

  const backend = await startTestBackend({
    features: [
      tenancyPlugin,
      mockServices.rootConfig.factory({ data: overlay }),
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
      catalogServiceMock.factory({ entities: [] }),
      ...personaServices(),
    ],
  });
  server = backend.server;
  stop = () => backend.stop();
  // The first request makes the fleet snapshot, through the relay too.
  const res = await request(server).get('/api/tenancy/fleet').set(as('pat'));
  const relayCluster = res.body.clusters?.find(
    (c: any) => c.name === 'sandbox-a-relay',
  );
  if (!relayCluster || relayCluster.error) {
    throw new Error(
      `No snapshot of sandbox-a-relay: ${JSON.stringify(res.body)}`,
    );
  }
});

afterAll(async () => {
  await stop?.();
  await relayed?.close();
  await sandbox?.cleanup();
});

const pods = (
  user: string,
  cluster: string,
  namespace: string,
  name: string,
  query = '',
  kind = 'deployments',
) =>
  request(server)
    .get(
      `/api/tenancy/clusters/${cluster}/namespaces/${namespace}/${kind}/${name}/pods${query}`,
    )
    .set(as(user));

/** The bytes that reached sandbox-a-relay's cluster while `fn` ran. */
async function bytesToCluster(fn: () => Promise<unknown>): Promise<number> {
  const before = relayed.state.bytes;
  await fn();
  return relayed.state.bytes - before;
}

describe('GET /clusters/:cluster/namespaces/:namespace/(deployments|statefulsets)/:name/pods', () => {
  it('shows a team member its crash-looping service: the crash, the restarts, the events and the last lines of its logs', async () => {
    const res = await pods(
      'bob',
      'sandbox-a',
      'search',
      'search-indexer',
      '?tailLines=3',
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      cluster: 'sandbox-a',
      namespace: 'search',
      kind: 'Deployment',
      name: 'search-indexer',
      tailLines: 3,
      totalPods: 1,
    });
    const [pod] = res.body.pods;
    expect(pod.reason).toBe('CrashLoopBackOff');
    expect(pod.ready).toBe(false);
    expect(pod.restarts).toBeGreaterThanOrEqual(1);
    expect(pod.node).toMatch(/^sandbox-a-node-/);
    expect(pod.containers).toEqual([
      expect.objectContaining({
        name: 'app',
        image: 'registry.example.com/team-search/search-indexer:1.0.0',
        ready: false,
        state: 'waiting',
        reason: 'CrashLoopBackOff',
        lastTermination: expect.objectContaining({
          reason: 'Error',
          exitCode: 1,
        }),
      }),
    ]);
    expect(pod.events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'Warning',
          reason: 'BackOff',
          object: `Pod/${pod.name}`,
        }),
      ]),
    );
    // The last run's log and the one before it, each its last 3 lines.
    expect(pod.logs).toHaveLength(2);
    const [current, previous] = pod.logs;
    expect(current).toMatchObject({ container: 'app', previous: false });
    expect(current.lines).toHaveLength(3);
    expect(current.lines[2]).toMatch(
      /FATAL cannot start without the search cluster; exiting with status 1$/,
    );
    expect(previous).toMatchObject({ container: 'app', previous: true });
    expect(previous.lines).toHaveLength(3);
    expect(previous.error).toBeUndefined();
  });

  it('lets the platform team read any team’s workload', async () => {
    const res = await pods('pat', 'sandbox-b', 'search', 'search-indexer');
    expect(res.status).toBe(200);
    expect(res.body.tailLines).toBe(50);
    // The whole log: fewer lines than asked for.
    expect(res.body.pods[0].logs[0].lines).toHaveLength(10);
  });

  it("answers another team's member 404, as for a namespace that does not exist, without calling the cluster", async () => {
    let other: request.Response | undefined;
    let missing: request.Response | undefined;
    const bytes = await bytesToCluster(async () => {
      other = await pods(
        'alice',
        'sandbox-a-relay',
        'search',
        'search-indexer',
      );
      missing = await pods(
        'alice',
        'sandbox-a-relay',
        'nope',
        'search-indexer',
      );
    });
    expect(other!.status).toBe(404);
    expect(missing!.status).toBe(404);
    expect(other!.body.error.message).toBe(
      'No Deployment search/search-indexer on cluster sandbox-a-relay among the namespaces you may read',
    );
    expect(missing!.body.error.message).toBe(
      other!.body.error.message.replace('search/', 'nope/'),
    );
    expect(bytes).toBe(0);
    // The same request by the team's own member does reach the cluster.
    expect(
      await bytesToCluster(async () =>
        expect(
          (
            await pods('bob', 'sandbox-a-relay', 'search', 'search-indexer')
          ).status,
        ).toBe(200),
      ),
    ).toBeGreaterThan(0);
  });

  it('answers 404 for an unknown cluster and for a workload its namespace does not have', async () => {
    const unknown = await pods('pat', 'sandbox-z', 'search', 'search-indexer');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).not.toMatch(/sandbox-a|sandbox-b/);
    const absent = await pods('bob', 'sandbox-a', 'search', 'nope');
    expect(absent.status).toBe(404);
    expect(absent.body.error.name).toBe('NotFoundError');
  });

  it.each([
    ['a kind that is not a workload', 'daemonsets', 'search-indexer', ''],
    ["an object's own property", 'constructor', 'search-indexer', ''],
    ['a name Kubernetes would refuse', 'deployments', 'Search_Indexer', ''],
    ['a name of 300 characters', 'deployments', 'x'.repeat(300), ''],
    ['no tail', 'deployments', 'search-indexer', '?tailLines=0'],
    ['too long a tail', 'deployments', 'search-indexer', '?tailLines=501'],
    [
      'a tail that is no number',
      'deployments',
      'search-indexer',
      '?tailLines=ten',
    ],
    ['a fractional tail', 'deployments', 'search-indexer', '?tailLines=1.5'],
    ['two tails', 'deployments', 'search-indexer', '?tailLines=1&tailLines=2'],
  ])(
    'answers 400 for %s, before calling the cluster',
    async (_, kind, name, query) => {
      let res: request.Response | undefined;
      const bytes = await bytesToCluster(async () => {
        res = await pods('bob', 'sandbox-a-relay', 'search', name, query, kind);
      });
      expect(res!.status).toBe(400);
      expect(res!.body.error.name).toBe('InputError');
      expect(res!.body.error.message).toMatch(/^Invalid /);
      expect(JSON.stringify(res!.body)).not.toMatch(/at .*\.ts:\d+/);
      expect(bytes).toBe(0);
    },
  );

  it('answers 400 for a malformed namespace or cluster name', async () => {
    for (const [cluster, namespace] of [
      ['%3Cscript%3E', 'search'],
      ['sandbox-a', 'Search'],
      ['sandbox-a', 'x'.repeat(64)],
    ]) {
      const res = await pods('bob', cluster, namespace, 'search-indexer');
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
    }
  });

  it("reads a StatefulSet's pods too, and returns no env, Secret or token", async () => {
    const res = await pods(
      'bob',
      'sandbox-c',
      fixtureNamespace,
      'fixture-db',
      '',
      'statefulsets',
    );
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('StatefulSet');
    expect(res.body.pods.map((p: any) => p.name)).toEqual(['fixture-db-0']);
    const [pod] = res.body.pods;
    expect(pod).toMatchObject({ phase: 'Running', ready: true });
    expect(pod.reason).toBeUndefined();
    // Of the spec, only the container's name and image.
    expect(Object.keys(pod.containers[0]).sort()).toEqual([
      'image',
      'name',
      'ready',
      'restartCount',
      'state',
    ]);
    expect(pod.logs[0].lines.length).toBeGreaterThan(0);

    const deployment = await pods(
      'bob',
      'sandbox-c',
      fixtureNamespace,
      'fixture-api',
    );
    expect(deployment.status).toBe(200);
    expect(deployment.body.pods).toHaveLength(2);
    for (const body of [res.body, deployment.body]) {
      const text = JSON.stringify(body);
      expect(text).not.toContain(secret.literal);
      expect(text).not.toContain(secret.data);
      expect(text).not.toMatch(/"(env|envFrom|volumes|volumeMounts)"/);
      expect(text).not.toMatch(/API_TOKEN|DB_PASSWORD|secretKeyRef/);
      for (const cluster of sandbox.clusters) {
        for (const identity of Object.values(cluster.identities)) {
          expect(text).not.toContain(identity.token);
        }
      }
    }
  });

  it('reads nothing of a namespace that changed hands since the last refresh: its live owner decides again', async () => {
    // The snapshot (refreshed hourly in this test) says team-search owns the
    // fixture namespace; now it is team-checkout's, as when a namespace is
    // offboarded and made again for another team between two refreshes.
    const core = sandbox
      .cluster('sandbox-c')
      .kubeConfig('admin')
      .makeApiClient(CoreV1Api);
    const relabel = (tenant: string) =>
      core.patchNamespace(
        {
          name: fixtureNamespace,
          body: [
            {
              op: 'replace',
              path: '/metadata/labels/tenancy.dev~1tenant',
              value: tenant,
            },
          ],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
    await relabel('team-checkout');
    try {
      const stale = await pods(
        'bob',
        'sandbox-c',
        fixtureNamespace,
        'fixture-api',
      );
      expect(stale.status).toBe(404);
      const missing = await pods('bob', 'sandbox-c', 'no-such-namespace', 'x');
      expect(stale.body.error.message).toBe(
        missing.body.error.message
          .replace('no-such-namespace', fixtureNamespace)
          .replace('/x ', '/fixture-api '),
      );
      expect(JSON.stringify(stale.body)).not.toContain('fixture-api-');
      // The platform team still reads it.
      const platform = await pods(
        'pat',
        'sandbox-c',
        fixtureNamespace,
        'fixture-api',
      );
      expect(platform.status).toBe(200);
    } finally {
      await relabel('team-search');
    }
    const back = await pods(
      'bob',
      'sandbox-c',
      fixtureNamespace,
      'fixture-api',
    );
    expect(back.status).toBe(200);
  });

  it('says why pods that never started have no logs: an image that cannot be pulled, a pod no node can take', async () => {
    const pull = await pods('carol', 'sandbox-b', 'checkout', 'image-resizer');
    expect(pull.status).toBe(200);
    expect(pull.body.pods[0].reason).toBe('ImagePullBackOff');
    expect(pull.body.pods[0].logs).toEqual([
      {
        container: 'app',
        previous: false,
        lines: [],
        error: 'No log: the container has not started (ImagePullBackOff)',
      },
    ]);
    const pending = await pods(
      'carol',
      'sandbox-c',
      'checkout',
      'checkout-web',
    );
    expect(pending.status).toBe(200);
    expect(pending.body.pods.map((p: any) => p.reason)).toEqual([
      'Unschedulable',
      'Unschedulable',
    ]);
    expect(pending.body.pods[0].node).toBeUndefined();
    expect(pending.body.pods[0].logs[0].error).toBe(
      'No log: the container has not started (Unschedulable)',
    );
  });

  it('answers within the timeout when the cluster stops answering, saying why only to the platform team', async () => {
    relayed.state.swallowing = true;
    try {
      const started = Date.now();
      const member = await pods(
        'bob',
        'sandbox-a-relay',
        'search',
        'search-indexer',
      );
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 3000);
      expect(member.status).toBe(503);
      expect(member.body.error).toMatchObject({
        name: 'ServiceUnavailableError',
        message: REDACTED,
      });
      const platform = await pods(
        'pat',
        'sandbox-a-relay',
        'search',
        'search-indexer',
      );
      expect(platform.status).toBe(503);
      expect(platform.body.error.message).toBe(
        `No answer within ${TIMEOUT_MS} ms`,
      );
      expect(JSON.stringify(platform.body)).not.toMatch(/127\.0\.0\.1/);
    } finally {
      relayed.state.swallowing = false;
    }
  });

  it('answers 503 for a cluster the last refresh could not read: to a member from the snapshot, to the platform team from a new try', async () => {
    const member = await pods(
      'bob',
      'sandbox-refused',
      'search',
      'search-indexer',
    );
    expect(member.status).toBe(503);
    expect(member.body.error.message).toBe(REDACTED);
    const platform = await pods(
      'pat',
      'sandbox-refused',
      'search',
      'search-indexer',
    );
    expect(platform.status).toBe(503);
    expect(platform.body.error.message).toBe('Connection refused');
  });
});
