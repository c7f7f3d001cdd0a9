import { LoggerService } from '@backstage/backend-plugin-api';
import { toError } from '@backstage/errors';
import { Watch } from '@kubernetes/client-node';
import { TENANT_LABEL } from '@tenancy/plugin-tenancy-common';
import { ClusterRegistry, TenancyCluster } from '@tenancy/plugin-tenancy-node';

/** What {@link NamespaceWatches} needs. */
export interface NamespaceWatchesOptions {
  clusters: ClusterRegistry;
  logger: LoggerService;
  /** Called once the events of a burst have settled. */
  onChange: () => void;
  /** How long a burst of events is gathered into one call. Default 1 s. */
  debounceMs?: number;
  /** How long to wait before watching a cluster again after its watch ended. Default 5 s. */
  retryMs?: number;
}

/**
 * A watch on the tenant namespaces (`tenancy.dev/tenant`) of every cluster,
 * so that a namespace made, relabelled or deleted on a cluster — by the
 * portal or by anyone — reaches the catalog within seconds instead of at
 * the provider's next scheduled run. Each event only asks for a run: the
 * run lists the cluster and applies what changed, so a missed event costs
 * latency, never correctness. A watch that ends (the API server closes
 * watches every few minutes; a cluster goes away) is started again with a
 * fresh credential.
 */
export class NamespaceWatches {
  private readonly active = new Map<string, AbortController | 'starting'>();
  /** Per cluster: since when its watch has been up, and its last event. */
  private readonly seen = new Map<
    string,
    { liveSince: number; lastEventAt?: number }
  >();
  private stopped = false;
  private pending?: NodeJS.Timeout;

  constructor(private readonly options: NamespaceWatchesOptions) {}

  /** Watches every cluster of `clusters`, and no other. */
  sync(clusters: TenancyCluster[]): void {
    if (this.stopped) return;
    const names = new Set(clusters.map(c => c.name));
    for (const [name, watch] of this.active) {
      if (names.has(name)) continue;
      if (watch !== 'starting') watch.abort();
      this.active.delete(name);
      this.seen.delete(name);
    }
    for (const cluster of clusters) {
      if (!this.active.has(cluster.name)) void this.start(cluster);
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.pending);
    for (const watch of this.active.values()) {
      if (watch !== 'starting') watch.abort();
    }
    this.active.clear();
    this.seen.clear();
  }

  /**
   * True when the tenant namespaces of `cluster` cannot have changed since
   * `since` (a time from Date.now()): its watch has been up without a break
   * from before then, and has had no event at or after it. A listing begun
   * at `since` is then still what the cluster holds.
   */
  unchangedSince(cluster: string, since: number): boolean {
    const seen = this.seen.get(cluster);
    if (!seen || seen.liveSince > since) return false;
    return seen.lastEventAt === undefined || seen.lastEventAt < since;
  }

  private async start(cluster: TenancyCluster): Promise<void> {
    const { clusters, logger } = this.options;
    this.active.set(cluster.name, 'starting');
    const again = (why: string) => {
      if (this.stopped || !this.active.has(cluster.name)) return;
      this.active.delete(cluster.name);
      this.seen.delete(cluster.name);
      logger.debug(`Watching ${cluster.name} again soon: ${why}`);
      setTimeout(() => {
        if (!this.stopped && !this.active.has(cluster.name)) {
          void this.start(cluster);
        }
      }, this.options.retryMs ?? 5_000).unref();
    };
    try {
      const kc = await clusters.kubeConfig(cluster);
      // Events that come before the watch counts as up still count.
      const seen: { liveSince: number; lastEventAt?: number } = {
        liveSince: Infinity,
      };
      const controller = await new Watch(kc).watch(
        '/api/v1/namespaces',
        { labelSelector: TENANT_LABEL },
        () => {
          seen.lastEventAt = Date.now();
          this.changed();
        },
        error => again(error ? toError(error).message : 'the watch ended'),
      );
      if (this.stopped || this.active.get(cluster.name) !== 'starting') {
        controller.abort();
        return;
      }
      this.active.set(cluster.name, controller);
      // Up from the moment the API server answered: nothing that changes
      // from now on goes unseen.
      seen.liveSince = Date.now();
      this.seen.set(cluster.name, seen);
    } catch (error) {
      again(toError(error).message);
    }
  }

  private changed(): void {
    if (this.stopped || this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.options.onChange();
    }, this.options.debounceMs ?? 1_000);
    this.pending.unref();
  }
}
