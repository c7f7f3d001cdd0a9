import { EventsService } from '@backstage/plugin-events-node';
import { Config } from '@backstage/config';
import { InputError, isError, NotFoundError } from '@backstage/errors';
import { KubeConfig } from '@kubernetes/client-node';
import {
  ClusterOutcome,
  clustersOfEnvironment,
  ClusterRegistry,
  ObjectResult,
  TenancyCluster,
  TENANCY_NAMESPACE_EVENT_TOPIC,
} from '@tenancy/plugin-tenancy-node';

/** What happened on one cluster; the action's output, one per cluster. @public */
export interface ClusterReport {
  cluster: string;
  outcome: ClusterOutcome | 'failed';
  objects: ObjectResult[];
  error?: string;
}

/**
 * The target clusters' names — an environment's (from config), or an
 * explicit list — without any remote call, so that access is decided first.
 */
export function clusterNames(
  config: Config,
  input: { environment?: string; clusters?: string[] },
): string[] {
  const names = input.environment
    ? clustersOfEnvironment(config, input.environment)
    : [...new Set(input.clusters ?? [])];
  if (names.length === 0) {
    throw new InputError(
      'No target clusters: give an environment or a list of clusters',
    );
  }
  return names;
}

/** The target clusters by name: each must be known (a catalog read for catalog clusters). */
export async function resolveClusters(
  options: { registry: ClusterRegistry },
  names: string[],
): Promise<TenancyCluster[]> {
  return Promise.all(
    names.map(async name => {
      try {
        return await options.registry.getCluster(name);
      } catch (error) {
        if (error instanceof NotFoundError) throw new InputError(error.message);
        throw error;
      }
    }),
  );
}

/**
 * The input's target clusters, each known: looked up only once the caller
 * is authorized.
 */
export async function targetClusters(
  options: { config: Config; registry: ClusterRegistry },
  input: { environment?: string; clusters?: string[] },
): Promise<TenancyCluster[]> {
  return resolveClusters(options, clusterNames(options.config, input));
}

function count(objects: ObjectResult[]): string {
  const counts = new Map<string, number>();
  for (const o of objects)
    counts.set(o.change, (counts.get(o.change) ?? 0) + 1);
  return [...counts].map(([change, n]) => `${n} ${change}`).join(', ');
}

/**
 * Runs `run` on every cluster at once. Each cluster's side effect sits in its
 * own checkpoint, so a recovered task does not redo a cluster that already
 * succeeded, and each cluster gets one line in the task log. A failing
 * cluster does not stop the others.
 *
 * With `claimFirst`, the clusters are taken in name order, one at a time,
 * until one succeeds — and the others then at once. A namespace is claimed
 * atomically on each cluster, but two teams onboarding the same new name
 * onto several clusters could each win some of them; claimed first on one
 * cluster in a fixed order, the name goes to one team on all of them. A
 * conflict there stops the run: the other clusters are not touched.
 *
 * With `precheck` as well, every cluster is read first, at once, and a
 * conflict on any that answers stops the run before anything is written:
 * a name another team took on one cluster while the first was down is not
 * then claimed on the first (each team would hold some of the clusters,
 * and neither's run could ever finish). A cluster that does not answer the
 * check fails alone, as it would have, without being tried again.
 */
export async function runOnClusters(
  ctx: {
    isDryRun?: boolean;
    logger: { info(m: string): void; error(m: string): void };
    checkpoint<T extends object | void>(opts: {
      key: string;
      fn: () => Promise<T>;
    }): Promise<T>;
  },
  registry: ClusterRegistry,
  clusters: TenancyCluster[],
  options: {
    checkpointKey: (cluster: string) => string;
    /** Claim on one cluster first, in name order (see above). */
    claimFirst?: boolean;
    /**
     * With claimFirst: `run` throws a ConflictError when a cluster would
     * refuse the claim (see above); its results are kept in the checkpoint
     * `checkpointKey`.
     */
    precheck?: {
      checkpointKey: string;
      run: (kc: KubeConfig) => Promise<unknown>;
    };
    run: (
      kc: KubeConfig,
    ) => Promise<{ outcome: ClusterOutcome; objects?: ObjectResult[] }>;
  },
): Promise<ClusterReport[]> {
  let conflict: string | undefined;
  const runOne = async (cluster: TenancyCluster): Promise<ClusterReport> => {
    const started = Date.now();
    let ran = false;
    const once = async () => {
      ran = true;
      const result = await options.run(await registry.kubeConfig(cluster));
      return { outcome: result.outcome, objects: result.objects ?? [] };
    };
    try {
      const result = ctx.isDryRun
        ? await once()
        : await ctx.checkpoint({
            key: options.checkpointKey(cluster.name),
            fn: once,
          });
      ctx.logger.info(
        ran
          ? `${cluster.name}: ${result.outcome}${
              result.objects.length ? ` (${count(result.objects)})` : ''
            } in ${Date.now() - started} ms`
          : // The checkpoint was saved by an earlier run of this task,
            // which the backend stopped in the middle (task recovery).
            `${cluster.name}: ${result.outcome} before the task was interrupted; resumed without touching the cluster again`,
      );
      return { cluster: cluster.name, ...result };
    } catch (error) {
      const message = isError(error) ? error.message : String(error);
      if (isError(error) && error.name === 'ConflictError') {
        conflict = `${cluster.name}: ${message}`;
      }
      ctx.logger.error(
        `${cluster.name}: failed after ${Date.now() - started} ms: ${message}`,
      );
      return {
        cluster: cluster.name,
        outcome: 'failed',
        objects: [],
        error: message,
      };
    }
  };
  if (!options.claimFirst) return Promise.all(clusters.map(runOne));

  const reports = new Map<string, ClusterReport>();
  let candidates = clusters;
  const precheck = options.precheck;
  if (precheck) {
    // In a checkpoint of its own: a recovered task does not read the
    // clusters again, and goes on as the interrupted run had decided.
    const checkAll = async () => {
      const checked = await Promise.all(
        clusters.map(async cluster => {
          const started = Date.now();
          try {
            await precheck.run(await registry.kubeConfig(cluster));
            return undefined;
          } catch (error) {
            return {
              cluster: cluster.name,
              ms: Date.now() - started,
              error: isError(error) ? error.message : String(error),
              conflict: isError(error) && error.name === 'ConflictError',
            };
          }
        }),
      );
      return { failed: checked.filter(c => c !== undefined) };
    };
    const { failed } = ctx.isDryRun
      ? await checkAll()
      : await ctx.checkpoint({
          key: precheck.checkpointKey,
          fn: checkAll,
        });
    const conflicts = failed.filter(c => c.conflict);
    if (conflicts.length > 0) {
      const error = `not attempted: ${conflicts
        .map(c => `${c.cluster}: ${c.error}`)
        .join('; ')}`;
      return clusters.map(c => {
        ctx.logger.error(`${c.name}: ${error}`);
        return { cluster: c.name, outcome: 'failed', objects: [], error };
      });
    }
    // A cluster that did not answer the check is not tried again now: it
    // would most likely make the run wait as long once more.
    for (const c of failed) {
      ctx.logger.error(`${c.cluster}: failed after ${c.ms} ms: ${c.error}`);
      reports.set(c.cluster, {
        cluster: c.cluster,
        outcome: 'failed',
        objects: [],
        error: c.error,
      });
    }
    candidates = clusters.filter(c => !reports.has(c.name));
  }

  const ordered = [...candidates].sort((a, b) => a.name.localeCompare(b.name));
  let rest = ordered;
  while (rest.length > 0) {
    const [first, ...others] = rest;
    const report = await runOne(first);
    reports.set(first.name, report);
    rest = others;
    if (report.outcome !== 'failed') break;
    if (conflict) {
      for (const c of rest) {
        const error = `not attempted: ${conflict}`;
        ctx.logger.error(`${c.name}: ${error}`);
        reports.set(c.name, {
          cluster: c.name,
          outcome: 'failed',
          objects: [],
          error,
        });
      }
      rest = [];
    }
  }
  for (const report of await Promise.all(rest.map(runOne))) {
    reports.set(report.cluster, report);
  }
  return clusters.map(c => reports.get(c.name)!);
}

/** Fails the step, naming every failed cluster, when any cluster failed. */
export function summarize(reports: ClusterReport[], what: string) {
  const failed = reports.filter(r => r.outcome === 'failed');
  if (failed.length > 0) {
    throw new Error(
      `Could not ${what} on ${failed.length} of ${
        reports.length
      } clusters: ${failed.map(f => `${f.cluster} (${f.error})`).join('; ')}`,
    );
  }
}

/**
 * Tells the catalog's namespace provider that a namespace changed, so the
 * catalog shows it now rather than at the provider's next run. Best effort:
 * the scheduled run catches up if this is lost.
 */
export async function publishNamespaceChange(
  events: EventsService | undefined,
  payload: { namespace: string; clusters: string[] },
): Promise<void> {
  try {
    await events?.publish({
      topic: TENANCY_NAMESPACE_EVENT_TOPIC,
      eventPayload: payload,
    });
  } catch {
    // The provider's scheduled run picks the change up.
  }
}
