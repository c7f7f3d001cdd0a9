/**
 * What the sandbox seeds: teams, their people, and services whose Deployments
 * run across the clusters in every state the health views must show.
 * The catalog side of the same data is catalog/seed.yaml; a test keeps the
 * two in step.
 */

export interface SandboxClusterSpec {
  name: string;
  environment: 'dev' | 'prod';
  nodes: number;
}

export const CLUSTERS: SandboxClusterSpec[] = [
  { name: 'sandbox-a', environment: 'dev', nodes: 2 },
  { name: 'sandbox-b', environment: 'prod', nodes: 2 },
  { name: 'sandbox-c', environment: 'prod', nodes: 2 },
];

/** Tenant users, one identity (bearer token) per cluster each, for RBAC tests. */
export const TENANT_USERS = [
  { user: 'alice', groups: ['team-payments'] },
  { user: 'bob', groups: ['team-search'] },
  { user: 'carol', groups: ['team-checkout'] },
];

/**
 * How a seeded workload behaves on the simulated nodes (kwok/stages.yaml):
 * `healthy` pods become Running and Ready; `crashloop` pods run, are never
 * ready and keep restarting; `pending` pods ask for a node pool no node has;
 * `imagepull` pods cannot pull their image; `notready` pods run but fail their
 * readiness probe.
 */
export type Behaviour =
  | 'healthy'
  | 'crashloop'
  | 'pending'
  | 'imagepull'
  | 'notready';

export interface SeedService {
  /** The catalog Component name and its backstage.io/kubernetes-id. */
  name: string;
  tenant: string;
  namespace: string;
  replicas: number;
  /** Which clusters run it, and how it behaves there. */
  placement: Record<string, Behaviour>;
}

export const SERVICES: SeedService[] = [
  {
    name: 'payments-api',
    tenant: 'team-payments',
    namespace: 'payments',
    replicas: 2,
    placement: {
      'sandbox-a': 'healthy',
      'sandbox-b': 'healthy',
      'sandbox-c': 'healthy',
    },
  },
  {
    name: 'ledger-worker',
    tenant: 'team-payments',
    namespace: 'payments',
    replicas: 1,
    placement: { 'sandbox-a': 'healthy', 'sandbox-c': 'notready' },
  },
  {
    name: 'search-indexer',
    tenant: 'team-search',
    namespace: 'search',
    replicas: 1,
    placement: { 'sandbox-a': 'crashloop', 'sandbox-b': 'crashloop' },
  },
  {
    name: 'checkout-web',
    tenant: 'team-checkout',
    namespace: 'checkout',
    replicas: 2,
    placement: { 'sandbox-a': 'healthy', 'sandbox-c': 'pending' },
  },
  {
    name: 'image-resizer',
    tenant: 'team-checkout',
    namespace: 'checkout',
    replicas: 1,
    placement: { 'sandbox-b': 'imagepull' },
  },
];

/**
 * The sandbox's git host has one organization per team (named like the
 * team's catalog Group), where "Create service" publishes repositories.
 */
export const GIT_ORGS: string[] = [
  ...new Set([
    ...SERVICES.map(s => s.tenant),
    ...TENANT_USERS.flatMap(u => u.groups),
    'platform-team',
  ]),
];

/** Labels the suite puts on what it provisions; the seed looks onboarded. */
export const TENANT_LABEL = 'tenancy.dev/tenant';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const SIMULATE_LABEL = 'sandbox.tenancy.dev/simulate';
