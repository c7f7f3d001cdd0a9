import { LoggerService } from '@backstage/backend-plugin-api';
import { toError } from '@backstage/errors';
import { Watch } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
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

/**
 * Which server a cluster's name stands for, and how it is reached: a hash of
 * everything the registry says of it (URL, CA, auth provider, role, token
 * where the registry holds one). A catalog cluster whose URL is edited, or
 * a name moved to another cluster, gets another key: what was watched or
 * listed under the old one says nothing of the new server. Hashed so that a
 * credential is never kept or compared in the clear.
 */
export function connectionKey(cluster: TenancyCluster): string {
  const fields = Object.keys(cluster).sort() as (keyof TenancyCluster)[];
  return createHash('sha256')
    .update(JSON.stringify(fields.map(f => [f, cluster[f] ?? null])))
    .digest('hex');
}

/** One cluster's watch as started. */
interface Active {
  /** The {@link connectionKey} of the cluster it watches. */
  key: string;
  /** Undefined while the watch is being opened. */
  controller?: AbortController;
}

/** What is known of one cluster's watch. */
interface Coverage {
  /** The {@link connectionKey} of the server this is known of. */
  key: string;
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
  private readonly active = new Map<string, Active>();
  private readonly coverage = new Map<string, Coverage>();
  /** The clusters of the last sync, by name: what a watch restarts with. */
  private readonly clusters = new Map<string, TenancyCluster>();
  private stopped = false;
  private pending?: NodeJS.Timeout;

  constructor(private readonly options: NamespaceWatchesOptions) {}

  /**
   * Watches every cluster of `clusters`, and no other. A cluster whose
   * connection changed under the same name (see {@link connectionKey}) is
   * watched anew, from scratch: its old watch and what it saw are dropped.
   */
  sync(clusters: TenancyCluster[]): void {
    if (this.stopped) return;
    const keys = new Map(clusters.map(c => [c.name, connectionKey(c)]));
    this.clusters.clear();
    for (const cluster of clusters) this.clusters.set(cluster.name, cluster);
    for (const [name, active] of this.active) {
      if (keys.get(name) === active.key) continue;
      active.controller?.abort();
      this.active.delete(name);
    }
    for (const [name, coverage] of this.coverage) {
      if (keys.get(name) !== coverage.key) this.coverage.delete(name);
    }
    for (const cluster of clusters) {
      if (!this.active.has(cluster.name)) void this.start(cluster);
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.pending);
    for (const active of this.active.values()) active.controller?.abort();
    this.active.clear();
    this.coverage.clear();
    this.clusters.clear();
  }

  /**
   * True when the tenant namespaces of `cluster` cannot have changed since
   * `since` (a performance.now() time): a watch is open on the server the
   * cluster's name stands for now, changes have been
   * seen without a gap from before then, and none came in at or after it.
   * A listing begun at `since` is then still what the cluster holds.
   */
  unchangedSince(cluster: TenancyCluster, since: number): boolean {
    const seen = this.coverage.get(cluster.name);
    if (!seen?.up || seen.key !== connectionKey(cluster)) return false;
    if (seen.liveSince > since) return false;
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
    const name = cluster.name;
    const active: Active = { key: connectionKey(cluster) };
    this.active.set(name, active);
    const known = this.coverage.get(name);
    const coverage: Coverage =
      known?.key === active.key
        ? known
        : { key: active.key, liveSince: Infinity, up: false };
    this.coverage.set(name, coverage);
    /** Whether this is still the watch of `name` (not stopped, dropped or replaced). */
    const current = () => !this.stopped && this.active.get(name) === active;
    /** A gap: what this watch would have seen is unknown; start from scratch. */
    const lost = () => {
      if (this.coverage.get(name) === coverage) this.coverage.delete(name);
    };
    let openedAt = Infinity;
    /**
     * The watch ended: at once when the API server closed it in time, else
     * (an error, or a close long before the watch's time was up, as from a
     * proxy that drops streams) after a pause. It starts again with the
     * cluster as the last sync saw it; not at all once the cluster is gone
     * or watched anew.
     */
    const again = (why?: string) => {
      coverage.up = false;
      const watchMs = (this.options.watchSeconds ?? WATCH_SECONDS) * 1000;
      const early = performance.now() - openedAt < watchMs / 2;
      if (!current()) return;
      this.active.delete(name);
      logger.debug(`Watching ${name} again: ${why ?? 'the watch ended'}`);
      setTimeout(
        () => {
          const latest = this.clusters.get(name);
          if (!this.stopped && latest && !this.active.has(name)) {
            void this.start(latest);
          }
        },
        why || early ? this.options.retryMs ?? 5_000 : 0,
      ).unref();
    };
    try {
      const kc = await clusters.kubeConfig(cluster);
      if (!current()) return;
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
          if (!current()) return;
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
      if (!current()) {
        controller.abort();
        return;
      }
      active.controller = controller;
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
