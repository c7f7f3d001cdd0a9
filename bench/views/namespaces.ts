/** The namespaces bench/views makes on the sandbox's clusters (label tenancy-bench/views). */
import { CoreV1Api } from '@kubernetes/client-node';
import { SandboxFixtures, TENANT_LABEL } from '@tenancy/sandbox';
import { log, mapLimit } from '../lib/process';
import { ms } from '../lib/report';
import { deleteLabelledNamespaces } from '../lib/sandbox';
import { RUN_LABEL } from './settings';

/** `perCluster` new tenant namespaces on every cluster, `bv-<run>-<i>`. */
export async function createNamespaces(
  sandbox: SandboxFixtures,
  runId: string,
  perCluster: number,
): Promise<void> {
  await Promise.all(
    sandbox.clusters.map(async c => {
      const core = c.kubeConfig('admin').makeApiClient(CoreV1Api);
      const names = Array.from(
        { length: perCluster },
        (_, i) => `bv-${runId}-${String(i).padStart(4, '0')}`,
      );
      await mapLimit(names, 16, name =>
        core.createNamespace({
          body: {
            metadata: {
              name,
              // Tenant namespaces, as the fleet view counts them.
              labels: { [RUN_LABEL]: runId, [TENANT_LABEL]: 'team-bench' },
            },
          },
        }),
      );
    }),
  );
}

/**
 * Deletes every namespace labelled tenancy-bench/views on every cluster (as
 * admin) and waits until they are gone. Returns how many and how long.
 */
export async function deleteNamespaces(
  sandbox: SandboxFixtures,
): Promise<{ deleted: number; ms: number }> {
  const done = await deleteLabelledNamespaces(sandbox, RUN_LABEL, {
    concurrency: 16,
    parallelClusters: true,
    pollMs: 2000,
    waitMs: 600_000,
  });
  if (!done) return { deleted: 0, ms: 0 };
  log(`deleted ${done.deleted} bench namespaces in ${ms(done.ms)}`);
  return { deleted: done.deleted, ms: Math.round(done.ms) };
}
