import {
  CacheService,
  LoggerService,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { toError } from '@backstage/errors';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { EventsService } from '@backstage/plugin-events-node';
import {
  ClusterRegistry,
  readEnvironments,
  TENANCY_NAMESPACE_EVENT_TOPIC,
} from '@tenancy/plugin-tenancy-node';
import {
  catalogModel,
  CatalogModel,
  ClusterFacts,
  PROVIDER_NAME,
  WorkloadIndex,
} from './entities';
import { ClusterListing, listCluster } from './listing';
import { connectionKey, NamespaceWatches } from './watch';
import { performance } from 'node:perf_hooks';
import {
  STATE_KEY,
  STATE_TTL_MS,
  WorkloadIndexStore,
  workloadRefreshKey,
} from './state';

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { seconds: 30 },
  timeout: { minutes: 5 },
  initialDelay: { seconds: 5 },
};

/**
 * How long the whole listing of one cluster may take. It runs in the
 * background and nobody waits on it, so it is far more patient than
 * `tenancy.clusterTimeoutMs` (a page's wait for one request): a busy
 * apiserver, or one with thousands of namespaces to page through, is
 * still listed rather than left out of the catalog run after run.
 */
const DEFAULT_LISTING_TIMEOUT_MS = 60_000;

function readListingTimeoutMs(config: Config): number {
  const value =
    config.getOptionalNumber('tenancy.catalog.clusterTimeoutMs') ??
    DEFAULT_LISTING_TIMEOUT_MS;
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(
      `tenancy.catalog.clusterTimeoutMs must be a positive number of milliseconds, got ${value}`,
    );
  }
  return value;
}

/** A cluster's last complete listing. */
interface KnownCluster {
  facts: ClusterFacts;
  listing: ClusterListing;
  /** Since when the registry no longer lists the cluster (ms). */
  missingSince?: number;
}

/** What the provider keeps between runs, in the catalog's cache (shared by replicas). */
interface ProviderState {
  /** Entity ref → fingerprint of what was last applied. */
  fingerprints: Record<string, string>;
  /** Entity ref → the clusters it was seen on. */
  sources?: Record<string, string[]>;
  /** Used while a cluster does not answer, or has dropped out of the registry. */
  clusters: Record<string, KnownCluster>;
  /** When the last full mutation was applied (ms); 0 while one is owed. */
  fullAt: number;
}

/**
 * A full mutation at least this often (when every cluster answers): it
 * repairs a catalog that drifted from the state (a restored database, an
 * entity deleted by hand, a state written by another replica).
 */
const FULL_MUTATION_EVERY_MS = 60 * 60 * 1000;

/**
 * How long a cluster that the registry stops listing keeps its namespaces:
 * a catalog cluster source that fails to answer for a moment must not drop
 * them; a cluster removed from config leaves after this.
 */
const MISSING_CLUSTER_GRACE_MS = 10 * 60 * 1000;

/**
 * A cluster whose namespace watch saw no change since this process listed
 * its namespaces is not listed again, for at most this long: a safety net
 * against a watch that silently missed something.
 */
const RELIST_NAMESPACES_EVERY_MS = 10 * 60 * 1000;

/** @public */
export interface TenancyEntityProviderOptions {
  logger: LoggerService;
  scheduler: SchedulerService;
  /** Where the state between runs is kept: the catalog plugin's cache. */
  cache: CacheService;
  /** Shared with the {@link WorkloadNamespaceProcessor}; default: one on `cache`. */
  workloadIndex?: WorkloadIndexStore;
  /** The clusters, from `kubernetes.clusterLocatorMethods`. */
  clusters: ClusterRegistry;
  events?: EventsService;
  /**
   * Apply a full mutation on every run, as providers that re-send
   * everything do. Only for comparison (the bench); default false: a full
   * mutation when nothing is known yet, deltas after.
   */
  alwaysFull?: boolean;
  /**
   * Watch the tenant namespaces of every cluster and run at once when one
   * changes (default true; `tenancy.catalog.watch`). Without it, changes
   * made outside the portal wait for the next scheduled run.
   */
  watch?: boolean;
}

/** What one run did. @public */
export interface TenancyRefreshResult {
  mutation: 'full' | 'delta';
  /** Entities added or changed (all of them for a full mutation). */
  applied: number;
  removed: number;
  /** Clusters that did not answer; their last known namespaces were kept. */
  unreachable: string[];
  /**
   * Clusters whose namespaces were not listed again: their watch has seen
   * no change since this process last listed them.
   */
  unchanged: string[];
}

/**
 * Mirrors the tenant clusters into the catalog: each cluster as a
 * `Resource` of type `kubernetes-cluster` owned by the platform team, and
 * each tenant namespace — one entity per namespace and environment, across
 * the environment's clusters — as a `Resource` of type
 * `kubernetes-namespace` owned by its tenant that `dependsOn` its clusters.
 * A full mutation first, then deltas of only what changed; a cluster that
 * does not answer keeps its namespaces until it does.
 * @public
 */
export class TenancyEntityProvider implements EntityProvider {
  static fromConfig(
    config: Config,
    options: TenancyEntityProviderOptions,
  ): TenancyEntityProvider {
    const scheduleConfig = config.getOptionalConfig('tenancy.catalog.schedule');
    const environments = readEnvironments(config);
    const environmentOf = new Map<string, string>();
    for (const [env, clusters] of Object.entries(environments)) {
      for (const c of clusters)
        if (!environmentOf.has(c)) environmentOf.set(c, env);
    }
    const clusterOwner =
      config.getOptionalString('tenancy.catalog.clusterOwner') ??
      config.getOptionalStringArray('tenancy.platformTeams')?.[0] ??
      'group:default/platform-team';
    const mutation = config.getOptionalString('tenancy.catalog.mutation');
    if (mutation && mutation !== 'delta' && mutation !== 'full') {
      throw new Error(
        `tenancy.catalog.mutation must be 'delta' or 'full', not '${mutation}'`,
      );
    }
    return new TenancyEntityProvider(
      {
        alwaysFull: mutation === 'full',
        watch: config.getOptionalBoolean('tenancy.catalog.watch') ?? true,
        ...options,
      },
      {
        schedule: scheduleConfig
          ? readSchedulerServiceTaskScheduleDefinitionFromConfig(scheduleConfig)
          : DEFAULT_SCHEDULE,
        environmentOf,
        clusterOwner,
        timeoutMs: readListingTimeoutMs(config),
        pageSize: config.getOptionalNumber('tenancy.fleet.pageSize') ?? 500,
      },
    );
  }

  private connection?: EntityProviderConnection;
  private readonly warned = new Set<string>();
  private readonly watches?: NamespaceWatches;
  /** Set by a namespace event of the portal's: the next run lists every cluster. */
  private relistAll = false;
  /**
   * What this process last listed of each cluster's namespaces, when
   * (performance.now(): immune to clock changes) the listing began, and of
   * which server (its `connectionKey`: a name moved to another server
   * is listed again).
   */
  private readonly listed = new Map<
    string,
    { at: number; key: string; namespaces: ClusterListing['namespaces'] }
  >();

  private constructor(
    private readonly options: TenancyEntityProviderOptions,
    private readonly settings: {
      schedule: SchedulerServiceTaskScheduleDefinition;
      environmentOf: Map<string, string>;
      clusterOwner: string;
      timeoutMs: number;
      pageSize: number;
    },
  ) {
    if (options.watch) {
      this.watches = new NamespaceWatches({
        clusters: options.clusters,
        logger: options.logger,
        onChange: () => void this.runSoon(),
      });
    }
  }

  getProviderName(): string {
    return PROVIDER_NAME;
  }

  private get taskId() {
    return `${PROVIDER_NAME}:refresh`;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    await this.options.scheduler.scheduleTask({
      id: this.taskId,
      ...this.settings.schedule,
      fn: async abortSignal => {
        await this.refresh(abortSignal);
      },
    });
    await this.options.events?.subscribe({
      id: PROVIDER_NAME,
      topics: [TENANCY_NAMESPACE_EVENT_TOPIC],
      onEvent: () => {
        // The portal changed a namespace: list again even if the watch's
        // event of that change has not come in yet.
        this.relistAll = true;
        return this.runSoon();
      },
    });
  }

  /** Stops watching the clusters (on shutdown). */
  stop(): void {
    this.watches?.stop();
  }

  /**
   * Has the scheduled run start now. A run already under way may have
   * listed the cluster before the change, so the trigger is tried again
   * until the scheduler takes it.
   */
  private async runSoon(attempt = 0): Promise<void> {
    try {
      await this.options.scheduler.triggerTask(this.taskId);
    } catch (error) {
      if (attempt >= 10) {
        // The next scheduled run catches up.
        this.options.logger.debug(`Not running now: ${toError(error).message}`);
        return;
      }
      setTimeout(() => void this.runSoon(attempt + 1), 1_000).unref();
    }
  }

  /** Lists every cluster and applies what changed since the last run. */
  async refresh(signal?: AbortSignal): Promise<TenancyRefreshResult> {
    const connection = this.connection;
    if (!connection) {
      throw new Error(`${PROVIDER_NAME} is not connected to the catalog yet`);
    }
    const { cache, logger } = this.options;
    const previous = (await cache.get<ProviderState & object>(STATE_KEY)) as
      | ProviderState
      | undefined;
    const now = Date.now();
    const { known, unreachable, unknown, unchanged } = await this.listClusters(
      previous,
      now,
    );
    const incomplete = unknown.size > 0;
    const model = catalogModel(
      Object.values(known).map(k => ({ cluster: k.facts, listing: k.listing })),
      this.settings.clusterOwner,
    );
    this.warnConflicts(model.conflicts);
    signal?.throwIfAborted();

    const full =
      !incomplete &&
      (this.options.alwaysFull ||
        !previous?.fullAt ||
        now - previous.fullAt >= FULL_MUTATION_EVERY_MS);
    const result = full
      ? await this.applyFull(connection, model)
      : await this.applyDelta(connection, model, previous, unknown);
    await this.refreshRelatedComponents(connection, model.workloads);

    const state: ProviderState = {
      fingerprints: Object.fromEntries(
        [...model.entities].map(([ref, e]) => [ref, e.fingerprint]),
      ),
      sources: Object.fromEntries(
        [...model.entities].map(([ref, e]) => [ref, e.clusters]),
      ),
      clusters: known,
      // Started without a state while a cluster was down: a full mutation
      // is owed as soon as every cluster answers.
      fullAt: full ? now : previous?.fullAt ?? 0,
    };
    // What was kept for a cluster that answered nothing stays known.
    for (const ref of result.kept) {
      state.fingerprints[ref] = previous!.fingerprints[ref];
      // A state of an older version knows no sources: the clusters that did
      // not answer are where the entity may be, so it is kept while they do not.
      state.sources![ref] = previous?.sources?.[ref] ?? [...unknown];
    }
    await cache.set(STATE_KEY, state as ProviderState & object, {
      ttl: STATE_TTL_MS,
    });
    logger.info(
      `${result.mutation} mutation: ${result.applied} entities applied, ${
        result.removed
      } removed, of ${model.entities.size}${
        unreachable.length
          ? `; kept the last known namespaces of ${unreachable.join(
              ', ',
            )}, which did not answer`
          : ''
      }${
        unchanged.length
          ? `; namespaces of ${unchanged.join(
              ', ',
            )} not listed again (their watch saw no change)`
          : ''
      }`,
    );
    return {
      mutation: result.mutation,
      applied: result.applied,
      removed: result.removed,
      unreachable,
      unchanged,
    };
  }

  private warnConflicts(conflicts: string[]) {
    for (const key of conflicts) {
      // Once per namespace and process: the next runs would say the same.
      if (this.warned.has(key)) continue;
      this.warned.add(key);
      this.options.logger.warn(
        `Namespace ${key} has different owners on different clusters; the catalog shows the owner most clusters agree on`,
      );
    }
  }

  private async applyFull(
    connection: EntityProviderConnection,
    model: CatalogModel,
  ) {
    await connection.applyMutation({
      type: 'full',
      entities: [...model.entities.values()].map(({ entity, locationKey }) => ({
        entity,
        locationKey,
      })),
    });
    return {
      mutation: 'full' as const,
      applied: model.entities.size,
      removed: 0,
      kept: [] as string[],
    };
  }

  private async applyDelta(
    connection: EntityProviderConnection,
    model: CatalogModel,
    previous: ProviderState | undefined,
    unknown: Set<string>,
  ) {
    const before = previous?.fingerprints ?? {};
    const added = [...model.entities]
      .filter(([ref, e]) => before[ref] !== e.fingerprint)
      .map(([, { entity, locationKey }]) => ({ entity, locationKey }));
    // An entity no cluster has any more is gone — unless it was on a
    // cluster whose namespaces are unknown right now (it may still be there).
    const gone = Object.keys(before).filter(ref => !model.entities.has(ref));
    const onUnknown = (ref: string) => {
      const sources = previous?.sources?.[ref];
      return sources ? sources.some(c => unknown.has(c)) : unknown.size > 0;
    };
    const kept = gone.filter(onUnknown);
    const removed = gone
      .filter(ref => !onUnknown(ref))
      .map(entityRef => ({ entityRef }));
    if (added.length || removed.length) {
      await connection.applyMutation({ type: 'delta', added, removed });
    }
    return {
      mutation: 'delta' as const,
      applied: added.length,
      removed: removed.length,
      kept,
    };
  }

  /**
   * Every cluster's listing: fresh, or the last known one of a cluster that
   * does not answer or has just dropped out of the registry; `unknown`:
   * the clusters that answered nothing and have no known listing.
   */
  private async listClusters(previous: ProviderState | undefined, now: number) {
    const { clusters, logger } = this.options;
    const registered = await clusters.listClusters();
    this.watches?.sync(registered);
    const relistAll = this.relistAll;
    this.relistAll = false;
    const unreachable: string[] = [];
    /** Clusters that answered nothing and of which nothing is known. */
    const unknown = new Set<string>();
    const unchanged: string[] = [];
    const known: Record<string, KnownCluster> = {};
    await Promise.all(
      registered.map(async cluster => {
        const facts: ClusterFacts = {
          name: cluster.name,
          environment: this.settings.environmentOf.get(cluster.name),
          fromCatalog: cluster.source === 'catalog',
          entityRef: cluster.entityRef,
        };
        // Listing every namespace of every cluster on every run is most of
        // a steady run's cost (and the API servers'); the watch tells when
        // it is needed. Not with alwaysFull: that mode stands for providers
        // that re-read everything.
        const canReuse = this.watches && !this.options.alwaysFull;
        const key = connectionKey(cluster);
        const ownListing = this.listed.get(cluster.name);
        const reuse =
          canReuse &&
          !relistAll &&
          ownListing?.key === key &&
          performance.now() - ownListing.at < RELIST_NAMESPACES_EVERY_MS &&
          this.watches?.unchangedSince(cluster, ownListing.at)
            ? ownListing
            : undefined;
        const startedAt = performance.now();
        try {
          const listing = await listCluster(
            await clusters.kubeConfig(cluster),
            cluster.name,
            {
              timeoutMs: this.settings.timeoutMs,
              pageSize: this.settings.pageSize,
              namespaces: reuse?.namespaces,
            },
          );
          known[cluster.name] = { facts, listing };
          if (reuse) unchanged.push(cluster.name);
          else if (canReuse) {
            this.listed.set(cluster.name, {
              at: startedAt,
              key,
              namespaces: listing.namespaces,
            });
          }
        } catch (error) {
          unreachable.push(cluster.name);
          const last = previous?.clusters?.[cluster.name];
          if (last) known[cluster.name] = { facts, listing: last.listing };
          else unknown.add(cluster.name);
          logger.warn(
            `Could not list the namespaces of cluster ${cluster.name}: ${
              toError(error).message
            }; ${
              last
                ? 'keeping its last known namespaces'
                : 'its namespaces are left as they are in the catalog'
            }`,
          );
        }
      }),
    );
    for (const [name, last] of Object.entries(previous?.clusters ?? {})) {
      if (known[name]) continue;
      const missingSince = last.missingSince ?? now;
      if (now - missingSince < MISSING_CLUSTER_GRACE_MS) {
        known[name] = { ...last, missingSince };
      }
    }
    for (const name of this.listed.keys()) {
      if (!registered.some(c => c.name === name)) this.listed.delete(name);
    }
    return {
      known,
      unreachable: unreachable.sort(),
      unknown,
      unchanged: unchanged.sort(),
    };
  }

  /**
   * Stores which namespaces each `backstage.io/kubernetes-id` runs in, for
   * the processor, and has the catalog reprocess the Components whose
   * namespaces changed, so that their relations follow now rather than at
   * their next processing.
   */
  private async refreshRelatedComponents(
    connection: EntityProviderConnection,
    workloads: WorkloadIndex,
  ) {
    const changed = await (
      this.options.workloadIndex ?? new WorkloadIndexStore(this.options.cache)
    ).write(workloads);
    if (changed.length) {
      await connection.refresh({
        keys: changed.map(workloadRefreshKey),
      });
    }
  }
}
