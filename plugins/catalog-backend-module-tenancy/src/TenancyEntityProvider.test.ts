import { CacheManager } from '@backstage/backend-defaults/cache';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { connectSandbox } from '@tenancy/sandbox';
import {
  ClusterRegistry,
  DefaultClusterRegistry,
  TenancyCluster,
} from '@tenancy/plugin-tenancy-node';
import { eventually, FakeConnection } from '@tenancy/test-utils';
import fs from 'node:fs';
import YAML from 'yaml';
import { STATE_KEY } from './state';
import { TenancyEntityProvider } from './TenancyEntityProvider';

jest.setTimeout(60_000);

const sandbox = connectSandbox();
const providers: TenancyEntityProvider[] = [];
afterEach(async () => {
  providers.splice(0).forEach(p => p.stop());
  await sandbox.cleanup();
});

/**
 * The registry of the sandbox's clusters, where one cluster can be made
 * unreachable: its KubeConfig then points at the sandbox's black hole (an
 * endpoint that accepts connections and never answers); and where a name
 * can be moved to another cluster's API server, as when a catalog cluster's
 * URL is edited.
 */
class SwitchableRegistry implements ClusterRegistry {
  readonly down = new Set<string>();
  /** A name → the sandbox cluster whose API server it stands for now. */
  readonly moved = new Map<string, string>();
  constructor(private readonly inner: ClusterRegistry) {}
  async listClusters() {
    const clusters = await this.inner.listClusters();
    return clusters.map(c => {
      const to = clusters.find(o => o.name === this.moved.get(c.name));
      return to ? { ...to, name: c.name } : c;
    });
  }
  getCluster(name: string) {
    return this.inner.getCluster(name);
  }
  async kubeConfig(cluster: TenancyCluster): Promise<KubeConfig> {
    // The sandbox's registry finds a cluster's token by its name and URL.
    const real = (await this.inner.listClusters()).find(
      c => c.url === cluster.url,
    );
    const kc = await this.inner.kubeConfig(real ?? cluster);
    if (!this.down.has(cluster.name)) return kc;
    const copy = new KubeConfig();
    copy.loadFromOptions({
      clusters: kc.clusters.map(c => ({
        ...c,
        server: sandbox.state.endpoints.blackhole,
      })),
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
    return copy;
  }
}

// The provider's state lives in the catalog's cache: memory in one process,
// Redis (the production overlay's store) between replicas.
const stores = [
  { store: 'memory' },
  ...(process.env.TENANCY_TEST_REDIS_URL
    ? [{ store: 'redis', connection: process.env.TENANCY_TEST_REDIS_URL }]
    : []),
];

function setup(
  cacheConfig: object,
  namespace: string,
  tenancy: (overlay: any) => void = overlay => {
    // The black-holed cluster of these tests is given up on after 3 s.
    overlay.catalog = { ...overlay.catalog, clusterTimeoutMs: 3_000 };
  },
  { watch = false }: { watch?: boolean } = {},
) {
  const overlay = YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8'));
  tenancy(overlay.tenancy);
  // These tests change a cluster and call refresh() at once: without the
  // watch every run lists every cluster, so the run sees the change for
  // sure. With it (the default outside tests), a run may come before the
  // watch's event of a change and keep the listing; the event's own run
  // then lists again — the test of that is below.
  overlay.tenancy.catalog = { watch, ...overlay.tenancy.catalog };
  const config = new ConfigReader({
    ...overlay,
    backend: { cache: { ...cacheConfig, defaultTtl: 60_000 } },
  });
  // One cache namespace per test: tests do not share provider state.
  const cache = CacheManager.fromConfig(config).forPlugin(namespace);
  const registry = new SwitchableRegistry(
    DefaultClusterRegistry.fromConfig(config, {
      logger: mockServices.logger.mock(),
    }),
  );
  const provider = TenancyEntityProvider.fromConfig(config, {
    logger: mockServices.logger.mock(),
    scheduler: mockServices.scheduler.mock(),
    cache,
    clusters: registry,
  });
  providers.push(provider);
  return { provider, registry, cache };
}

async function tenantNamespace(cluster: string, tenant: string, env: string) {
  return sandbox.createNamespace(sandbox.cluster(cluster), {
    name: sandbox.uniqueName('cat'),
    labels: { 'tenancy.dev/tenant': tenant, 'tenancy.dev/environment': env },
  });
}

describe.each(stores)('TenancyEntityProvider (cache: $store)', cacheConfig => {
  it('applies a full mutation first, then only what changed', async () => {
    const { provider } = setup(cacheConfig, sandbox.uniqueName('catalog'));
    const connection = new FakeConnection();
    await provider.connect(connection);

    const first = await provider.refresh();
    expect(first.mutation).toBe('full');
    expect(connection.mutations).toHaveLength(1);
    const seeded = connection.entities.get('resource:default/payments.prod');
    expect(seeded?.spec).toEqual({
      type: 'kubernetes-namespace',
      owner: 'group:default/team-payments',
      dependsOn: ['resource:default/sandbox-b', 'resource:default/sandbox-c'],
    });
    expect(connection.entities.get('resource:default/sandbox-a')).toMatchObject(
      {
        metadata: {
          annotations: expect.objectContaining({
            'tenancy.dev/environment': 'dev',
            'tenancy.dev/kubernetes-version': expect.stringMatching(/^v1\./),
          }),
        },
        spec: {
          type: 'kubernetes-cluster',
          owner: 'group:default/platform-team',
        },
      },
    );

    // A new namespace for team-search on both prod clusters: one entity.
    const name = sandbox.uniqueName('cat');
    for (const c of ['sandbox-b', 'sandbox-c']) {
      await sandbox.createNamespace(sandbox.cluster(c), {
        name,
        labels: {
          'tenancy.dev/tenant': 'team-search',
          'tenancy.dev/environment': 'prod',
        },
      });
    }
    const second = await provider.refresh();
    expect(second.mutation).toBe('delta');
    const delta = connection.mutations[connection.mutations.length - 1];
    expect(delta.type).toBe('delta');
    const added =
      delta.type === 'delta'
        ? delta.added.map(a => a.entity.metadata.name)
        : [];
    // Only what changed: our namespace (and other tests' namespaces, which
    // share the sandbox) — never the seeded ones or the clusters.
    expect(added).toContain(`${name}.prod`);
    expect(added).not.toContain('payments.prod');
    expect(added).not.toContain('sandbox-b');
    expect(added.length).toBeLessThan(connection.entities.size / 2);
    expect(
      connection.entities.get(`resource:default/${name}.prod`)?.spec,
    ).toEqual({
      type: 'kubernetes-namespace',
      owner: 'group:default/team-search',
      dependsOn: ['resource:default/sandbox-b', 'resource:default/sandbox-c'],
    });

    const core = (c: string) =>
      sandbox.cluster(c).kubeConfig('admin').makeApiClient(CoreV1Api);
    // An owner that is not a group is nobody's namespace in the catalog.
    // (On sandbox-b: router.test.ts counts sandbox-a's tenants.)
    const odd = sandbox.uniqueName('cat');
    await core('sandbox-b').createNamespace({
      body: {
        metadata: {
          name: odd,
          labels: { 'tenancy.dev/tenant': 'team-search' },
          annotations: { 'tenancy.dev/owner': 'user:default/alice' },
        },
      },
    });
    sandbox.deleteNamespaceOnCleanup(sandbox.cluster('sandbox-b'), odd);
    await provider.refresh();
    expect(
      [...connection.entities.values()].filter(
        e => e.metadata.annotations?.['tenancy.dev/namespace'] === odd,
      ),
    ).toEqual([]);

    // Gone from one cluster: still there, on the other only.
    await core('sandbox-b').deleteNamespace({ name });
    await provider.refresh();
    expect(
      connection.entities.get(`resource:default/${name}.prod`)?.spec?.dependsOn,
    ).toEqual(['resource:default/sandbox-c']);

    // Gone from every cluster: gone from the catalog.
    await core('sandbox-c').deleteNamespace({ name });
    const last = await provider.refresh();
    expect(last.removed).toBeGreaterThanOrEqual(1);
    expect(connection.entities.has(`resource:default/${name}.prod`)).toBe(
      false,
    );
  });

  it("lists with its own patience, not a page's cluster timeout", async () => {
    // A page gives up on a cluster after 1 ms: no apiserver answers that
    // fast, and the catalog's listing must not be cut short by it.
    const { provider } = setup(
      cacheConfig,
      sandbox.uniqueName('catalog'),
      overlay => {
        overlay.clusterTimeoutMs = 1;
      },
    );
    const connection = new FakeConnection();
    await provider.connect(connection);
    const result = await provider.refresh();
    expect(result.unreachable).toEqual([]);
    expect(result.mutation).toBe('full');
    expect(connection.entities.has('resource:default/payments.prod')).toBe(
      true,
    );
  });

  it('keeps the namespaces of a cluster that does not answer, and removes nothing then', async () => {
    const { provider, registry } = setup(
      cacheConfig,
      sandbox.uniqueName('catalog'),
    );
    const connection = new FakeConnection();
    await provider.connect(connection);
    const ns = await tenantNamespace('sandbox-a', 'team-checkout', 'dev');
    await provider.refresh();
    expect(connection.entities.has(`resource:default/${ns}.dev`)).toBe(true);

    registry.down.add('sandbox-a');
    const result = await provider.refresh();
    expect(result.unreachable).toEqual(['sandbox-a']);
    // Nothing removed at all: other tests' namespaces on the shared sandbox
    // only come and go on sandbox-b and sandbox-c, which this run listed in
    // full, so any removal would be one of sandbox-a's.
    expect(
      connection.mutations.at(-1)?.type === 'delta'
        ? (connection.mutations.at(-1) as any).removed.filter((r: any) =>
            String(r.entityRef).endsWith('.dev'),
          )
        : [],
    ).toEqual([]);
    expect(connection.entities.has(`resource:default/${ns}.dev`)).toBe(true);
    expect(connection.entities.has('resource:default/payments.dev')).toBe(true);
  });

  it('still removes what is gone from the clusters that answer while another has never answered', async () => {
    const { provider, registry } = setup(
      cacheConfig,
      sandbox.uniqueName('catalog'),
    );
    const connection = new FakeConnection();
    await provider.connect(connection);
    // sandbox-c (prod) has been broken from the start: nothing is known of it.
    registry.down.add('sandbox-c');
    const ns = await tenantNamespace('sandbox-a', 'team-checkout', 'dev');
    await provider.refresh();
    expect(connection.entities.has(`resource:default/${ns}.dev`)).toBe(true);

    await sandbox
      .cluster('sandbox-a')
      .kubeConfig('admin')
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: ns });
    const result = await provider.refresh();
    expect(result.unreachable).toEqual(['sandbox-c']);
    expect(connection.entities.has(`resource:default/${ns}.dev`)).toBe(false);
    // What sandbox-c may hold is not taken for gone.
    expect(connection.entities.has('resource:default/payments.prod')).toBe(
      true,
    );
  });

  it('keeps what may be on a cluster it knows nothing of, run after run, from a state that names no sources', async () => {
    const { provider, registry, cache } = setup(
      cacheConfig,
      sandbox.uniqueName('catalog'),
    );
    const connection = new FakeConnection();
    await provider.connect(connection);
    // Only on sandbox-c (prod is sandbox-b and sandbox-c).
    const ns = await tenantNamespace('sandbox-c', 'team-checkout', 'prod');
    const ref = `resource:default/${ns}.prod`;
    await provider.refresh();
    expect(connection.entities.has(ref)).toBe(true);
    // A state as an older version wrote it: which clusters each entity came
    // from is not in it, nor is sandbox-c's listing.
    const state = (await cache.get(STATE_KEY)) as any;
    delete state.sources;
    delete state.clusters['sandbox-c'];
    await cache.set(STATE_KEY, state);

    // sandbox-c does not answer: the namespace may still be there.
    registry.down.add('sandbox-c');
    for (const run of [1, 2]) {
      const result = await provider.refresh();
      expect({ run, unreachable: result.unreachable }).toEqual({
        run,
        unreachable: ['sandbox-c'],
      });
      expect({
        run,
        kept: connection.entities.has(ref),
      }).toEqual({ run, kept: true });
    }
  });

  it('never applies a full mutation while a cluster it knows nothing of is down', async () => {
    const { provider, registry } = setup(
      cacheConfig,
      sandbox.uniqueName('catalog'),
    );
    const connection = new FakeConnection();
    // What an earlier process put in the catalog.
    await connection.applyMutation({
      type: 'full',
      entities: [
        {
          locationKey: 'tenancy-kubernetes:namespace/dev/gone',
          entity: {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Resource',
            metadata: { name: 'gone.dev' },
            spec: { type: 'kubernetes-namespace', owner: 'team-payments' },
          },
        },
        {
          locationKey: 'tenancy-kubernetes:namespace/dev/payments',
          entity: {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Resource',
            metadata: { name: 'payments.dev' },
            spec: { type: 'kubernetes-namespace', owner: 'team-payments' },
          },
        },
      ],
    });
    await provider.connect(connection);
    registry.down.add('sandbox-a');
    const result = await provider.refresh();
    // A full mutation would have removed payments.dev (only on sandbox-a).
    expect(result.mutation).toBe('delta');
    expect(connection.entities.has('resource:default/payments.dev')).toBe(true);
    expect(connection.entities.has('resource:default/payments.prod')).toBe(
      true,
    );
    // Not yet known to be gone.
    expect(connection.entities.has('resource:default/gone.dev')).toBe(true);

    // Every cluster answers again: the full mutation owed since the start
    // removes what no cluster has.
    registry.down.delete('sandbox-a');
    const next = await provider.refresh();
    expect(next.mutation).toBe('full');
    expect(connection.entities.has('resource:default/gone.dev')).toBe(false);
    expect(connection.entities.has('resource:default/payments.dev')).toBe(true);
    expect((await provider.refresh()).mutation).toBe('delta');
  });

  /** A provider that watches the clusters, connected to a fake catalog. */
  async function watching() {
    const { provider, registry } = setup(
      cacheConfig,
      sandbox.uniqueName('catalog'),
      undefined,
      { watch: true },
    );
    const connection = new FakeConnection();
    await provider.connect(connection);
    return { provider, registry, connection };
  }

  it('lists the namespaces of a cluster again only when its watch saw a change', async () => {
    const { provider, connection } = await watching();
    const first = await provider.refresh();
    // The watches start with the first run, after its listing began.
    expect(first.unchanged).toEqual([]);

    // Once a cluster's watch was up before a listing and has reported
    // nothing since, the next runs keep that listing. (Other tests share the
    // sandbox: their namespaces make a cluster list again, hence the wait.)
    const quiet = await eventually(
      'every cluster to be left unlisted',
      async () => {
        const result = await provider.refresh();
        return result.unchanged.length === 3 ? result : undefined;
      },
    );
    expect(quiet.unchanged).toEqual(['sandbox-a', 'sandbox-b', 'sandbox-c']);
    expect(quiet.mutation).toBe('delta');
    expect(connection.entities.has('resource:default/payments.dev')).toBe(true);

    // A new namespace on sandbox-a: its watch event has that cluster listed
    // again, and the namespace arrives without waiting for the 10 minutes
    // after which a listing is made anyway.
    const name = await tenantNamespace('sandbox-a', 'team-search', 'dev');
    const seen = await eventually('the new namespace', async () => {
      const result = await provider.refresh();
      return connection.entities.has(`resource:default/${name}.dev`)
        ? result
        : undefined;
    });
    expect(seen.unchanged).not.toContain('sandbox-a');
    expect(
      connection.entities.get(`resource:default/${name}.dev`)?.spec?.owner,
    ).toBe('group:default/team-search');

    // Without its watch, a cluster is listed on every run.
    provider.stop();
    expect((await provider.refresh()).unchanged).toEqual([]);
  }, 150_000);

  it('lists a cluster anew when its name comes to stand for another server', async () => {
    const { provider, registry, connection } = await watching();
    const onA = await tenantNamespace('sandbox-a', 'team-search', 'dev');
    await provider.refresh();
    await eventually('every cluster to be left unlisted', async () => {
      const result = await provider.refresh();
      return result.unchanged.length === 3 ? result : undefined;
    });
    expect(connection.entities.has(`resource:default/${onA}.dev`)).toBe(true);

    // sandbox-a now names sandbox-b's API server. The listing and the watch
    // of the old server say nothing of it: it is listed at once, and what
    // was only on the old server leaves the catalog.
    registry.moved.set('sandbox-a', 'sandbox-b');
    const moved = await provider.refresh();
    expect(moved.unchanged).not.toContain('sandbox-a');
    expect(connection.entities.has(`resource:default/${onA}.dev`)).toBe(false);

    // Its watch follows: once quiet, a namespace made on sandbox-b's server
    // has the name listed again and the namespace shown on both names,
    // without waiting for the 10 minutes after which a listing is made anyway.
    await eventually('every cluster to be left unlisted again', async () => {
      const result = await provider.refresh();
      return result.unchanged.length === 3 ? result : undefined;
    });
    const onB = await tenantNamespace('sandbox-b', 'team-search', 'dev');
    // (Each name's listing follows its own watch's event: the one run may
    // list one name before the other's event came in.)
    const both = ['resource:default/sandbox-a', 'resource:default/sandbox-b'];
    const entity = await eventually('the new namespace on both', async () => {
      await provider.refresh();
      const e = connection.entities.get(`resource:default/${onB}.dev`);
      return JSON.stringify(e?.spec?.dependsOn) === JSON.stringify(both)
        ? e
        : undefined;
    });
    expect(entity.spec?.owner).toBe('group:default/team-search');
  }, 150_000);
});
