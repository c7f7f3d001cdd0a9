import { LoggerService } from '@backstage/backend-plugin-api';
import { toError } from '@backstage/errors';
import { Watch } from '@kubernetes/client-node';
import { performance } from 'node:perf_hooks';
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
  /** How long to wait before watching a cluster again after its watch failed. Default 5 s. */
  retryMs?: number;
  /** How long the API server keeps one watch open. Default {@link WATCH_SECONDS}. */
  watchSeconds?: number;
}

/**
 * How long the API server keeps one watch open (`timeoutSeconds`); it then
 * ends it and the watch resumes at once from the last resourceVersion it
 * saw. Under client-node's own limit: it gives up on a watch that has been
 * silent for 30 s, as a quiet cluster's is.
 */
const WATCH_SECONDS = 25;

/** What is known of one cluster's watch. */
interface Coverage {
  /**
   * Since when (performance.now()) every change is seen without a gap:
   * since the first watch answered; kept when a watch resumes from its
   * resourceVersion, which leaves no gap.
   */
  liveSince: number;
  /** Whether a watch is open now; between two watches changes are not seen yet. */
  up: boolean;
  /** When (performance.now()) the last change came in. */
  lastEventAt?: number;
  /** The newest resourceVersion seen, an event's or a bookmark's. */
  resourceVersion?: string;
}

/**
 * A watch on the tenant namespaces (`tenancy.dev/tenant`) of every cluster,
 * so that a namespace made, relabelled or deleted on a cluster — by the
 * portal or by anyone — reaches the catalog within seconds instead of at
 * the provider's next scheduled run. Each event only asks for a run: the
 * run lists the cluster and applies what changed, so a missed event costs
 * latency, never correctness. A watch that ends (the API server closes it
 * after {@link WATCH_SECONDS}; a cluster goes away) is started again with a
 * fresh credential, from the last resourceVersion it saw (bookmarks keep
 * that current), so that the API server does not send every namespace
 * again; when that version is too old, from scratch.
 */
export class NamespaceWatches {
  private readonly active = new Map<string, AbortController | 'starting'>();
  private readonly coverage = new Map<string, Coverage>();
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
    }
    for (const name of this.coverage.keys()) {
      if (!names.has(name)) this.coverage.delete(name);
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
    this.coverage.clear();
  }

  /**
   * True when the tenant namespaces of `cluster` cannot have changed since
   * `since` (a performance.now() time): a watch is open, changes have been
   * seen without a gap from before then, and none came in at or after it.
   * A listing begun at `since` is then still what the cluster holds.
   */
  unchangedSince(cluster: string, since: number): boolean {
    const seen = this.coverage.get(cluster);
    if (!seen?.up || seen.liveSince > since) return false;
    return seen.lastEventAt === undefined || seen.lastEventAt < since;
  }

  /**
   * Since when (performance.now()) the changes of `cluster` have been seen
   * without a gap, or undefined when they are not being seen now.
   */
  watchingSince(cluster: string): number | undefined {
    const seen = this.coverage.get(cluster);
    return seen?.up ? seen.liveSince : undefined;
  }

  private async start(cluster: TenancyCluster): Promise<void> {
    const { clusters, logger } = this.options;
    this.active.set(cluster.name, 'starting');
    const coverage: Coverage = this.coverage.get(cluster.name) ?? {
      liveSince: Infinity,
      up: false,
    };
    this.coverage.set(cluster.name, coverage);
    /** A gap: what this watch would have seen is unknown; start from scratch. */
    const lost = () => {
      if (this.coverage.get(cluster.name) === coverage) {
        this.coverage.delete(cluster.name);
      }
    };
    let openedAt = Infinity;
    /**
     * The watch ended: at once when the API server closed it in time, else
     * (an error, or a close long before the watch's time was up, as from a
     * proxy that drops streams) after a pause.
     */
    const again = (why?: string) => {
      coverage.up = false;
      const watchMs = (this.options.watchSeconds ?? WATCH_SECONDS) * 1000;
      const early = performance.now() - openedAt < watchMs / 2;
      if (this.stopped || !this.active.has(cluster.name)) return;
      this.active.delete(cluster.name);
      logger.debug(
        `Watching ${cluster.name} again: ${why ?? 'the watch ended'}`,
      );
      setTimeout(
        () => {
          if (!this.stopped && !this.active.has(cluster.name)) {
            void this.start(cluster);
          }
        },
        why || early ? this.options.retryMs ?? 5_000 : 0,
      ).unref();
    };
    try {
      const kc = await clusters.kubeConfig(cluster);
      openedAt = performance.now();
      const controller = await new Watch(kc).watch(
        '/api/v1/namespaces',
        {
          labelSelector: TENANT_LABEL,
          allowWatchBookmarks: true,
          timeoutSeconds: this.options.watchSeconds ?? WATCH_SECONDS,
          resourceVersion: coverage.resourceVersion,
        },
        (type: string, object: any) => {
          if (type === 'ERROR') {
            // Typically 410 Gone: the resourceVersion is too old to resume.
            lost();
            return;
          }
          const version = object?.metadata?.resourceVersion;
          if (typeof version === 'string') coverage.resourceVersion = version;
          if (type === 'BOOKMARK') return;
          coverage.lastEventAt = performance.now();
          this.changed();
        },
        error => again(error ? toError(error).message : undefined),
      );
      if (this.stopped || this.active.get(cluster.name) !== 'starting') {
        controller.abort();
        return;
      }
      this.active.set(cluster.name, controller);
      // Up from the moment the API server answered: nothing that changes
      // from now on goes unseen. A watch that resumed left no gap.
      coverage.up = true;
      if (coverage.liveSince === Infinity) {
        coverage.liveSince = performance.now();
      }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 410) lost();
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
