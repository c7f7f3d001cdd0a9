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
  readClusterTimeoutMs,
  readEnvironments,
  TENANCY_NAMESPACE_EVENT_TOPIC,
} from '@tenancy/plugin-tenancy-node';
import {
  catalogModel,
  ClusterFacts,
  PROVIDER_NAME,
  WorkloadIndex,
} from './entities';
import { ClusterListing, listCluster } from './listing';
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

/** What the provider keeps between runs, in the catalog's cache (shared by replicas). */
interface ProviderState {
  /** Entity ref → fingerprint of what was last applied. */
  fingerprints: Record<string, string>;
  /** The last complete listing of each cluster: used while one does not answer. */
  listings: Record<string, ClusterListing>;
}

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
}

/** What one run did. @public */
export interface TenancyRefreshResult {
  mutation: 'full' | 'delta';
  /** Entities added or changed (all of them for a full mutation). */
  applied: number;
  removed: number;
  /** Clusters that did not answer; their last known namespaces were kept. */
  unreachable: string[];
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
      { alwaysFull: mutation === 'full', ...options },
      {
        schedule: scheduleConfig
          ? readSchedulerServiceTaskScheduleDefinitionFromConfig(scheduleConfig)
          : DEFAULT_SCHEDULE,
        environmentOf,
        clusterOwner,
        timeoutMs: readClusterTimeoutMs(config),
        pageSize: config.getOptionalNumber('tenancy.fleet.pageSize') ?? 500,
      },
    );
  }

  private connection?: EntityProviderConnection;

  private constructor(
    private readonly options: TenancyEntityProviderOptions,
    private readonly settings: {
      schedule: SchedulerServiceTaskScheduleDefinition;
      environmentOf: Map<string, string>;
      clusterOwner: string;
      timeoutMs: number;
      pageSize: number;
    },
  ) {}

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
      fn: async () => {
        await this.refresh();
      },
    });
    await this.options.events?.subscribe({
      id: PROVIDER_NAME,
      topics: [TENANCY_NAMESPACE_EVENT_TOPIC],
      onEvent: async () => {
        try {
          await this.options.scheduler.triggerTask(this.taskId);
        } catch (error) {
          // Already running: that run or the next scheduled one catches up.
          this.options.logger.debug(
            `Not refreshing now: ${toError(error).message}`,
          );
        }
      },
    });
  }

  /** Lists every cluster and applies what changed since the last run. */
  async refresh(): Promise<TenancyRefreshResult> {
    const connection = this.connection;
    if (!connection) {
      throw new Error(`${PROVIDER_NAME} is not connected to the catalog yet`);
    }
    const { cache, logger } = this.options;
    const previous = (await cache.get<ProviderState & object>(STATE_KEY)) as
      | ProviderState
      | undefined;
    const { listings, unreachable, incomplete } = await this.listClusters(
      previous,
    );
    const model = catalogModel(listings, this.settings.clusterOwner);
    for (const key of model.conflicts) {
      logger.warn(
        `Namespace ${key} has different owners on different clusters; the catalog shows the owner most clusters agree on`,
      );
    }

    const fingerprints = Object.fromEntries(
      [...model.entities].map(([ref, e]) => [ref, e.fingerprint]),
    );
    const full = !incomplete && (this.options.alwaysFull || !previous);
    let result: TenancyRefreshResult;
    if (full) {
      await connection.applyMutation({
        type: 'full',
        entities: [...model.entities.values()].map(
          ({ entity, locationKey }) => ({
            entity,
            locationKey,
          }),
        ),
      });
      result = {
        mutation: 'full',
        applied: model.entities.size,
        removed: 0,
        unreachable,
      };
    } else {
      const before = previous?.fingerprints ?? {};
      const added = [...model.entities]
        .filter(([ref, e]) => before[ref] !== e.fingerprint)
        .map(([, { entity, locationKey }]) => ({ entity, locationKey }));
      // While a cluster's namespaces are unknown, nothing is known to be gone.
      const removed = Object.keys(incomplete ? {} : before)
        .filter(ref => !model.entities.has(ref))
        .map(entityRef => ({ entityRef }));
      if (added.length || removed.length) {
        await connection.applyMutation({ type: 'delta', added, removed });
      }
      result = {
        mutation: 'delta',
        applied: added.length,
        removed: removed.length,
        unreachable,
      };
    }

    await this.refreshRelatedComponents(connection, model.workloads);
    await cache.set(
      STATE_KEY,
      {
        fingerprints: incomplete
          ? { ...previous?.fingerprints, ...fingerprints }
          : fingerprints,
        listings: Object.fromEntries(
          listings.map(l => [l.cluster.name, l.listing]),
        ),
      } as ProviderState & object,
      { ttl: STATE_TTL_MS },
    );
    logger.info(
      `${result.mutation} mutation: ${result.applied} entities applied, ${
        result.removed
      } removed, of ${model.entities.size}${
        unreachable.length
          ? `; kept the last known namespaces of ${unreachable.join(
              ', ',
            )}, which did not answer`
          : ''
      }`,
    );
    return result;
  }

  /** Every cluster's listing, or its last known one when it does not answer. */
  private async listClusters(previous: ProviderState | undefined) {
    const { clusters, logger } = this.options;
    const known = await clusters.listClusters();
    const unreachable: string[] = [];
    let incomplete = false;
    const results = await Promise.all(
      known.map(async cluster => {
        const facts: ClusterFacts = {
          name: cluster.name,
          environment: this.settings.environmentOf.get(cluster.name),
          fromCatalog: cluster.source === 'catalog',
        };
        try {
          const listing = await listCluster(
            await clusters.kubeConfig(cluster),
            cluster.name,
            {
              timeoutMs: this.settings.timeoutMs,
              pageSize: this.settings.pageSize,
            },
          );
          return { cluster: facts, listing };
        } catch (error) {
          unreachable.push(cluster.name);
          const last = previous?.listings[cluster.name];
          if (!last) incomplete = true;
          logger.warn(
            `Could not list the namespaces of cluster ${cluster.name}: ${
              toError(error).message
            }; ${
              last
                ? 'keeping its last known namespaces'
                : 'its namespaces are left as they are in the catalog'
            }`,
          );
          return last ? { cluster: facts, listing: last } : undefined;
        }
      }),
    );
    return {
      listings: results.filter(<T>(r: T | undefined): r is T => !!r),
      unreachable: unreachable.sort(),
      incomplete,
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
