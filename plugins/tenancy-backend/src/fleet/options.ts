import { Config } from '@backstage/config';
import {
  readClusterTimeoutMs,
  readEnvironments,
} from '@tenancy/plugin-tenancy-node';

/** Everything the fleet snapshot reads from config, read in one place. @public */
export interface FleetOptions {
  /** How often one replica refreshes the snapshot (`tenancy.fleet.refreshIntervalSeconds`, default 30). */
  refreshIntervalSeconds: number;
  /** At most this many requests to one cluster at once (`tenancy.fleet.concurrencyPerCluster`, default 4). */
  concurrency: number;
  /** Page size of list calls (`tenancy.fleet.pageSize`, default 500). */
  pageSize: number;
  /** The whole collection of one cluster is abandoned after this long (`tenancy.clusterTimeoutMs`). */
  timeoutMs: number;
  /** Environment name → cluster names (`tenancy.environments`). */
  environments: Record<string, string[]>;
  /**
   * Whether the backend's cache is shared between replicas (any
   * `backend.cache.store` but memory), so that one replica's refresh serves all.
   */
  sharedCache: boolean;
}

/** Reads {@link FleetOptions} from the backend's config. @public */
export function readFleetOptions(config: Config): FleetOptions {
  const fleet = config.getOptionalConfig('tenancy.fleet');
  const store = config.getOptionalString('backend.cache.store') ?? 'memory';
  return {
    refreshIntervalSeconds:
      fleet?.getOptionalNumber('refreshIntervalSeconds') ?? 30,
    concurrency: fleet?.getOptionalNumber('concurrencyPerCluster') ?? 4,
    pageSize: fleet?.getOptionalNumber('pageSize') ?? 500,
    timeoutMs: readClusterTimeoutMs(config),
    environments: readEnvironments(config),
    sharedCache: store !== 'memory',
  };
}

/** The environment a cluster belongs to, if any. */
export function environmentOf(
  environments: Record<string, string[]>,
  cluster: string,
): string | undefined {
  return Object.entries(environments).find(([, clusters]) =>
    clusters.includes(cluster),
  )?.[0];
}
