import type { Entity } from '@backstage/catalog-model';
import type {
  ClusterAccessResponse,
  ClusterDetail,
  ClusterError,
  EntityHealth,
  FleetResponse,
  NamespaceSummary,
  TeamHealth,
  TenantResponse,
  WorkloadPods,
} from '@tenancy/plugin-tenancy-common';

/** What a hostile cluster object could carry in a name, label or message; it must render as text, never HTML. */
export const HOSTILE = '<img src=x onerror=alert(1)>';

const NOW = '2026-01-01T12:00:00.000Z';

export const timeoutError: ClusterError = {
  kind: 'timeout',
  message: 'the API server did not answer within 10000 ms',
};

export const fleet: FleetResponse = {
  generatedAt: NOW,
  clusters: [
    {
      name: 'sandbox-a',
      environment: 'dev',
      reachable: true,
      version: 'v1.34.4',
      latencyMs: 12,
      nodes: { ready: 2, total: 2 },
      namespaces: 14,
      tenants: 3,
      fetchedAt: NOW,
    },
    {
      name: 'sandbox-b',
      environment: 'prod',
      reachable: false,
      fetchedAt: NOW,
      error: timeoutError,
    },
    {
      name: 'sandbox-c',
      environment: 'prod',
      reachable: true,
      version: 'v1.34.4',
      latencyMs: 31,
      nodes: { ready: 1, total: 2 },
      namespaces: 9,
      tenants: 2,
      fetchedAt: NOW,
    },
  ],
};

export function namespace(
  overrides: Partial<NamespaceSummary> & Pick<NamespaceSummary, 'name'>,
): NamespaceSummary {
  return {
    cluster: 'sandbox-a',
    tenant: 'group:default/team-payments',
    environment: 'dev',
    phase: 'Active',
    quota: [
      { resource: 'limits.cpu', hard: '8', used: '2', ratio: 0.25 },
      { resource: 'pods', hard: '20', used: '19', ratio: 0.95 },
      {
        resource: 'requests.memory',
        hard: '8Gi',
        used: '1Gi',
        ratio: 0.125,
      },
    ],
    limitRange: true,
    networkPolicies: { count: 2, defaultDeny: true },
    roleBindings: [
      {
        name: 'tenant-developers',
        role: 'ClusterRole/tenancy-tenant-developer',
        subjects: ['Group:team-payments'],
      },
    ],
    workloads: { total: 2, healthy: 2, state: 'healthy' },
    ...overrides,
  };
}

export const clusterA: ClusterDetail = {
  ...fleet.clusters[0],
  namespaceDetails: [
    namespace({ name: 'payments' }),
    namespace({
      name: 'search',
      tenant: 'group:default/team-search',
      quota: [],
      limitRange: false,
      networkPolicies: { count: 0, defaultDeny: false },
      roleBindings: [],
      workloads: { total: 1, healthy: 0, state: 'failing' },
    }),
    namespace({
      name: 'kube-system',
      tenant: undefined,
      quota: [],
      limitRange: false,
      networkPolicies: { count: 0, defaultDeny: false },
      roleBindings: [],
      workloads: { total: 0, healthy: 0, state: 'healthy' },
    }),
  ],
};

export const clusterB: ClusterDetail = {
  ...fleet.clusters[1],
  namespaceDetails: [],
};

export const paymentsTenant: TenantResponse = {
  tenant: 'group:default/team-payments',
  generatedAt: NOW,
  namespaces: [
    namespace({ name: 'payments' }),
    namespace({
      name: 'payments',
      cluster: 'sandbox-c',
      environment: 'prod',
      workloads: { total: 2, healthy: 1, state: 'degraded' },
    }),
  ],
  accounts: [
    {
      entityRef: 'resource:default/payments-dev',
      title: 'Payments (dev)',
      accountId: '123456789012',
      state: 'ACTIVE',
      organizationalUnit: 'Dev',
      environment: 'dev',
      costCentre: 'CC-1001',
      consoleUrl:
        'https://us-east-1.console.aws.amazon.com/organizations/v2/home/accounts/123456789012',
    },
    {
      entityRef: 'resource:default/payments-legacy',
      title: 'Payments (legacy)',
      accountId: '210987654321',
      state: 'SUSPENDED',
      organizationalUnit: 'Suspended',
      environment: 'prod',
    },
  ],
  clusterErrors: [{ cluster: 'sandbox-b', error: timeoutError }],
};

export const paymentsHealth: TeamHealth = {
  team: 'group:default/team-payments',
  generatedAt: NOW,
  entities: [
    {
      entityRef: 'component:default/payments-api',
      state: 'healthy',
      clusters: 3,
    },
    {
      entityRef: 'component:default/ledger-worker',
      title: 'ledger-worker',
      state: 'degraded',
      clusters: 2,
    },
  ],
};

export const searchIndexerHealth: EntityHealth = {
  entityRef: 'component:default/search-indexer',
  state: 'failing',
  generatedAt: NOW,
  clusters: [
    {
      cluster: 'sandbox-a',
      environment: 'dev',
      state: 'failing',
      workloads: [
        {
          kind: 'Deployment',
          namespace: 'search',
          name: 'search-indexer',
          desired: 1,
          ready: 0,
          podsNotReady: 1,
          restarts: 14,
          crashLooping: 1,
          pending: 0,
          imagePullFailures: 0,
          state: 'failing',
        },
      ],
      events: [
        {
          namespace: 'search',
          object: 'Pod/search-indexer-7d9f-abcde',
          reason: 'BackOff',
          message: 'Back-off restarting failed container indexer',
          count: 42,
          lastSeen: NOW,
        },
      ],
    },
    {
      cluster: 'sandbox-b',
      environment: 'prod',
      state: 'unknown',
      workloads: [],
      events: [],
      error: timeoutError,
    },
  ],
};

export function component(name: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'backstage.io/kubernetes-id': name },
    },
    spec: { type: 'service', owner: 'group:default/team-search' },
  };
}

export function group(name: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name, namespace: 'default' },
    spec: { type: 'team', children: [] },
  };
}

/** The crash-looping search-indexer's pods on sandbox-a, as the troubleshooting route answers. */
export const searchIndexerPods: WorkloadPods = {
  cluster: 'sandbox-a',
  namespace: 'search',
  kind: 'Deployment',
  name: 'search-indexer',
  tailLines: 50,
  generatedAt: NOW,
  pods: [
    {
      name: 'search-indexer-7d9f-abcde',
      phase: 'Running',
      reason: 'CrashLoopBackOff',
      node: 'sandbox-a-node-1',
      ready: false,
      restarts: 14,
      createdAt: NOW,
      conditions: [
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
      ],
      containers: [
        {
          name: 'indexer',
          image: 'registry.example/search-indexer:1.4.2',
          ready: false,
          restartCount: 14,
          state: 'waiting',
          reason: 'CrashLoopBackOff',
          message: 'back-off 5m0s restarting failed container=indexer',
          lastTermination: { reason: 'Error', exitCode: 1, finishedAt: NOW },
        },
      ],
      events: [
        {
          type: 'Warning',
          reason: 'BackOff',
          message: 'Back-off restarting failed container indexer',
          count: 42,
          lastSeen: NOW,
          object: 'Pod/search-indexer-7d9f-abcde',
        },
      ],
      logs: [
        {
          container: 'indexer',
          previous: false,
          lines: ['starting indexer 1.4.2'],
        },
        {
          container: 'indexer',
          previous: true,
          lines: [
            'starting indexer 1.4.2',
            'FATAL: cannot connect to opensearch:9200: connection refused',
          ],
        },
      ],
    },
  ],
  events: [],
};

/** A kubeconfig of payments' namespaces: the clusters and contexts, and an exec credential plugin (never a token). */
export const paymentsKubeconfig = `apiVersion: v1
kind: Config
clusters:
  - name: sandbox-a
    cluster:
      server: https://sandbox-a.example.test:6443
  - name: sandbox-c
    cluster:
      server: https://sandbox-c.example.test:6443
contexts:
  - name: sandbox-a/payments
    context: { cluster: sandbox-a, namespace: payments, user: tenancy-sandbox-a }
  - name: sandbox-c/payments
    context: { cluster: sandbox-c, namespace: payments, user: tenancy-sandbox-c }
current-context: sandbox-a/payments
users:
  - name: tenancy-sandbox-a
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: kubectl-tenancy
        args: [token, --cluster, sandbox-a]
`;

/** Cluster access for payments: two contexts, sandbox-b unreadable. */
export const paymentsClusterAccess: Extract<
  ClusterAccessResponse,
  { configured: true }
> = {
  configured: true,
  team: 'group:default/team-payments',
  kubeconfig: paymentsKubeconfig,
  fileName: 'tenancy-team-payments.yaml',
  contexts: [
    {
      name: 'sandbox-a/payments',
      cluster: 'sandbox-a',
      environment: 'dev',
      namespace: 'payments',
      server: 'https://sandbox-a.example.test:6443',
    },
    {
      name: 'sandbox-c/payments',
      cluster: 'sandbox-c',
      environment: 'prod',
      namespace: 'payments',
      server: 'https://sandbox-c.example.test:6443',
    },
  ],
  installCommand:
    "curl -fsSL 'http://localhost:7007/api/tenancy/cluster-access/install.sh?team=default/team-payments' | sh",
  issuer: 'http://localhost:7007/api/tenancy',
  clusterErrors: [{ cluster: 'sandbox-b', error: timeoutError }],
};
