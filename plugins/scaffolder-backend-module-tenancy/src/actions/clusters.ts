import { Config } from '@backstage/config';
import { InputError, isError, NotFoundError } from '@backstage/errors';
import { KubeConfig } from '@kubernetes/client-node';
import {
  ClusterOutcome,
  clustersOfEnvironment,
  ClusterRegistry,
  ObjectResult,
  TenancyCluster,
} from '@tenancy/plugin-tenancy-node';

/** What happened on one cluster; the action's output, one per cluster. */
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

function count(objects: ObjectResult[]): string {
  const counts = new Map<string, number>();
  for (const o of objects)
    counts.set(o.change, (counts.get(o.change) ?? 0) + 1);
  return [...counts].map(([change, n]) => `${n} ${change}`).join(', ');
}

/**
 * Runs `run` on every cluster at once. Each cluster's side effect sits in its
 * own checkpoint, so a recovered task does not redo a cluster that already
 * succeeded (S7), and each cluster gets one line in the task log. A failing
 * cluster does not stop the others.
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
    run: (
      kc: KubeConfig,
    ) => Promise<{ outcome: ClusterOutcome; objects?: ObjectResult[] }>;
  },
): Promise<ClusterReport[]> {
  return Promise.all(
    clusters.map(async (cluster): Promise<ClusterReport> => {
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
        ctx.logger.error(
          `${cluster.name}: failed after ${
            Date.now() - started
          } ms: ${message}`,
        );
        return {
          cluster: cluster.name,
          outcome: 'failed',
          objects: [],
          error: message,
        };
      }
    }),
  );
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
