import {
  KubernetesObject,
  V1Deployment,
  V1Namespace,
  V1Node,
} from '@kubernetes/client-node';
import {
  BaselineObject,
  BaselineOptions,
  renderTenantBaseline,
} from '@tenancy/plugin-tenancy-node';
import {
  Behaviour,
  MANAGED_BY_LABEL,
  SERVICES,
  SIMULATE_LABEL,
  SandboxClusterSpec,
  TENANT_LABEL,
} from './seedData';

/** Simulated nodes, managed by kwok because of their annotation. */
export function nodeObjects(cluster: SandboxClusterSpec): V1Node[] {
  return Array.from({ length: cluster.nodes }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: `${cluster.name}-node-${i}`,
      annotations: {
        'kwok.x-k8s.io/node': 'fake',
        'node.alpha.kubernetes.io/ttl': '0',
      },
      labels: {
        type: 'kwok',
        'kubernetes.io/hostname': `${cluster.name}-node-${i}`,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'topology.kubernetes.io/zone': `zone-${i}`,
      },
    },
  }));
}

function deployment(
  service: (typeof SERVICES)[number],
  behaviour: Behaviour,
): V1Deployment {
  const labels = {
    'app.kubernetes.io/name': service.name,
    'backstage.io/kubernetes-id': service.name,
  };
  const podLabels: Record<string, string> = { ...labels };
  if (behaviour !== 'healthy' && behaviour !== 'pending') {
    podLabels[SIMULATE_LABEL] = behaviour;
  }
  const image =
    behaviour === 'imagepull'
      ? `registry.example.com/${service.tenant}/${service.name}:does-not-exist`
      : `registry.example.com/${service.tenant}/${service.name}:1.0.0`;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: service.name, namespace: service.namespace, labels },
    spec: {
      replicas: service.replicas,
      selector: { matchLabels: { 'app.kubernetes.io/name': service.name } },
      template: {
        metadata: { labels: podLabels },
        spec: {
          // A node pool no simulated node belongs to: the scheduler leaves
          // the pods Pending with a FailedScheduling event, as on a full cluster.
          ...(behaviour === 'pending'
            ? { nodeSelector: { 'sandbox.tenancy.dev/pool': 'gpu' } }
            : {}),
          containers: [
            {
              name: 'app',
              image,
              ports: [{ containerPort: 8080 }],
              resources: {
                requests: { cpu: '100m', memory: '128Mi' },
                limits: { cpu: '500m', memory: '256Mi' },
              },
            },
          ],
        },
      },
    },
  };
}

/** The seeded namespaces' quota: the same everywhere, smaller than a real team's. */
const SEED_QUOTA: Record<string, string> = {
  'requests.cpu': '4',
  'requests.memory': '8Gi',
  'limits.cpu': '8',
  'limits.memory': '16Gi',
  pods: '20',
};

/**
 * The baseline settings the seed renders with: the suite's default roles
 * and group subjects, and no ingress controller namespace (the sandbox has
 * none, so there is no allow-from-ingress policy to render).
 */
const SEED_BASELINE: BaselineOptions = {
  groupSubjectTemplate: '{name}',
  tenantRole: 'tenancy-tenant-developer',
  deployRole: 'tenancy-deployer',
  deployServiceAccount: 'deployer',
  defaultPodSecurity: 'baseline',
  ingressNamespaces: [],
  defaultQuotaPreset: 'seed',
  quotaPresets: { seed: SEED_QUOTA },
  limitRange: {
    defaultRequest: { cpu: '100m', memory: '128Mi' },
    default: { cpu: '500m', memory: '256Mi' },
  },
};

/**
 * The parts of the tenant baseline the seed applies, by kind and name: the
 * quota, the default limits, the team's RoleBinding, and the two
 * NetworkPolicies the views show as "NetworkPolicy ×2 · default deny" (the
 * end-to-end tests read that).
 */
const SEEDED_BASELINE_OBJECTS = new Set([
  'ResourceQuota/tenant-quota',
  'LimitRange/tenant-defaults',
  'RoleBinding/tenant-developers',
  'NetworkPolicy/default-deny',
  'NetworkPolicy/allow-same-namespace',
]);

/**
 * A seeded namespace as onboarding would have made it, rendered by the
 * suite's own baseline renderer so that the objects' shape has one home.
 * The seed labels them as its own (managed by tenancy-sandbox) so that they
 * are told apart from what the portal applies.
 */
function seededBaseline(
  cluster: SandboxClusterSpec,
  namespace: string,
  tenant: string,
  quota: Record<string, string> = SEED_QUOTA,
  extraLabels: Record<string, string> = {},
): KubernetesObject[] {
  const labels = {
    ...extraLabels,
    [TENANT_LABEL]: tenant,
    [MANAGED_BY_LABEL]: 'tenancy-sandbox',
  };
  // The Namespace stays the seed's own: onboarding's adds Pod Security
  // enforcement, which would change what the seeded workloads may run.
  const ns: V1Namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: namespace,
      labels: { ...labels, 'tenancy.dev/environment': cluster.environment },
      annotations: { 'tenancy.dev/owner': `group:default/${tenant}` },
    },
  };
  const rendered = renderTenantBaseline(
    {
      tenant: { kind: 'group', namespace: 'default', name: tenant },
      namespace,
      environment: cluster.environment,
      quota,
      podSecurity: SEED_BASELINE.defaultPodSecurity,
    },
    SEED_BASELINE,
  );
  const parts = rendered
    .filter(o => SEEDED_BASELINE_OBJECTS.has(`${o.kind}/${o.metadata?.name}`))
    .map(
      (o): BaselineObject => ({
        ...o,
        metadata: { name: o.metadata?.name, namespace, labels },
      }),
    );
  // A renamed baseline object must not silently drop out of the seed.
  if (parts.length !== SEEDED_BASELINE_OBJECTS.size) {
    throw new Error(
      `the tenant baseline no longer renders all of ${[
        ...SEEDED_BASELINE_OBJECTS,
      ].join(', ')}`,
    );
  }
  return [ns, ...parts];
}

/**
 * The tenant namespaces with their baseline (quota, limits, team binding,
 * network policies) and the seeded services' Deployments on one cluster.
 */
export function workloadObjects(
  cluster: SandboxClusterSpec,
): KubernetesObject[] {
  const services = SERVICES.filter(s => s.placement[cluster.name]);
  const namespaces = new Map(services.map(s => [s.namespace, s.tenant]));
  const objects: KubernetesObject[] = [];
  for (const [namespace, tenant] of namespaces) {
    objects.push(...seededBaseline(cluster, namespace, tenant));
  }
  for (const service of services) {
    objects.push(deployment(service, service.placement[cluster.name]));
  }
  return objects;
}

/** The label on every object of a fixture tenant (its value: the tenant). */
export const FIXTURE_LABEL = 'sandbox.tenancy.dev/fixture';

/** What one namespace of a fixture tenant carries besides its team binding. */
export interface FixtureNamespaceSpec {
  namespace: string;
  /** ResourceQuota `hard`. */
  quota: Record<string, string>;
  /** With the baseline's LimitRange (container defaults). */
  limitRange: boolean;
  /**
   * The baseline's two NetworkPolicies (`default-deny`), only the one that
   * allows the namespace's own pods (`same-namespace`), or none.
   */
  networkPolicies: 'default-deny' | 'same-namespace' | 'none';
}

/**
 * A namespace of a fixture tenant — a team with many namespaces for the
 * end-to-end tests (packages/app/e2e-tests/fixtureTenant.ts), not part of
 * the seed — rendered like the seeded namespaces, with parts left out so
 * that the views show some variety. Every object carries
 * {@link FIXTURE_LABEL}.
 */
export function fixtureNamespaceObjects(
  cluster: SandboxClusterSpec,
  tenant: string,
  spec: FixtureNamespaceSpec,
): KubernetesObject[] {
  return seededBaseline(cluster, spec.namespace, tenant, spec.quota, {
    [FIXTURE_LABEL]: tenant,
  }).filter(o => {
    if (o.kind === 'LimitRange') return spec.limitRange;
    if (o.kind !== 'NetworkPolicy') return true;
    if (spec.networkPolicies === 'none') return false;
    return (
      spec.networkPolicies === 'default-deny' ||
      o.metadata?.name !== 'default-deny'
    );
  });
}
