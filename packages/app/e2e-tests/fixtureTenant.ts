import {
  CoreV1Api,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import {
  CLUSTERS,
  connectSandbox,
  FIXTURE_LABEL,
  fixtureNamespaceObjects,
  type FixtureNamespaceSpec,
  type SandboxCluster,
} from '@tenancy/sandbox';

/**
 * A fixture tenant for the end-to-end tests (issue #16): the group
 * `team-fixture` with 50 namespaces, `team-fixture-01` … `team-fixture-50`,
 * each on all three sandbox clusters (150 namespace entries in the portal),
 * with quotas of which a few are 80 % full or more, a LimitRange on some and
 * a default-deny NetworkPolicy on some, so that the team page has a
 * realistic, varied matrix to show.
 *
 * It is not part of the sandbox's seed: the e2e tests create it on the test
 * sandbox (TENANCY_SANDBOX_DIR) and leave it there — deleting 150 namespaces
 * is slow and the next run would make them again. What that means for the
 * other tests:
 * - The team is `team-fixture`, the team plugins/tenancy-backend's
 *   router.test.ts makes its own namespace for, so the number of tenants on
 *   sandbox-a it counts (payments, search, checkout, the fixture team) stays
 *   4 with these namespaces left behind.
 * - The namespaces are named `team-fixture-NN` rather than `fixture-NN`:
 *   a cluster page lists namespaces by name, 50 to a page, and `fixture-*`
 *   would push the seeded `payments` and `search` (which tenancy.test.ts
 *   reads on sandbox-a) onto the second page.
 * - The catalog module makes a Resource of each (`team-fixture-NN.dev`,
 *   `team-fixture-NN.prod`), owned by `group:default/team-fixture`. The
 *   catalog has no Group of that name (packages/sandbox/catalog/seed.yaml
 *   is the seed's, not the fixture's): the portal's API and the team page at
 *   /tenancy/tenants/default/team-fixture do not need one; the group entity
 *   page's Tenancy tab would.
 *
 * Idempotent: every object is server-side applied (created, or left as it
 * is); a cluster whose 50 namespaces all carry this version's marker is not
 * touched at all, so a second call costs one list per cluster.
 */

export const FIXTURE_TEAM = 'team-fixture';
export const FIXTURE_TEAM_REF = `group:default/${FIXTURE_TEAM}`;
export const FIXTURE_NAMESPACE_COUNT = 50;

/** Bump when the fixture's shape changes: clusters without it are applied again. */
const FIXTURE_VERSION = '2';
const VERSION_ANNOTATION = 'sandbox.tenancy.dev/fixture-version';
const FIELD_MANAGER = 'tenancy-e2e-fixture';

export const FIXTURE_NAMESPACES = Array.from(
  { length: FIXTURE_NAMESPACE_COUNT },
  (_, i) => `${FIXTURE_TEAM}-${String(i + 1).padStart(2, '0')}`,
);

export interface FixtureNamespace extends FixtureNamespaceSpec {
  /**
   * ConfigMaps the fixture puts in the namespace, besides the
   * `kube-root-ca.crt` every namespace gets: the quota's `count/configmaps`
   * is counted by the clusters' resource quota controller, so its use is
   * (configMaps + 1) / hard.
   */
  configMaps: number;
}

/**
 * Namespace n (1 … 50): its quota, policies and ConfigMaps. The same on
 * every cluster.
 * - every 10th: `count/configmaps` 5 of 5 used (100 %);
 * - every 10th + 5: 4 of 5 (80 %);
 * - every 7th otherwise: 9 of 10 (90 %);
 * - the rest between 1 of 30 and 5 of 10.
 * LimitRange on n not divisible by 3; both NetworkPolicies (default deny)
 * on n not divisible by 4, only the same-namespace one on n = 4, 12, 20 …,
 * none on n = 8, 16, 24 ….
 */
export function fixtureNamespace(n: number): FixtureNamespace {
  let hard: number;
  let configMaps: number;
  if (n % 10 === 0) [hard, configMaps] = [5, 4];
  else if (n % 10 === 5) [hard, configMaps] = [5, 3];
  else if (n % 7 === 0) [hard, configMaps] = [10, 8];
  else [hard, configMaps] = [10 * (1 + (n % 3)), n % 5];
  let networkPolicies: FixtureNamespaceSpec['networkPolicies'];
  if (n % 4 !== 0) networkPolicies = 'default-deny';
  else networkPolicies = n % 8 === 4 ? 'same-namespace' : 'none';
  return {
    namespace: FIXTURE_NAMESPACES[n - 1],
    quota: {
      'count/configmaps': String(hard),
      pods: '10',
      'requests.cpu': '2',
      'requests.memory': '4Gi',
    },
    limitRange: n % 3 !== 0,
    networkPolicies,
    configMaps,
  };
}

export interface FixtureTenant {
  /** `group:default/team-fixture` */
  teamRef: string;
  /** `team-fixture` */
  team: string;
  /** `team-fixture-01` … `team-fixture-50`, each on every cluster. */
  namespaces: string[];
  /** The clusters every namespace is on. */
  clusters: string[];
  /** What each namespace holds, by name. */
  specs: Record<string, FixtureNamespace>;
}

function describeFixture(): FixtureTenant {
  const specs = FIXTURE_NAMESPACES.map((_, i) => fixtureNamespace(i + 1));
  return {
    teamRef: FIXTURE_TEAM_REF,
    team: FIXTURE_TEAM,
    namespaces: [...FIXTURE_NAMESPACES],
    clusters: CLUSTERS.map(c => c.name),
    specs: Object.fromEntries(specs.map(s => [s.namespace, s])),
  };
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function inParallel<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift())
        await fn(item);
    }),
  );
}

async function isComplete(kc: KubeConfig): Promise<boolean> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespace({
    labelSelector: `${FIXTURE_LABEL}=${FIXTURE_TEAM}`,
  });
  const done = new Set(
    list.items
      .filter(
        ns =>
          ns.status?.phase === 'Active' &&
          ns.metadata?.annotations?.[VERSION_ANNOTATION] === FIXTURE_VERSION,
      )
      .map(ns => ns.metadata!.name),
  );
  return FIXTURE_NAMESPACES.every(name => done.has(name));
}

async function applyCluster(cluster: SandboxCluster, spec: FixtureTenant) {
  const kc = cluster.kubeConfig('admin');
  if (await isComplete(kc)) return;
  const client = KubernetesObjectApi.makeApiClient(kc);
  // A fresh cluster under the other tests' load can close a connection
  // ("other side closed"): server-side apply is idempotent, so try again.
  const apply = async (object: KubernetesObject) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await client.patch(
          object,
          undefined,
          undefined,
          FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        );
      } catch (error) {
        const status = (error as { code?: number }).code;
        if (
          attempt >= 5 ||
          (status !== undefined && status < 500 && status !== 429)
        ) {
          throw error;
        }
        await new Promise(r => setTimeout(r, 500 * attempt));
      }
    }
  };
  const clusterSpec = CLUSTERS.find(c => c.name === cluster.name)!;
  // A few namespaces at a time: 50 at once, each with its objects in
  // parallel, was hundreds of requests on one connection.
  await inParallel(spec.namespaces, 8, async name => {
    const ns = spec.specs[name];
    const [namespace, ...rest] = fixtureNamespaceObjects(
      clusterSpec,
      FIXTURE_TEAM,
      ns,
    );
    // The Namespace; then all in it at once: quota, limits, binding and
    // policies; then the ConfigMaps the quota counts; last the marker that
    // all of it is there.
    await apply(namespace);
    const configMaps = Array.from(
      { length: ns.configMaps },
      (_, i): KubernetesObject & { data: Record<string, string> } => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: `fixture-data-${i + 1}`,
          namespace: name,
          labels: { [FIXTURE_LABEL]: FIXTURE_TEAM },
        },
        data: { index: String(i + 1) },
      }),
    );
    await Promise.all(rest.map(apply));
    // The quota counts a ConfigMap when it is made only once the quota
    // controller has filled the quota's status; made before that, it is
    // counted at the controller's next full resync (minutes). The first
    // clean-clone run saw 14 of 48 full namespaces after a minute.
    const core = kc.makeApiClient(CoreV1Api);
    for (let i = 0; i < 60; i++) {
      const quotas = await core.listNamespacedResourceQuota({
        namespace: name,
      });
      if (quotas.items.length > 0 && quotas.items.every(q => q.status?.hard)) {
        break;
      }
      await new Promise(r => setTimeout(r, 250));
    }
    await Promise.all(configMaps.map(apply));
    await apply({
      ...namespace,
      metadata: {
        ...namespace.metadata,
        annotations: {
          ...namespace.metadata?.annotations,
          [VERSION_ANNOTATION]: FIXTURE_VERSION,
        },
      },
    });
  });
}

/**
 * Makes sure the fixture tenant is on the three sandbox clusters (see
 * above) and says what it is. Seconds the first time, one list per cluster
 * after. The portal sees it at its next fleet refresh (every 5 s in
 * app-config.e2e.yaml): wait for that explicitly (fixture.test.ts).
 */
export async function ensureFixtureTenant(): Promise<FixtureTenant> {
  const spec = describeFixture();
  const sandbox = connectSandbox();
  await Promise.all(
    spec.clusters.map(name => applyCluster(sandbox.cluster(name), spec)),
  );
  return spec;
}
