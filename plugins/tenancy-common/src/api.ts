/**
 * The Tenancy backend's HTTP API (`/api/tenancy`), shared by the backend
 * that answers it and the frontend that reads it.
 */

/** Why a cluster has no (fresh) data. Messages never hold a credential or a URL. @public */
export interface ClusterError {
  /** `timeout`, `unreachable`, `tls`, `unauthorized` (401), `forbidden` (403), `throttled`, or `error`. */
  kind:
    | 'timeout'
    | 'unreachable'
    | 'tls'
    | 'unauthorized'
    | 'forbidden'
    | 'throttled'
    | 'error';
  message: string;
}

/** One cluster in the fleet view. @public */
export interface ClusterSummary {
  name: string;
  environment?: string;
  reachable: boolean;
  /** Kubernetes version (`/version` gitVersion) when reachable. */
  version?: string;
  /** Round trip of the `/version` call, in ms. */
  latencyMs?: number;
  nodes?: { ready: number; total: number };
  namespaces?: number;
  /** Distinct tenants (teams) with namespaces on the cluster. */
  tenants?: number;
  /** When this cluster's data was fetched (ISO time). */
  fetchedAt: string;
  error?: ClusterError;
}

/** @public */
export interface FleetResponse {
  clusters: ClusterSummary[];
  /** When the snapshot was made (ISO time). */
  generatedAt: string;
}

/** Used vs hard for one ResourceQuota resource. @public */
export interface QuotaUsage {
  resource: string;
  hard: string;
  used: string;
  /** used / hard, 0..1+, when both are quantities. */
  ratio?: number;
}

/** The health word shown for a workload, a namespace, a cluster or an entity. @public */
export type HealthState = 'healthy' | 'degraded' | 'failing' | 'unknown';

/** @public */
export interface WorkloadHealth {
  kind: 'Deployment' | 'StatefulSet';
  namespace: string;
  name: string;
  desired: number;
  ready: number;
  podsNotReady: number;
  restarts: number;
  crashLooping: number;
  pending: number;
  imagePullFailures: number;
  state: HealthState;
}

/** A recent Warning event. @public */
export interface WarningEvent {
  namespace: string;
  object: string;
  reason: string;
  message: string;
  count: number;
  lastSeen?: string;
}

/** A tenant namespace on one cluster. @public */
export interface NamespaceSummary {
  cluster: string;
  name: string;
  /** The owning group's entity ref, when the namespace is a tenant's. */
  tenant?: string;
  environment?: string;
  phase?: string;
  quota: QuotaUsage[];
  limitRange: boolean;
  networkPolicies: { count: number; defaultDeny: boolean };
  roleBindings: Array<{ name: string; role: string; subjects: string[] }>;
  workloads: { total: number; healthy: number; state: HealthState };
}

/** @public */
export interface ClusterDetail extends ClusterSummary {
  namespaceDetails: NamespaceSummary[];
}

/** An AWS account the catalog knows for a tenant. @public */
export interface TenantAccount {
  entityRef: string;
  title?: string;
  accountId?: string;
}

/** @public */
export interface TenantResponse {
  tenant: string;
  namespaces: NamespaceSummary[];
  accounts: TenantAccount[];
  /** Clusters that could not be read; their namespaces are missing from the list. */
  clusterErrors: Array<{ cluster: string; error: ClusterError }>;
  generatedAt: string;
}

/** An entity's workloads on one cluster. @public */
export interface ClusterHealth {
  cluster: string;
  environment?: string;
  state: HealthState;
  workloads: WorkloadHealth[];
  events: WarningEvent[];
  error?: ClusterError;
}

/** @public */
export interface EntityHealth {
  entityRef: string;
  /** Worst state over the clusters where the entity runs. */
  state: HealthState;
  clusters: ClusterHealth[];
  generatedAt: string;
}

/** @public */
export interface TeamHealth {
  team: string;
  entities: Array<{
    entityRef: string;
    title?: string;
    state: HealthState;
    clusters: number;
  }>;
  generatedAt: string;
}
