import {
  KubernetesObject,
  V1Deployment,
  V1LimitRange,
  V1NetworkPolicy,
  V1Namespace,
  V1Node,
  V1ResourceQuota,
  V1RoleBinding,
} from '@kubernetes/client-node';
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

/**
 * The tenant namespaces with their baseline (quota, limits, team binding) and
 * the seeded services' Deployments on one cluster.
 */
export function workloadObjects(
  cluster: SandboxClusterSpec,
): KubernetesObject[] {
  const services = SERVICES.filter(s => s.placement[cluster.name]);
  const namespaces = new Map(services.map(s => [s.namespace, s.tenant]));
  const objects: Array<
    | V1Namespace
    | V1ResourceQuota
    | V1LimitRange
    | V1NetworkPolicy
    | V1RoleBinding
    | V1Deployment
  > = [];
  for (const [namespace, tenant] of namespaces) {
    // Labelled like the suite's own baseline, so the views list them.
    const meta = (name: string) => ({
      name,
      namespace,
      labels: {
        [TENANT_LABEL]: tenant,
        [MANAGED_BY_LABEL]: 'tenancy-sandbox',
      },
    });
    objects.push(
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: namespace,
          labels: {
            [TENANT_LABEL]: tenant,
            [MANAGED_BY_LABEL]: 'tenancy-sandbox',
            'tenancy.dev/environment': cluster.environment,
          },
          annotations: { 'tenancy.dev/owner': `group:default/${tenant}` },
        },
      } satisfies V1Namespace,
      {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: meta('tenant-quota'),
        spec: {
          hard: {
            'requests.cpu': '4',
            'requests.memory': '8Gi',
            'limits.cpu': '8',
            'limits.memory': '16Gi',
            pods: '20',
          },
        },
      } satisfies V1ResourceQuota,
      {
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: meta('tenant-defaults'),
        spec: {
          limits: [
            {
              type: 'Container',
              // The client's model names it _default; it is sent as `default`.
              _default: { cpu: '500m', memory: '256Mi' },
              defaultRequest: { cpu: '100m', memory: '128Mi' },
            },
          ],
        },
      } satisfies V1LimitRange,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: meta('tenant-developers'),
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'tenancy-tenant-developer',
        },
        subjects: [
          {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'Group',
            name: tenant,
          },
        ],
      } satisfies V1RoleBinding,
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: meta('default-deny'),
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      } satisfies V1NetworkPolicy,
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: meta('allow-same-namespace'),
        spec: {
          podSelector: {},
          policyTypes: ['Ingress', 'Egress'],
          ingress: [{ _from: [{ podSelector: {} }] }],
          egress: [{ to: [{ podSelector: {} }] }],
        },
      } satisfies V1NetworkPolicy,
    );
  }
  for (const service of services) {
    objects.push(deployment(service, service.placement[cluster.name]));
  }
  return objects;
}
