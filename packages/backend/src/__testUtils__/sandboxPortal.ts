import { JsonObject } from '@backstage/types';
import { CoreV1Api } from '@kubernetes/client-node';
import { connectSandbox, SandboxFixtures } from '@tenancy/sandbox';
import path from 'node:path';
import { ClusterProxy } from './clusterProxy';
import { repoRoot } from './portalProcess';

/**
 * What the crash and replica tests give a portal process on top of the
 * repository's app-config.yaml and the sandbox's overlay: the sandbox's
 * clusters, each behind a {@link ClusterProxy} when one is given (counted,
 * and slowed on demand), and task recovery with a stale timeout of 10 s
 * instead of the portal's 30 s (still ten heartbeats: a busy test machine
 * must not make a live task look dead).
 */
export function portalOverlay(
  sandbox: SandboxFixtures,
  options: {
    proxies?: Record<string, ClusterProxy>;
    staleTimeoutSeconds?: number;
    extra?: JsonObject;
  } = {},
): JsonObject {
  const extra = options.extra ?? {};
  return {
    ...extra,
    scaffolder: {
      taskRecovery: {
        enabled: true,
        staleTimeout: { seconds: options.staleTimeoutSeconds ?? 10 },
      },
    },
    kubernetes: {
      serviceLocatorMethod: { type: 'multiTenant' },
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: sandbox.state.clusters.map(cluster => {
            const proxy = options.proxies?.[cluster.name];
            return {
              name: cluster.name,
              url: proxy?.url ?? cluster.url,
              authProvider: 'serviceAccount',
              serviceAccountToken: cluster.identities.platform.token,
              caData: cluster.caData,
              // client-node refuses plain http unless told to skip TLS
              // verification; there is no TLS to the local proxy, and the
              // proxy verifies the cluster's TLS with its CA.
              skipTLSVerify: proxy !== undefined,
              skipMetricsLookup: true,
            };
          }),
        },
      ],
    },
    tenancy: {
      ...(extra.tenancy as JsonObject | undefined),
      // A held (slowed) request must not time out while the test kills
      // the backend around it.
      clusterTimeoutMs: 120_000,
    },
  };
}

/** The config files every test portal loads before its overlay. */
export function portalConfigs(
  sandbox: SandboxFixtures,
  ...more: string[]
): string[] {
  return [
    path.join(repoRoot, 'app-config.yaml'),
    ...more.map(f => path.join(repoRoot, f)),
    sandbox.state.overlay,
  ];
}

/** Proxies in front of every sandbox cluster. */
export async function proxyEveryCluster(
  sandbox: SandboxFixtures,
): Promise<Record<string, ClusterProxy>> {
  const proxies = await Promise.all(
    sandbox.state.clusters.map(c => ClusterProxy.start(c)),
  );
  return Object.fromEntries(proxies.map(p => [p.name, p]));
}

/** The namespace as the sandbox's admin sees it on one cluster, or undefined. */
export async function readNamespace(
  sandbox: SandboxFixtures,
  cluster: string,
  name: string,
) {
  const api = sandbox
    .cluster(cluster)
    .kubeConfig('admin')
    .makeApiClient(CoreV1Api);
  try {
    return await api.readNamespace({ name });
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

export { connectSandbox };
