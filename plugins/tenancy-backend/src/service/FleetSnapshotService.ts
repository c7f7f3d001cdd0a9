import {
  CacheService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { isError } from '@backstage/errors';
import { JsonValue } from '@backstage/types';
import {
  ClusterRegistry,
  ClusterSnapshot,
  collectCluster,
  FleetSnapshot,
  readClusterTimeoutMs,
  readEnvironments,
} from '@tenancy/plugin-tenancy-node';

const CACHE_KEY = 'fleet-snapshot:v1';

export interface FleetSnapshotOptions {
  registry: ClusterRegistry;
  cache: CacheService;
  logger: LoggerService;
  config: Config;
  /** Counts requests to clusters (tests and the bench). */
  onRequest?: (cluster: string) => void;
}

/**
 * The fleet snapshot every view reads. A SchedulerService task refreshes it
 * (on one replica at a time) and keeps it in the CacheService, so several
 * backend replicas share one view and one refresh. A request never waits on
 * a slow cluster for longer than the per-cluster timeout.
 */
export class FleetSnapshotService {
  readonly refreshIntervalSeconds: number;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly pageSize: number;
  private inFlight?: Promise<FleetSnapshot>;

  constructor(private readonly options: FleetSnapshotOptions) {
    const fleet = options.config.getOptionalConfig('tenancy.fleet');
    this.refreshIntervalSeconds =
      fleet?.getOptionalNumber('refreshIntervalSeconds') ?? 30;
    this.concurrency = fleet?.getOptionalNumber('concurrencyPerCluster') ?? 4;
    this.pageSize = fleet?.getOptionalNumber('pageSize') ?? 500;
    this.timeoutMs = readClusterTimeoutMs(options.config);
  }

  /** Registers the refresh with the scheduler (one replica at a time, cluster-wide). */
  async schedule(scheduler: SchedulerService) {
    await scheduler.scheduleTask({
      id: 'tenancy-fleet-refresh',
      frequency: { seconds: this.refreshIntervalSeconds },
      timeout: { milliseconds: this.timeoutMs * 3 + 10_000 },
      initialDelay: { seconds: 0 },
      fn: async () => {
        await this.refresh();
      },
    });
  }

  /** Reads every cluster now (in parallel, each under its own timeout) and stores the snapshot. */
  async refresh(): Promise<FleetSnapshot> {
    const environments = readEnvironments(this.options.config);
    const environmentOf = (cluster: string) =>
      Object.entries(environments).find(([, clusters]) =>
        clusters.includes(cluster),
      )?.[0];
    const clusters = await this.options.registry.listClusters();
    const snapshots = await Promise.all(
      clusters.map(async (cluster): Promise<ClusterSnapshot> => {
        const environment = environmentOf(cluster.name);
        try {
          const kc = await this.options.registry.kubeConfig(cluster);
          return await collectCluster(
            kc,
            { name: cluster.name, environment },
            {
              timeoutMs: this.timeoutMs,
              concurrency: this.concurrency,
              pageSize: this.pageSize,
              onRequest:
                this.options.onRequest &&
                (() => this.options.onRequest!(cluster.name)),
            },
          );
        } catch (error) {
          // Credentials could not be had (e.g. no AWS credentials for an EKS token).
          return {
            name: cluster.name,
            environment,
            fetchedAt: new Date().toISOString(),
            durationMs: 0,
            reachable: false,
            error: {
              kind: 'unauthorized',
              message: `No credentials for the cluster: ${
                isError(error) ? error.message : String(error)
              }`,
            },
          };
        }
      }),
    );
    for (const s of snapshots.filter(c => c.error)) {
      this.options.logger.warn(
        `Cluster ${s.name}: ${s.error!.kind}: ${s.error!.message}`,
      );
    }
    const snapshot: FleetSnapshot = {
      generatedAt: new Date().toISOString(),
      clusters: snapshots,
    };
    // Plain JSON by construction (built from the API's data).
    await this.options.cache.set(CACHE_KEY, snapshot as unknown as JsonValue, {
      ttl: { seconds: Math.max(this.refreshIntervalSeconds * 10, 60) },
    });
    return snapshot;
  }

  /**
   * The latest snapshot: from the shared cache, or — right after start-up,
   * before the first scheduled refresh has run — made now (one refresh for all
   * concurrent callers of this replica).
   */
  async get(): Promise<FleetSnapshot> {
    const cached = (await this.options.cache.get(CACHE_KEY)) as
      | FleetSnapshot
      | undefined;
    if (cached) return cached;
    this.inFlight ??= this.refresh().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }
}
