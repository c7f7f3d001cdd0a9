/**
 * FleetSnapshotService in the bench's own process, with the portal's
 * configuration (as in FleetSnapshotService.test.ts): the kube requests of
 * one refresh, and get() on an empty cache.
 */
import type {
  CacheService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import type { JsonValue } from '@backstage/types';
import {
  FleetSnapshot,
  FleetSnapshotService,
  fleetView,
} from '@tenancy/plugin-tenancy-backend';
import { DefaultClusterRegistry } from '@tenancy/plugin-tenancy-node';
import { performance } from 'node:perf_hooks';
import { log } from '../lib/process';
import { ms } from '../lib/report';
import { round1 } from '../lib/stats';
import { anomaly } from './checks';
import { BLACKHOLE } from './settings';
import { stats, Stats } from './stats';

function memoryCache(): CacheService {
  const store = new Map<string, JsonValue>();
  const cache: CacheService = {
    get: async <T extends JsonValue>(key: string) =>
      store.get(key) as T | undefined,
    set: async (key, value) => {
      store.set(key, value);
    },
    delete: async key => {
      store.delete(key);
    },
    withOptions: () => cache,
  };
  return cache;
}

/** A FleetSnapshotService on `config` with an empty in-memory cache. */
export function fleetService(
  config: Config,
  logger: LoggerService,
  onRequest?: (cluster: string) => void,
): FleetSnapshotService {
  return new FleetSnapshotService({
    config,
    cache: memoryCache(),
    logger,
    registry: DefaultClusterRegistry.fromConfig(config, { logger }),
    ...(onRequest ? { onRequest } : {}),
  });
}

export interface RefreshFigures {
  /** Kube requests of one refresh, per cluster (the same in every refresh). */
  requests: Record<string, number[]>;
  namespaces: Record<string, number>;
  /** Wall time of the whole refresh (clusters in parallel). */
  refreshMs: Stats;
  /** The fleet view's JSON, computed from the last snapshot. */
  fleetViewBytes: number;
  /** The snapshot as JSON: what the cache holds and every view request reads. */
  snapshotBytes: number;
}

/** `refreshes` refreshes of `service`, whose onRequest counts into `counts`. */
export async function refreshFigures(
  service: FleetSnapshotService,
  counts: Record<string, number>,
  refreshes: number,
): Promise<RefreshFigures> {
  const requests: Record<string, number[]> = {};
  const durations: number[] = [];
  let last: FleetSnapshot | undefined;
  for (let i = 0; i < refreshes; i++) {
    for (const key of Object.keys(counts)) delete counts[key];
    const start = performance.now();
    last = await service.refresh();
    durations.push(performance.now() - start);
    for (const c of last.clusters) {
      if (c.error) {
        throw new Error(
          `in-process refresh: ${c.name}: ${JSON.stringify(c.error)}`,
        );
      }
      (requests[c.name] ??= []).push(counts[c.name] ?? 0);
    }
  }
  return {
    requests,
    namespaces: Object.fromEntries(
      last!.clusters.map(c => [c.name, c.namespaces?.length ?? 0]),
    ),
    refreshMs: stats(durations),
    fleetViewBytes: Buffer.byteLength(JSON.stringify(fleetView(last!))),
    snapshotBytes: Buffer.byteLength(JSON.stringify(last!)),
  };
}

/**
 * Cold for sure: get() on an empty cache, `times` times, each with a new
 * service on `config` — the path of a first request that finds no snapshot
 * (in the backend, the start-up refresh often wins). Only the black hole
 * may have an error.
 */
export async function coldGets(
  config: Config,
  logger: LoggerService,
  times: number,
): Promise<Array<{ ms: number; clusters: string }>> {
  const cold: Array<{ ms: number; clusters: string }> = [];
  for (let i = 0; i < times; i++) {
    const service = fleetService(config, logger);
    const t = performance.now();
    const snapshot = await service.get();
    const elapsed = performance.now() - t;
    const clusterText = snapshot.clusters
      .map(c => `${c.name}${c.error ? ` ${c.error.kind}` : ''}`)
      .join(', ');
    for (const c of snapshot.clusters) {
      const dead = c.name === BLACKHOLE;
      if (dead !== Boolean(c.error)) {
        anomaly(
          `(b) in-process cold: ${c.name}: ${
            c.error ? `${c.error.kind}: ${c.error.message}` : 'no error'
          }`,
        );
      }
    }
    cold.push({ ms: round1(elapsed), clusters: clusterText });
    log(`(b) in-process cold get(): ${ms(elapsed)} (${clusterText})`);
  }
  return cold;
}
