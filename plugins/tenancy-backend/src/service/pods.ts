import { Config } from '@backstage/config';
import { InputError, isError, NotFoundError } from '@backstage/errors';
import {
  WorkloadKind,
  WorkloadPods,
  WorkloadPodsRequest,
} from '@tenancy/plugin-tenancy-common';
import {
  ClusterRegistry,
  TenancyNamespaceResource,
} from '@tenancy/plugin-tenancy-node';
import {
  clusterUnavailable,
  DEFAULT_TAIL_LINES,
  FleetOptions,
  MAX_TAIL_LINES,
  readFleetOptions,
  readWorkloadPods,
  WORKLOAD_KINDS,
  workloadNotFound,
} from '../fleet';

/** The workload kind a path segment names: `deployments` or `statefulsets`, else a 400. */
export function workloadKindOf(segment: string): WorkloadKind {
  // Own keys only: `constructor` or `__proto__` is no kind.
  const kind = Object.hasOwn(WORKLOAD_KINDS, segment)
    ? WORKLOAD_KINDS[segment]
    : undefined;
  if (!kind) {
    throw new InputError(
      `Invalid workload kind "${segment.slice(0, 40)}": use ${Object.keys(
        WORKLOAD_KINDS,
      ).join(' or ')}`,
    );
  }
  return kind;
}

/** `?tailLines=`: a whole number from 1 to 500, 50 when absent, else a 400. */
export function tailLinesOf(value: unknown): number {
  if (value === undefined) return DEFAULT_TAIL_LINES;
  const lines =
    typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : NaN;
  if (!(lines >= 1 && lines <= MAX_TAIL_LINES)) {
    throw new InputError(
      `Invalid tailLines: give a whole number from 1 to ${MAX_TAIL_LINES} (default ${DEFAULT_TAIL_LINES})`,
    );
  }
  return lines;
}

/** What a {@link WorkloadPodReader} reads clusters with. @public */
export interface WorkloadPodReaderOptions {
  /** The clusters and their credentials. */
  registry: Pick<ClusterRegistry, 'getCluster' | 'kubeConfig'>;
  /** The backend's config: the per-cluster timeout and the fleet's options. */
  config: Config;
  /** Counts requests to clusters (tests). */
  onRequest?: (cluster: string) => void;
}

/**
 * Reads one workload's pods from its cluster, with the fleet's per-cluster
 * timeout and concurrency (`tenancy.clusterTimeoutMs`,
 * `tenancy.fleet.concurrencyPerCluster`). Whether the caller may read the
 * namespace is the router's to decide first, on the fleet snapshot.
 * @public
 */
export class WorkloadPodReader {
  private readonly fleet: FleetOptions;

  constructor(private readonly options: WorkloadPodReaderOptions) {
    this.fleet = readFleetOptions(options.config);
  }

  /**
   * A workload's pods, events and last log lines; NotFoundError when the
   * cluster or the workload is not there, ServiceUnavailableError when the
   * cluster cannot be read in time.
   */
  async read(
    request: Required<WorkloadPodsRequest>,
    access: {
      /** Whether errors may say why the cluster could not be read (the platform team). */
      detailedErrors: boolean;
      /** The caller's namespace filter, checked again on the live namespace (undefined: every namespace). */
      visible?: (namespace: TenancyNamespaceResource) => boolean;
    },
  ): Promise<WorkloadPods> {
    const { registry, onRequest } = this.options;
    const cluster = await registry.getCluster(request.cluster).catch(error => {
      // Its message lists the known clusters.
      if (error instanceof NotFoundError) throw workloadNotFound(request);
      throw clusterUnavailable(
        { kind: 'error', message: isError(error) ? error.message : `${error}` },
        access.detailedErrors,
      );
    });
    const kc = await registry.kubeConfig(cluster).catch(error => {
      // Credentials could not be had (e.g. no AWS credentials for an EKS token).
      throw clusterUnavailable(
        {
          kind: 'unauthorized',
          message: `No credentials for the cluster: ${
            isError(error) ? error.message : String(error)
          }`,
        },
        access.detailedErrors,
      );
    });
    return readWorkloadPods(kc, request, {
      timeoutMs: this.fleet.timeoutMs,
      concurrency: this.fleet.concurrency,
      pageSize: this.fleet.pageSize,
      detailedErrors: access.detailedErrors,
      visible: access.visible,
      onRequest: onRequest && (() => onRequest(request.cluster)),
    });
  }
}
