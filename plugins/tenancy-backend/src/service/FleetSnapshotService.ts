import {
  CacheService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { isError } from '@backstage/errors';
import { JsonValue } from '@backstage/types';
import { ClusterRegistry } from '@tenancy/plugin-tenancy-node';
import {
  ClusterSnapshot,
  collectCluster,
  environmentOf,
  FleetOptions,
  FleetSnapshot,
  readFleetOptions,
} from '../fleet';

/**
 * The latest snapshot's generatedAt: a small read that says whether a
 * replica's parsed copy is current, and names the key of the snapshot itself
 * ({@link snapshotKey}), so the two can never disagree.
 */
const STAMP_KEY = 'fleet-snapshot:v2:latest';
const snapshotKey = (generatedAt: string) => `fleet-snapshot:v2:${generatedAt}`;

/** @public */
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
 * @public
 */
export class FleetSnapshotService {
  private readonly fleet: FleetOptions;
  private inFlight?: Promise<FleetSnapshot>;
  /** This replica's parsed copy of the latest snapshot it saw. */
  private latest?: FleetSnapshot;

  constructor(private readonly options: FleetSnapshotOptions) {
    this.fleet = readFleetOptions(options.config);
  }

  /** How often one replica refreshes the snapshot, in seconds. */
  get refreshIntervalSeconds(): number {
    return this.fleet.refreshIntervalSeconds;
  }

  /**
   * Registers the refresh with the scheduler: one replica at a time,
   * cluster-wide, when the cache is shared; on every replica when each has
   * its own in-memory cache (`backend.cache.store` memory or unset), where a
   * refresh on one replica would leave the others' snapshots to age.
   */
  async schedule(scheduler: SchedulerService) {
    await scheduler.scheduleTask({
      id: 'tenancy-fleet-refresh',
      scope: this.fleet.sharedCache ? 'global' : 'local',
      frequency: { seconds: this.refreshIntervalSeconds },
      timeout: { milliseconds: this.fleet.timeoutMs * 3 + 10_000 },
      initialDelay: { seconds: 0 },
      fn: async () => {
        await this.refreshOnce();
      },
    });
  }

  /** Reads every cluster now (in parallel, each under its own timeout) and stores the snapshot. */
  async refresh(): Promise<FleetSnapshot> {
    const clusters = await this.options.registry.listClusters();
    const snapshots = await Promise.all(
      clusters.map(async (cluster): Promise<ClusterSnapshot> => {
        const environment = environmentOf(
          this.fleet.environments,
          cluster.name,
        );
        try {
          const kc = await this.options.registry.kubeConfig(cluster);
          return await collectCluster(
            kc,
            { name: cluster.name, environment },
            {
              timeoutMs: this.fleet.timeoutMs,
              concurrency: this.fleet.concurrency,
              pageSize: this.fleet.pageSize,
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
    // Plain JSON by construction (built from the API's data). The snapshot
    // under its own key first, then the stamp that points at it.
    const ttl = { seconds: Math.max(this.refreshIntervalSeconds * 10, 60) };
    await this.options.cache.set(
      snapshotKey(snapshot.generatedAt),
      snapshot as unknown as JsonValue,
      { ttl },
    );
    await this.options.cache.set(STAMP_KEY, snapshot.generatedAt, { ttl });
    this.latest = snapshot;
    return snapshot;
  }

  /**
   * The latest snapshot: this replica's parsed copy while the shared cache
   * says it is current (one small read instead of reading and parsing the
   * whole snapshot on every request), else from the shared cache, else —
   * right after start-up, before the first scheduled refresh has stored one —
   * made now, joining a refresh already running on this replica.
   */
  async get(): Promise<FleetSnapshot> {
    const stamp = await this.options.cache.get(STAMP_KEY);
    if (this.latest && stamp === this.latest.generatedAt) return this.latest;
    if (typeof stamp === 'string') {
      const cached = (await this.options.cache.get(snapshotKey(stamp))) as
        | FleetSnapshot
        | undefined;
      if (cached) {
        this.latest = cached;
        return cached;
      }
      // The stamp names a snapshot the cache no longer has (evicted, or its
      // write failed): this replica's own copy if it has one.
      if (this.latest) return this.latest;
    }
    // Nothing recent anywhere (start-up, or every copy expired): refresh now.
    return this.refreshOnce();
  }

  /** One refresh at a time on this replica: callers during a refresh share it. */
  private refreshOnce(): Promise<FleetSnapshot> {
    this.inFlight ??= this.refresh().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }
}
