import {
  AppsV1Api,
  CoreV1Api,
  CoreV1Event,
  KubeConfig,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  V1Deployment,
  V1ListMeta,
  V1NetworkPolicy,
  V1Pod,
  V1StatefulSet,
  VersionApi,
} from '@kubernetes/client-node';
import { ClusterError } from '@tenancy/plugin-tenancy-common';
import {
  apiMessage,
  listAll,
  statusOf,
  withAbortSignal,
} from '@tenancy/plugin-tenancy-node';
import { ClusterSnapshot, PodSnapshot } from './types';

export interface CollectOptions {
  /** The whole collection of one cluster is abandoned after this long. */
  timeoutMs: number;
  /** At most this many requests to the cluster at once. */
  concurrency: number;
  /** Page size of list calls. */
  pageSize: number;
  /** Longest wait honoured from a Retry-After header on a 429. */
  maxRetryAfterMs?: number;
  /** Counts every request made to the cluster (for tests and the bench). */
  onRequest?: () => void;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
}

/** A tiny semaphore: the per-cluster concurrency limit. */
export function limiter(max: number) {
  let active = 0;
  const queue: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>(resolve => queue.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

/** A failed cluster's error, in words a person can act on, with no credential or URL; a 401/403 is an error, not "0 resources". */
export function classifyError(
  error: unknown,
  timeoutMs: number,
  aborted: boolean,
): ClusterError {
  if (aborted)
    return { kind: 'timeout', message: `No answer within ${timeoutMs} ms` };
  const status = statusOf(error);
  if (status === 401) {
    return {
      kind: 'unauthorized',
      message:
        "Authentication failed: the cluster refused the portal's credentials (401 Unauthorized)",
    };
  }
  if (status === 403) {
    return {
      kind: 'forbidden',
      message: `The portal's identity is not allowed to read this (403 Forbidden): ${apiMessage(
        error,
      )}`,
    };
  }
  if (status === 429)
    return {
      kind: 'throttled',
      message: 'The cluster kept throttling requests (429 Too Many Requests)',
    };
  if (status !== undefined)
    return {
      kind: 'error',
      message: `The cluster answered ${status}: ${apiMessage(error)}`,
    };
  const code =
    (error as { cause?: { code?: string } })?.cause?.code ??
    (error as { code?: string })?.code;
  if (code === 'ECONNREFUSED')
    return { kind: 'unreachable', message: 'Connection refused' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return {
      kind: 'unreachable',
      message: 'The cluster host name does not resolve',
    };
  if (code && /CERT|SSL|TLS|SIGNATURE|SELF_SIGNED/.test(code)) {
    return {
      kind: 'tls',
      message: `TLS verification failed (${code}): the cluster's certificate is not trusted`,
    };
  }
  if (code)
    return { kind: 'unreachable', message: `Connection failed (${code})` };
  return { kind: 'error', message: apiMessage(error) };
}

function isoTime(value: Date | string | undefined): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function podSnapshot(pod: V1Pod): PodSnapshot {
  const statuses = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
  ];
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    labels: pod.metadata?.labels ?? {},
    phase: pod.status?.phase ?? 'Unknown',
    ready:
      pod.status?.conditions?.some(
        c => c.type === 'Ready' && c.status === 'True',
      ) ?? false,
    restarts: statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0),
    waiting: statuses
      .map(s => s.state?.waiting?.reason)
      .filter((r): r is string => Boolean(r)),
  };
}

/** Lists every item of one kind, paged, under the cluster's concurrency limit. */
type Lister = <T>(
  page: (
    token: string | undefined,
  ) => Promise<{ items: T[]; metadata?: V1ListMeta }>,
) => Promise<T[]>;

/** One list call per kind the views need (never Secrets), all at once. */
async function listEverything(kc: KubeConfig, list: Lister, limit: number) {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const net = kc.makeApiClient(NetworkingV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  return allOf({
    nodes: list(t => core.listNode({ limit, _continue: t })),
    namespaces: list(t => core.listNamespace({ limit, _continue: t })),
    quotas: list(t =>
      core.listResourceQuotaForAllNamespaces({ limit, _continue: t }),
    ),
    limitRanges: list(t =>
      core.listLimitRangeForAllNamespaces({ limit, _continue: t }),
    ),
    policies: list(t =>
      net.listNetworkPolicyForAllNamespaces({ limit, _continue: t }),
    ),
    bindings: list(t =>
      rbac.listRoleBindingForAllNamespaces({
        limit,
        _continue: t,
        labelSelector: 'app.kubernetes.io/managed-by',
      }),
    ),
    deployments: list(t =>
      apps.listDeploymentForAllNamespaces({ limit, _continue: t }),
    ),
    statefulSets: list(t =>
      apps.listStatefulSetForAllNamespaces({ limit, _continue: t }),
    ),
    pods: list(t => core.listPodForAllNamespaces({ limit, _continue: t })),
    events: list(t =>
      core.listEventForAllNamespaces({
        limit,
        _continue: t,
        fieldSelector: 'type=Warning',
      }),
    ),
  });
}

/** Like Promise.all, for an object of promises: the same keys, each resolved. */
async function allOf<T extends Record<string, Promise<unknown>>>(
  promises: T,
): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
  const entries = await Promise.all(
    Object.entries(promises).map(async ([key, value]) => [key, await value]),
  );
  return Object.fromEntries(entries);
}

type ClusterLists = Awaited<ReturnType<typeof listEverything>>;

/** A Deployment or StatefulSet as the snapshot keeps it. */
function workloadSnapshot(
  kind: 'Deployment' | 'StatefulSet',
  w: V1Deployment | V1StatefulSet,
) {
  return {
    kind,
    namespace: w.metadata?.namespace ?? '',
    name: w.metadata?.name ?? '',
    labels: w.metadata?.labels ?? {},
    selector: w.spec?.selector?.matchLabels ?? {},
    desired: w.spec?.replicas ?? 1,
    ready: w.status?.readyReplicas ?? 0,
  };
}

/** Whether a NetworkPolicy denies all ingress to every pod of its namespace. */
function isDefaultDeny(p: V1NetworkPolicy): boolean {
  return (
    Object.keys(p.spec?.podSelector?.matchLabels ?? {}).length === 0 &&
    !p.spec?.podSelector?.matchExpressions?.length &&
    (p.spec?.policyTypes ?? []).includes('Ingress') &&
    !p.spec?.ingress?.length
  );
}

/** The newest Warning events, at most 500. */
function recentWarnings(events: CoreV1Event[]) {
  return events
    .map(e => ({
      namespace: e.metadata?.namespace ?? '',
      kind: e.involvedObject.kind ?? '',
      name: e.involvedObject.name ?? '',
      reason: e.reason ?? '',
      message: e.message ?? '',
      count: e.count ?? 1,
      lastSeen: isoTime(
        e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp,
      ),
    }))
    .sort((a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? ''))
    .slice(0, 500);
}

/** What the snapshot keeps of the lists: only what the views show. */
function shapeLists(lists: ClusterLists) {
  const isReady = (n: (typeof lists.nodes)[number]) =>
    n.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True');
  return {
    nodes: {
      total: lists.nodes.length,
      ready: lists.nodes.filter(isReady).length,
    },
    namespaces: lists.namespaces.map(n => ({
      name: n.metadata?.name ?? '',
      phase: n.status?.phase,
      labels: n.metadata?.labels ?? {},
      annotations: Object.fromEntries(
        Object.entries(n.metadata?.annotations ?? {}).filter(([k]) =>
          k.startsWith('tenancy.dev/'),
        ),
      ),
    })),
    quotas: lists.quotas.map(q => ({
      namespace: q.metadata?.namespace ?? '',
      name: q.metadata?.name ?? '',
      hard: q.status?.hard ?? q.spec?.hard ?? {},
      used: q.status?.used ?? {},
    })),
    limitRanges: lists.limitRanges.map(l => ({
      namespace: l.metadata?.namespace ?? '',
      name: l.metadata?.name ?? '',
    })),
    networkPolicies: lists.policies.map(p => ({
      namespace: p.metadata?.namespace ?? '',
      name: p.metadata?.name ?? '',
      defaultDeny: isDefaultDeny(p),
    })),
    roleBindings: lists.bindings.map(b => ({
      namespace: b.metadata?.namespace ?? '',
      name: b.metadata?.name ?? '',
      role: `${b.roleRef.kind}/${b.roleRef.name}`,
      subjects: (b.subjects ?? []).map(s => `${s.kind}:${s.name}`),
    })),
    workloads: [
      ...lists.deployments.map(d => workloadSnapshot('Deployment', d)),
      ...lists.statefulSets.map(s => workloadSnapshot('StatefulSet', s)),
    ],
    pods: lists.pods.map(podSnapshot),
    events: recentWarnings(lists.events),
  };
}

/**
 * One snapshot of one cluster: one list call per kind (paged), never one per
 * namespace, all under one deadline and a concurrency limit. Secrets are
 * never read. Any failure gives the cluster an error instead of data —
 * never "0 resources", which would read as an empty, healthy cluster.
 */
export async function collectCluster(
  kc: KubeConfig,
  cluster: { name: string; environment?: string },
  options: CollectOptions,
): Promise<ClusterSnapshot> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  const started = Date.now();
  const bounded = withAbortSignal(kc, controller.signal, options.onRequest);
  const limit = limiter(options.concurrency);
  const list: Lister = page =>
    limit(() =>
      listAll(page, {
        sleep: options.sleep,
        maxRetryAfterMs: options.maxRetryAfterMs,
      }),
    );
  try {
    const versionStarted = Date.now();
    const version = await limit(() =>
      bounded.makeApiClient(VersionApi).getCode(),
    );
    const latencyMs = Date.now() - versionStarted;
    const lists = await listEverything(bounded, list, options.pageSize);
    return {
      name: cluster.name,
      environment: cluster.environment,
      fetchedAt: new Date().toISOString(),
      durationMs: Date.now() - started,
      reachable: true,
      version: version.gitVersion,
      latencyMs,
      ...shapeLists(lists),
    };
  } catch (error) {
    const classified = classifyError(
      error,
      options.timeoutMs,
      controller.signal.aborted,
    );
    return {
      name: cluster.name,
      environment: cluster.environment,
      fetchedAt: new Date().toISOString(),
      durationMs: Date.now() - started,
      // It answered, but not with data: still reachable.
      reachable: !['timeout', 'unreachable', 'tls'].includes(classified.kind),
      error: classified,
    };
  } finally {
    clearTimeout(timer);
  }
}
