import { NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import {
  AppsV1Api,
  CoreV1Api,
  CoreV1Event,
  KubeConfig,
  V1ContainerStateTerminated,
  V1ContainerStatus,
  V1LabelSelector,
  V1Pod,
} from '@kubernetes/client-node';
import {
  ClusterError,
  ContainerDetail,
  ContainerLog,
  ContainerTermination,
  PodDetail,
  PodEvent,
  tenantOfNamespace,
  WorkloadKind,
  WorkloadPods,
  WorkloadPodsRequest,
} from '@tenancy/plugin-tenancy-common';
import {
  apiMessage,
  listAll,
  statusOf,
  TenancyNamespaceResource,
  withAbortSignal,
} from '@tenancy/plugin-tenancy-node';
import { classifyError, limiter } from './collect';
import { redactClusterError } from './views';

/** At most this many pods of one workload are read (those not ready first). */
export const MAX_PODS = 20;
/** At most this many bytes of one container's log. */
export const LOG_LIMIT_BYTES = 64 * 1024;
/** Log lines per container when the request does not say (`tailLines`). */
export const DEFAULT_TAIL_LINES = 50;
/** The most log lines per container a request may ask for. */
export const MAX_TAIL_LINES = 500;
/** At most this many events per pod, and for the workload. */
const MAX_EVENTS = 20;

/** A validated request: every part present. */
export type WorkloadPodsQuery = Required<WorkloadPodsRequest>;

export interface ReadPodsOptions {
  /** The whole read is abandoned after this long (the fleet's per-cluster timeout). */
  timeoutMs: number;
  /** At most this many requests to the cluster at once. */
  concurrency: number;
  /** Page size of list calls. */
  pageSize: number;
  /**
   * Whether errors may say why the cluster could not be read (the platform
   * team); otherwise only that it could not (S37).
   */
  detailedErrors: boolean;
  /** Counts every request made to the cluster (tests). */
  onRequest?: () => void;
  /**
   * The caller's namespace filter (undefined: every namespace). The
   * snapshot decided before any call; the namespace's live labels decide
   * again before any of its data is read, so a namespace deleted and made
   * again for another team since the last refresh is not read (S37).
   */
  visible?: (namespace: TenancyNamespaceResource) => boolean;
}

/** The workload kind a path segment names (`deployments`, `statefulsets`). */
export const WORKLOAD_KINDS: Record<string, WorkloadKind> = {
  deployments: 'Deployment',
  statefulsets: 'StatefulSet',
};

/**
 * The one answer for a workload that is not there or not the caller's: the
 * same words whether the cluster, the namespace or the workload is missing,
 * or the namespace is another team's.
 */
export function workloadNotFound(request: WorkloadPodsRequest): NotFoundError {
  return new NotFoundError(
    `No ${request.kind} ${request.namespace}/${request.name} on cluster ${request.cluster} among the namespaces you may read`,
  );
}

/** A cluster error as the caller may see it. */
export function clusterUnavailable(
  error: ClusterError,
  detailed: boolean,
): ServiceUnavailableError {
  return new ServiceUnavailableError(
    (detailed ? error : redactClusterError(error)).message,
  );
}

/** `spec.selector` as a label selector query; undefined when it selects nothing in particular. */
export function labelSelectorOf(
  selector: V1LabelSelector | undefined,
): string | undefined {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(
    ([key, value]) => `${key}=${value}`,
  );
  for (const e of selector?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  // An empty selector would be every pod of the namespace, not the workload's.
  return parts.length ? parts.join(',') : undefined;
}

function isoTime(value: Date | string | undefined): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function termination(
  t: V1ContainerStateTerminated | undefined,
): ContainerTermination | undefined {
  if (!t) return undefined;
  return {
    reason: t.reason,
    exitCode: t.exitCode,
    signal: t.signal,
    message: t.message,
    startedAt: isoTime(t.startedAt),
    finishedAt: isoTime(t.finishedAt),
  };
}

/** A container's name, image and state — nothing else of its spec (no env, mounts or command). */
function containerDetail(
  name: string,
  image: string | undefined,
  status: V1ContainerStatus | undefined,
): ContainerDetail {
  const { running, waiting, terminated } = status?.state ?? {};
  let state: ContainerDetail['state'] = 'unknown';
  if (running) state = 'running';
  else if (waiting) state = 'waiting';
  else if (terminated) state = 'terminated';
  return {
    name,
    image: status?.image ?? image,
    ready: status?.ready ?? false,
    restartCount: status?.restartCount ?? 0,
    state,
    reason: waiting?.reason ?? terminated?.reason,
    message: waiting?.message ?? terminated?.message,
    lastTermination: termination(status?.lastState?.terminated),
  };
}

/** Waiting reasons that only say the container is on its way. */
const ON_ITS_WAY = new Set(['ContainerCreating', 'PodInitializing']);

function isReady(pod: V1Pod): boolean {
  return (
    pod.status?.conditions?.some(
      c => c.type === 'Ready' && c.status === 'True',
    ) ?? false
  );
}

/**
 * Why a pod is not Running and Ready, the way `kubectl get pods` would put
 * it: an eviction, a failing init container, a container's waiting reason
 * (CrashLoopBackOff, ImagePullBackOff, …) or termination, the scheduler's
 * reason (Unschedulable), then what is merely slow.
 */
export function podReason(pod: V1Pod): string | undefined {
  if (pod.status?.phase === 'Running' && isReady(pod)) return undefined;
  const init = pod.status?.initContainerStatuses ?? [];
  const main = pod.status?.containerStatuses ?? [];
  const initProblem = init
    .map(s => {
      const waiting = s.state?.waiting?.reason;
      if (waiting && !ON_ITS_WAY.has(waiting)) return `Init:${waiting}`;
      const t = s.state?.terminated;
      return t && t.exitCode !== 0 ? `Init:${t.reason ?? 'Error'}` : undefined;
    })
    .find(Boolean);
  const condition = (type: string) =>
    pod.status?.conditions?.find(c => c.type === type);
  const unscheduled = condition('PodScheduled');
  const waiting = main.map(s => s.state?.waiting?.reason ?? '');
  return [
    pod.status?.reason,
    initProblem,
    ...waiting.filter(r => !ON_ITS_WAY.has(r)),
    ...main.map(
      s => s.state?.terminated && (s.state.terminated.reason ?? 'Error'),
    ),
    unscheduled?.status === 'False' ? unscheduled.reason : undefined,
    ...waiting,
    condition('Ready')?.reason,
    pod.status?.phase,
  ].find((r): r is string => Boolean(r));
}

function podEvent(e: CoreV1Event): PodEvent {
  return {
    type: e.type ?? '',
    reason: e.reason ?? '',
    message: e.message ?? '',
    count: e.count ?? e.series?.count ?? 1,
    lastSeen: isoTime(
      e.lastTimestamp ??
        e.series?.lastObservedTime ??
        e.eventTime ??
        e.metadata?.creationTimestamp,
    ),
    object: `${e.involvedObject.kind}/${e.involvedObject.name}`,
  };
}

/** The newest events first, at most {@link MAX_EVENTS}. */
function newest(events: CoreV1Event[]): PodEvent[] {
  return events
    .map(podEvent)
    .sort((a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? ''))
    .slice(0, MAX_EVENTS);
}

/** A Deployment's ReplicaSets are `<name>-<pod-template-hash>`. */
function isReplicaSetOf(deployment: string, name: string): boolean {
  return (
    name.startsWith(`${deployment}-`) &&
    /^[a-z0-9]+$/.test(name.slice(deployment.length + 1))
  );
}

/** Events of the workload itself and, for a Deployment, of its ReplicaSets. */
function workloadEvents(
  events: CoreV1Event[],
  request: WorkloadPodsQuery,
): PodEvent[] {
  return newest(
    events.filter(({ involvedObject: o }) =>
      o.kind === request.kind
        ? o.name === request.name
        : request.kind === 'Deployment' &&
          o.kind === 'ReplicaSet' &&
          isReplicaSetOf(request.name, o.name ?? ''),
    ),
  );
}

/** Not ready first, then the newest: the pods a person troubleshooting looks at first. */
function troubleFirst(pods: V1Pod[]): V1Pod[] {
  const created = (p: V1Pod) => isoTime(p.metadata?.creationTimestamp) ?? '';
  return [...pods].sort(
    (a, b) =>
      Number(isReady(a)) - Number(isReady(b)) ||
      created(b).localeCompare(created(a)),
  );
}

type LogReader = (
  pod: V1Pod,
  container: string,
  previous: boolean,
) => Promise<ContainerLog>;

/**
 * Which logs of a container there are to read: the current one once it
 * has started at all (in CrashLoopBackOff that is the last run's), and the
 * previous one after a restart. A container that never started has no log:
 * it says why instead of asking.
 */
function containerLogs(
  pod: V1Pod,
  name: string,
  status: V1ContainerStatus | undefined,
  read: LogReader,
): Array<Promise<ContainerLog>> {
  const restarts = status?.restartCount ?? 0;
  const started =
    Boolean(status?.state?.running || status?.state?.terminated) ||
    restarts > 0 ||
    Boolean(status?.lastState?.terminated);
  if (!started) {
    const why = status?.state?.waiting?.reason ?? podReason(pod) ?? 'Pending';
    return [
      Promise.resolve({
        container: name,
        previous: false,
        lines: [],
        error: `No log: the container has not started (${why})`,
      }),
    ];
  }
  const logs = [read(pod, name, false)];
  if (restarts > 0) logs.push(read(pod, name, true));
  return logs;
}

function podDetail(
  pod: V1Pod,
  events: CoreV1Event[],
  logs: ContainerLog[],
): PodDetail {
  const statuses = pod.status?.containerStatuses ?? [];
  const all = [...statuses, ...(pod.status?.initContainerStatuses ?? [])];
  const name = pod.metadata?.name ?? '';
  const ready = isReady(pod);
  return {
    name,
    phase: pod.status?.phase,
    reason: podReason(pod),
    node: pod.spec?.nodeName,
    ready,
    restarts: all.reduce((sum, s) => sum + (s.restartCount ?? 0), 0),
    createdAt: isoTime(pod.metadata?.creationTimestamp),
    conditions: (pod.status?.conditions ?? []).map(c => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
    })),
    containers: (pod.spec?.containers ?? []).map(c =>
      containerDetail(
        c.name,
        c.image,
        statuses.find(s => s.name === c.name),
      ),
    ),
    events: newest(
      events.filter(
        e => e.involvedObject.kind === 'Pod' && e.involvedObject.name === name,
      ),
    ),
    logs,
  };
}

/** A log's text as lines; a line cut by the byte limit is left out. */
export function logLines(text: string): {
  lines: string[];
  truncated?: boolean;
} {
  const truncated = Buffer.byteLength(text) >= LOG_LIMIT_BYTES;
  const lines = text.split('\n');
  // A newline ends the text (an empty last part), or the size limit cut its
  // last line short: drop that part. A last line without a newline (still
  // being written, or the process died mid-line) is often the one that
  // says why: keep it.
  if (lines[lines.length - 1] === '' || truncated) lines.pop();
  return truncated ? { lines, truncated } : { lines };
}

/**
 * Why a log could not be read. The API server's own words about the
 * container (400: no previous container, not started; 404) and a timeout
 * say nothing of the fleet and are shown to everyone; anything else only
 * to the platform team.
 */
function logError(
  error: unknown,
  options: ReadPodsOptions,
  aborted: boolean,
): string {
  const status = statusOf(error);
  if (!aborted && (status === 400 || status === 404)) {
    // The node's kubelet address is the fleet's, not the container's.
    return apiMessage(error).replace(/https?:\/\/\S+/g, '<node>');
  }
  const classified = classifyError(error, options.timeoutMs, aborted);
  if (options.detailedErrors || classified.kind === 'timeout') {
    return classified.message;
  }
  return 'This log could not be read; the platform team can see why.';
}

/** Reads the workload, then its pods and the namespace's events, all under one deadline. */
async function readObjects(
  kc: KubeConfig,
  request: WorkloadPodsQuery,
  options: ReadPodsOptions,
  limit: ReturnType<typeof limiter>,
) {
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const { namespace, name } = request;
  if (options.visible) {
    const live = await limit(() =>
      core.readNamespace({ name: namespace }),
    ).catch(error => {
      throw statusOf(error) === 404 ? workloadNotFound(request) : error;
    });
    const tenant = tenantOfNamespace({
      labels: live.metadata?.labels ?? {},
      annotations: live.metadata?.annotations ?? {},
    });
    if (
      !options.visible({ cluster: request.cluster, name: namespace, tenant })
    ) {
      throw workloadNotFound(request);
    }
  }
  const workload = await limit(() =>
    request.kind === 'Deployment'
      ? apps.readNamespacedDeployment({ name, namespace })
      : apps.readNamespacedStatefulSet({ name, namespace }),
  ).catch(error => {
    throw statusOf(error) === 404 ? workloadNotFound(request) : error;
  });
  const labelSelector = labelSelectorOf(workload.spec?.selector);
  const { pageSize } = options;
  const [pods, events] = await Promise.all([
    labelSelector
      ? limit(() =>
          listAll(t =>
            core.listNamespacedPod({
              namespace,
              labelSelector,
              limit: pageSize,
              _continue: t,
            }),
          ),
        )
      : Promise.resolve([]),
    limit(() =>
      listAll(t =>
        core.listNamespacedEvent({
          namespace,
          limit: pageSize,
          _continue: t,
        }),
      ),
    ),
  ]);
  return { core, pods, events };
}

/**
 * One workload's pods on one cluster, for troubleshooting: each pod's
 * containers' states and last termination, its conditions and events, and
 * the last `tailLines` lines of each container's log (and of the previous
 * container after a restart), at most {@link LOG_LIMIT_BYTES} each, for at
 * most {@link MAX_PODS} pods. Everything is read under one deadline, the
 * fleet's per-cluster timeout: the workload, pods and events must arrive
 * within it (else ServiceUnavailableError, in the words of classifyError);
 * a log that does not gets an error of its own beside the rest. Secrets
 * are never read; of a pod's spec only container names and images are
 * returned (no env, volumes or commands).
 */
export async function readWorkloadPods(
  kc: KubeConfig,
  request: WorkloadPodsQuery,
  options: ReadPodsOptions,
): Promise<WorkloadPods> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  const bounded = withAbortSignal(kc, controller.signal, options.onRequest);
  const limit = limiter(options.concurrency);
  try {
    const { core, pods, events } = await readObjects(
      bounded,
      request,
      options,
      limit,
    ).catch(error => {
      if (error instanceof NotFoundError) throw error;
      throw clusterUnavailable(
        classifyError(error, options.timeoutMs, controller.signal.aborted),
        options.detailedErrors,
      );
    });
    const read: LogReader = (pod, container, previous) =>
      limit(() =>
        core.readNamespacedPodLog({
          name: pod.metadata?.name ?? '',
          namespace: request.namespace,
          container,
          previous,
          tailLines: request.tailLines,
          limitBytes: LOG_LIMIT_BYTES,
        }),
      ).then(
        (text): ContainerLog => ({ container, previous, ...logLines(text) }),
        (error): ContainerLog => ({
          container,
          previous,
          lines: [],
          error: logError(error, options, controller.signal.aborted),
        }),
      );
    const shown = troubleFirst(pods).slice(0, MAX_PODS);
    const details = await Promise.all(
      shown.map(async pod => {
        const statuses = pod.status?.containerStatuses ?? [];
        const logs = await Promise.all(
          (pod.spec?.containers ?? []).flatMap(c =>
            containerLogs(
              pod,
              c.name,
              statuses.find(s => s.name === c.name),
              read,
            ),
          ),
        );
        return podDetail(pod, events, logs);
      }),
    );
    return {
      cluster: request.cluster,
      namespace: request.namespace,
      kind: request.kind,
      name: request.name,
      pods: details,
      totalPods: pods.length,
      events: workloadEvents(events, request),
      tailLines: request.tailLines,
      generatedAt: new Date().toISOString(),
    };
  } finally {
    clearTimeout(timer);
  }
}
