import { NotFoundError } from '@backstage/errors';
import {
  ClusterDetail,
  ClusterError,
  ClusterHealth,
  ClusterSummary,
  EntityHealth,
  FleetResponse,
  HealthState,
  NamespaceSummary,
  QuotaUsage,
  tenantOfNamespace as tenantOf,
  TenantAccount,
  TenantResponse,
  WarningEvent,
  WorkloadHealth,
} from '@tenancy/plugin-tenancy-common';
import {
  ClusterSnapshot,
  FleetSnapshot,
  PodSnapshot,
  WorkloadSnapshot,
} from './types';
import { parseQuantity } from '@tenancy/plugin-tenancy-node';

const SEVERITY: Record<HealthState, number> = {
  healthy: 0,
  unknown: 1,
  degraded: 2,
  failing: 3,
};

/** The worse of health states (failing > degraded > unknown > healthy). */
export function worst(
  states: HealthState[],
  empty: HealthState = 'healthy',
): HealthState {
  return states.reduce<HealthState>(
    (acc, s) => (SEVERITY[s] > SEVERITY[acc] ? s : acc),
    states.length ? 'healthy' : empty,
  );
}

function matches(
  labels: Record<string, string>,
  selector: Record<string, string>,
): boolean {
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every(k => labels[k] === selector[k]);
}

function podsOf(
  cluster: ClusterSnapshot,
  workload: WorkloadSnapshot,
): PodSnapshot[] {
  return (cluster.pods ?? []).filter(
    p =>
      p.namespace === workload.namespace &&
      matches(p.labels, workload.selector),
  );
}

export function workloadHealth(
  cluster: ClusterSnapshot,
  workload: WorkloadSnapshot,
): WorkloadHealth {
  const pods = podsOf(cluster, workload);
  const crashLooping = pods.filter(p =>
    p.waiting.includes('CrashLoopBackOff'),
  ).length;
  const imagePullFailures = pods.filter(p =>
    p.waiting.some(
      r =>
        r === 'ImagePullBackOff' ||
        r === 'ErrImagePull' ||
        r === 'InvalidImageName',
    ),
  ).length;
  const pending = pods.filter(
    p =>
      p.phase === 'Pending' &&
      !p.waiting.some(r => r === 'ImagePullBackOff' || r === 'ErrImagePull'),
  ).length;
  const podsNotReady = pods.filter(p => !p.ready).length;
  const restarts = pods.reduce((sum, p) => sum + p.restarts, 0);
  let state: HealthState = 'healthy';
  if (
    (workload.desired > 0 && workload.ready === 0) ||
    crashLooping > 0 ||
    imagePullFailures > 0
  )
    state = 'failing';
  else if (workload.ready < workload.desired || podsNotReady > 0 || pending > 0)
    state = 'degraded';
  return {
    kind: workload.kind,
    namespace: workload.namespace,
    name: workload.name,
    desired: workload.desired,
    ready: workload.ready,
    podsNotReady,
    restarts,
    crashLooping,
    pending,
    imagePullFailures,
    state,
  };
}

function summary(cluster: ClusterSnapshot): ClusterSummary {
  const namespaces = cluster.namespaces ?? [];
  return {
    name: cluster.name,
    environment: cluster.environment,
    reachable: cluster.reachable,
    fetchedAt: cluster.fetchedAt,
    ...(cluster.error
      ? { error: cluster.error }
      : {
          version: cluster.version,
          latencyMs: cluster.latencyMs,
          nodes: cluster.nodes,
          namespaces: namespaces.length,
          tenants: new Set(namespaces.map(tenantOf).filter(Boolean)).size,
        }),
  };
}

/** @public */
export function fleetView(snapshot: FleetSnapshot): FleetResponse {
  return {
    generatedAt: snapshot.generatedAt,
    clusters: snapshot.clusters.map(summary),
  };
}

function quotaUsage(cluster: ClusterSnapshot, namespace: string): QuotaUsage[] {
  const usage: QuotaUsage[] = [];
  for (const quota of (cluster.quotas ?? []).filter(
    q => q.namespace === namespace,
  )) {
    for (const [resource, hard] of Object.entries(quota.hard)) {
      const used = quota.used[resource] ?? '0';
      const ratio = parseQuantity(used) / parseQuantity(hard);
      usage.push({
        resource,
        hard,
        used,
        ...(Number.isFinite(ratio) ? { ratio } : {}),
      });
    }
  }
  return usage.sort((a, b) => a.resource.localeCompare(b.resource));
}

/** Every namespace of a cluster with its tenant, quota use, policies and workload health. */
export function namespaceSummaries(
  cluster: ClusterSnapshot,
): NamespaceSummary[] {
  const workloads = (cluster.workloads ?? []).map(w =>
    workloadHealth(cluster, w),
  );
  return (cluster.namespaces ?? []).map(ns => {
    const policies = (cluster.networkPolicies ?? []).filter(
      p => p.namespace === ns.name,
    );
    const own = workloads.filter(w => w.namespace === ns.name);
    return {
      cluster: cluster.name,
      name: ns.name,
      tenant: tenantOf(ns),
      environment: ns.labels['tenancy.dev/environment'],
      phase: ns.phase,
      quota: quotaUsage(cluster, ns.name),
      limitRange: (cluster.limitRanges ?? []).some(
        l => l.namespace === ns.name,
      ),
      networkPolicies: {
        count: policies.length,
        defaultDeny: policies.some(p => p.defaultDeny),
      },
      roleBindings: (cluster.roleBindings ?? [])
        .filter(b => b.namespace === ns.name)
        .map(({ name, role, subjects }) => ({ name, role, subjects })),
      workloads: {
        total: own.length,
        healthy: own.filter(w => w.state === 'healthy').length,
        state: worst(own.map(w => w.state)),
      },
    };
  });
}

export function clusterView(
  snapshot: FleetSnapshot,
  name: string,
): ClusterDetail {
  const cluster = snapshot.clusters.find(c => c.name === name);
  if (!cluster) throw new NotFoundError(`No cluster named ${name}`);
  return {
    ...summary(cluster),
    namespaceDetails: cluster.error ? [] : namespaceSummaries(cluster),
  };
}

export function tenantView(
  snapshot: FleetSnapshot,
  tenant: string,
  accounts: TenantAccount[],
): TenantResponse {
  const namespaces: NamespaceSummary[] = [];
  const clusterErrors: TenantResponse['clusterErrors'] = [];
  for (const cluster of snapshot.clusters) {
    if (cluster.error)
      clusterErrors.push({ cluster: cluster.name, error: cluster.error });
    else
      namespaces.push(
        ...namespaceSummaries(cluster).filter(n => n.tenant === tenant),
      );
  }
  return {
    tenant,
    namespaces,
    accounts,
    clusterErrors,
    generatedAt: snapshot.generatedAt,
  };
}

/** How a catalog entity's workloads are found, as Backstage's Kubernetes plugin finds them. */
export interface EntitySelector {
  labels: Record<string, string>;
  namespace?: string;
  /**
   * The namespaces the caller may read (their own teams'); all when absent
   * (the platform team). Whatever an entity's annotations say, workloads in
   * a namespace the caller may not read are never found (S37).
   */
  visible?: (namespace: {
    name: string;
    cluster: string;
    tenant?: string;
  }) => boolean;
}

/** A namespace of the snapshot as the permission rules see it (`tenancy-namespace`). */
function namespaceResource(
  cluster: ClusterSnapshot,
  ns: NonNullable<ClusterSnapshot['namespaces']>[number],
) {
  return { name: ns.name, cluster: cluster.name, tenant: tenantOf(ns) };
}

/**
 * Whether a caller may read one namespace of one cluster, decided on the
 * snapshot alone, before any call to the cluster (S37). An unknown cluster,
 * a namespace the snapshot does not have and one the caller may not read
 * are all `readable: false`, so that the answer never tells that another
 * team's namespace exists. When the cluster's last refresh failed there is
 * nothing to decide on: only a caller who may read every namespace (no
 * `visible`) is let through; others get the cluster's error.
 */
export function namespaceReadable(
  snapshot: FleetSnapshot,
  clusterName: string,
  namespace: string,
  visible?: EntitySelector['visible'],
): { readable: boolean; error?: ClusterError } {
  const cluster = snapshot.clusters.find(c => c.name === clusterName);
  if (!cluster) return { readable: false };
  if (cluster.error) {
    return visible
      ? { readable: false, error: cluster.error }
      : { readable: true };
  }
  const ns = (cluster.namespaces ?? []).find(n => n.name === namespace);
  if (!ns) return { readable: false };
  return { readable: !visible || visible(namespaceResource(cluster, ns)) };
}

/**
 * What a caller who is not on the platform team may see of a cluster error:
 * that the cluster could not be read, not why — the reason can name roles,
 * identities and endpoints (S37).
 * @public
 */
export function redactClusterError(error: ClusterError): ClusterError {
  return {
    kind: error.kind,
    message: 'This cluster could not be read; the platform team can see why.',
  };
}

function eventsFor(
  cluster: ClusterSnapshot,
  workloads: WorkloadSnapshot[],
  pods: PodSnapshot[],
): WarningEvent[] {
  const objects = new Set([
    ...workloads.map(w => `${w.namespace}/${w.kind}/${w.name}`),
    ...pods.map(p => `${p.namespace}/Pod/${p.name}`),
  ]);
  const replicaSetOf = (namespace: string, name: string) =>
    workloads.some(
      w =>
        w.kind === 'Deployment' &&
        w.namespace === namespace &&
        name.startsWith(`${w.name}-`),
    );
  return (cluster.events ?? [])
    .filter(
      e =>
        objects.has(`${e.namespace}/${e.kind}/${e.name}`) ||
        (e.kind === 'ReplicaSet' && replicaSetOf(e.namespace, e.name)),
    )
    .slice(0, 20)
    .map(e => ({
      namespace: e.namespace,
      object: `${e.kind}/${e.name}`,
      reason: e.reason,
      message: e.message,
      count: e.count,
      lastSeen: e.lastSeen,
    }));
}

export function entityHealth(
  snapshot: FleetSnapshot,
  entityRef: string,
  selector: EntitySelector,
): EntityHealth {
  const clusters: ClusterHealth[] = [];
  for (const cluster of snapshot.clusters) {
    if (cluster.error) {
      clusters.push({
        cluster: cluster.name,
        environment: cluster.environment,
        state: 'unknown',
        workloads: [],
        events: [],
        error: cluster.error,
      });
      continue;
    }
    const allowed = selector.visible
      ? new Set(
          (cluster.namespaces ?? [])
            .filter(ns => selector.visible!(namespaceResource(cluster, ns)))
            .map(ns => ns.name),
        )
      : undefined;
    const inScope = (o: { namespace: string }) =>
      (!selector.namespace || o.namespace === selector.namespace) &&
      (!allowed || allowed.has(o.namespace));
    const workloads = (cluster.workloads ?? []).filter(
      w => inScope(w) && matches(w.labels, selector.labels),
    );
    if (workloads.length === 0) continue;
    const pods = (cluster.pods ?? []).filter(
      p => inScope(p) && matches(p.labels, selector.labels),
    );
    const health = workloads.map(w => workloadHealth(cluster, w));
    clusters.push({
      cluster: cluster.name,
      environment: cluster.environment,
      state: worst(health.map(h => h.state)),
      workloads: health,
      events: eventsFor(cluster, workloads, pods),
    });
  }
  // The state is the worst where the entity was found; a cluster that could
  // not be read is listed (as unknown) but does not make a service that is
  // healthy everywhere it runs look unknown.
  const found = clusters.filter(c => !c.error);
  return {
    entityRef,
    state: found.length ? worst(found.map(c => c.state)) : 'unknown',
    clusters,
    generatedAt: snapshot.generatedAt,
  };
}
