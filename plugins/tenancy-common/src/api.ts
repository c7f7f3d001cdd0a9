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
  /** AWS Organizations' account state: `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, … (upper case). */
  state?: string;
  /** The name of the organizational unit the account is directly in (`Root` at the root). */
  organizationalUnit?: string;
  /** The account's `environment` tag. */
  environment?: string;
  /** The account's `cost-centre` tag. */
  costCentre?: string;
  /** The AWS console page of the account. */
  consoleUrl?: string;
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

/** The workload kinds whose pods can be opened. @public */
export type WorkloadKind = 'Deployment' | 'StatefulSet';

/** Why a container ended the last time it did. @public */
export interface ContainerTermination {
  /** `Error`, `OOMKilled`, `Completed`, … */
  reason?: string;
  exitCode?: number;
  signal?: number;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
}

/** One container of a pod, as a person troubleshooting it needs it first. @public */
export interface ContainerDetail {
  name: string;
  image?: string;
  ready: boolean;
  restartCount: number;
  /** What the container is doing now. */
  state: 'running' | 'waiting' | 'terminated' | 'unknown';
  /** Why it waits or ended now (`CrashLoopBackOff`, `ImagePullBackOff`, `Error`, …). */
  reason?: string;
  message?: string;
  /** The last time the container ended (after a restart): reason and exit code. */
  lastTermination?: ContainerTermination;
}

/** An event of a pod or of its workload. @public */
export interface PodEvent {
  type: string;
  reason: string;
  message: string;
  count: number;
  lastSeen?: string;
  /** `Pod/<name>`, `Deployment/<name>`, … */
  object: string;
}

/** The last lines of one container's log. @public */
export interface ContainerLog {
  container: string;
  /** The previous (crashed) container's log rather than the current one's. */
  previous: boolean;
  lines: string[];
  /** Set when the log could not be read (no previous container, a timeout, …); no credential or URL in it. */
  error?: string;
  /** The lines asked for were longer than the byte limit: the newest of them are missing. */
  truncated?: boolean;
}

/** One pod of a workload. @public */
export interface PodDetail {
  name: string;
  phase?: string;
  /** Set when the pod is not Running and Ready: the most telling reason (`CrashLoopBackOff`, `Unschedulable`, …). */
  reason?: string;
  node?: string;
  ready: boolean;
  restarts: number;
  createdAt?: string;
  conditions: Array<{
    type: string;
    status: string;
    reason?: string;
    message?: string;
  }>;
  containers: ContainerDetail[];
  events: PodEvent[];
  logs: ContainerLog[];
}

/** A workload's pods on one cluster, for troubleshooting. @public */
export interface WorkloadPods {
  cluster: string;
  namespace: string;
  kind: WorkloadKind;
  name: string;
  /** At most 20, those not ready first. */
  pods: PodDetail[];
  /** How many pods the workload has (more than `pods.length` when some were left out). */
  totalPods?: number;
  /** The workload's own recent events (scaling, failed creates, …). */
  events: PodEvent[];
  /** How many log lines were asked for per container. */
  tailLines: number;
  generatedAt: string;
}

/** Which workload's pods to read. @public */
export interface WorkloadPodsRequest {
  cluster: string;
  namespace: string;
  kind: WorkloadKind;
  name: string;
  /** Last lines of log per container (default 50, at most 500). */
  tailLines?: number;
}

/**
 * One cluster of an environment, as the forms show it: whether it answered
 * the fleet's last refresh.
 * @public
 */
export interface EnvironmentCluster {
  name: string;
  /** Whether it answered the fleet's last refresh; absent when it has not been read yet. */
  reachable?: boolean;
  /** Why it did not answer. The message says more only to the platform team. */
  error?: ClusterError;
  /** When it was last read (ISO time). */
  checkedAt?: string;
}

/**
 * One environment the platform offers: for namespaces (`tenancy.environments`,
 * with its clusters), for AWS accounts (an OU in
 * `tenancy.aws.organizations.environmentOus`), or both.
 * @public
 */
export interface PlatformEnvironment {
  name: string;
  /** Whether namespaces can be made in it (it is in `tenancy.environments`). */
  namespaces: boolean;
  /** Its clusters; empty for an environment of accounts only. */
  clusters: EnvironmentCluster[];
  /** The OU its teams' AWS accounts go to, when it has one. */
  accountOu?: string;
}

/** `GET /environments`: those of `tenancy.environments` in config order, then those of accounts only. @public */
export interface EnvironmentsResponse {
  environments: PlatformEnvironment[];
}

/** One namespace size (`tenancy.baseline.quotaPresets`): its ResourceQuota `hard`. @public */
export interface QuotaPreset {
  name: string;
  hard: Record<string, string>;
  /** The size a request gets when it names none (`tenancy.baseline.defaultQuotaPreset`). */
  isDefault: boolean;
}

/** `GET /quota-presets`. @public */
export interface QuotaPresetsResponse {
  presets: QuotaPreset[];
}

/** A team the caller may act for. @public */
export interface ActingTeam {
  /** `group:namespace/name`. */
  entityRef: string;
  /** Its title or display name in the catalog, when it has one. */
  title?: string;
}

/**
 * `GET /teams`: the teams the caller may onboard, offboard or request
 * accounts for — their own groups, or every group for the platform team
 * (`anyTeam`), as the actions decide. @public
 */
export interface ActingTeamsResponse {
  teams: ActingTeam[];
  anyTeam: boolean;
}

/** One context of a team's kubeconfig: one of its namespaces on one cluster. @public */
export interface ClusterAccessContext {
  /** The context's name in the kubeconfig: `<cluster>/<namespace>`. */
  name: string;
  cluster: string;
  environment?: string;
  namespace: string;
  /** The cluster's API server URL. */
  server: string;
}

/**
 * `GET /cluster-access/teams/:namespace/:name/kubeconfig`: a kubeconfig for
 * every cluster where the team has namespaces — the clusters' URLs and CA
 * data, one context per namespace, and a credential plugin (`exec`) that
 * signs the person in through the portal. It never holds a token.
 * `configured: false` when the portal does not issue cluster tokens
 * (`tenancy.clusterAccess` is not set). @public
 */
export type ClusterAccessResponse =
  | { configured: false; message: string }
  | {
      configured: true;
      team: string;
      /** The kubeconfig, YAML. */
      kubeconfig: string;
      /** The file name to save it under, e.g. `tenancy-team-payments.yaml`. */
      fileName: string;
      contexts: ClusterAccessContext[];
      /** The one command that installs the credential plugin and this kubeconfig. */
      installCommand: string;
      /** The issuer every cluster trusts (`tenancy.clusterAccess.issuer`). */
      issuer: string;
      /** Clusters whose namespaces could not be read: they have no context here. */
      clusterErrors: Array<{ cluster: string; error: ClusterError }>;
    };

/** `POST /cluster-access/token` with `{ cluster }`: a token for one cluster, as the caller. @public */
export interface ClusterTokenResponse {
  /** A JWT for the cluster's API server (audience `tenancy:<cluster>`). */
  token: string;
  /** The token's `jti`: the API server's audit log records it as the credential id. */
  id: string;
  /** When it expires (RFC 3339): what kubectl's ExecCredential status takes. */
  expirationTimestamp: string;
  cluster: string;
  /** The Kubernetes user the cluster sees: the caller's Backstage user ref. */
  user: string;
  /** The Kubernetes groups: the caller's teams, as the tenant baseline names them. */
  groups: string[];
}
