import { CacheService } from '@backstage/backend-plugin-api';
import type { WorkloadIndex } from './entities';

/** Cache key of the provider's state between runs (fingerprints and listings). */
export const STATE_KEY = 'tenancy-kubernetes:state';

/** Cache key of the workload index the processor reads. */
export const WORKLOAD_INDEX_KEY = 'tenancy-kubernetes:workloads';

/**
 * How long the state outlives the last run. Once it is gone the next run
 * applies a full mutation, which is always correct.
 */
export const STATE_TTL_MS = 24 * 60 * 60 * 1000;

/** The refresh key of the Components whose workloads carry this `backstage.io/kubernetes-id`. */
export function workloadRefreshKey(kubernetesId: string): string {
  return `tenancy-kubernetes-id:${kubernetesId}`;
}

/** How long one read of the workload index is reused. */
const INDEX_TTL_MS = 5_000;

/**
 * Which namespace Resources each `backstage.io/kubernetes-id` runs in, kept
 * in the catalog's cache (shared by replicas). The provider writes it and the
 * processor reads it; in one process they share this object, so a write is
 * seen at once.
 * @public
 */
export class WorkloadIndexStore {
  private memo?: { value: WorkloadIndex; readAt: number };

  constructor(private readonly cache: CacheService) {}

  async read(): Promise<WorkloadIndex> {
    const now = Date.now();
    if (this.memo && now - this.memo.readAt < INDEX_TTL_MS) {
      return this.memo.value;
    }
    try {
      const value = ((await this.cache.get(WORKLOAD_INDEX_KEY)) ??
        {}) as WorkloadIndex;
      this.memo = { value, readAt: now };
      return value;
    } catch {
      // A cache that does not answer must not fail the catalog's processing
      // of every Component: the last index read, or none, until it answers.
      return this.memo?.value ?? {};
    }
  }

  /** Stores the index; returns the ids whose namespaces changed. */
  async write(index: WorkloadIndex): Promise<string[]> {
    const before = ((await this.cache.get(WORKLOAD_INDEX_KEY)) ??
      {}) as WorkloadIndex;
    await this.cache.set(WORKLOAD_INDEX_KEY, index as object, {
      ttl: STATE_TTL_MS,
    });
    this.memo = { value: index, readAt: Date.now() };
    return [...new Set([...Object.keys(before), ...Object.keys(index)])].filter(
      id => JSON.stringify(before[id]) !== JSON.stringify(index[id]),
    );
  }
}
