import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { KubeConfig } from '@kubernetes/client-node';
import { connectSandbox, SandboxFixtures } from '@tenancy/sandbox';
import {
  ClusterRegistry,
  DefaultClusterRegistry,
  TenancyCluster,
} from '@tenancy/plugin-tenancy-node';
import fs from 'node:fs';
import YAML from 'yaml';

/**
 * The portal's config on the running sandbox (its overlay), plus a cluster
 * whose endpoint accepts TCP and never answers, and a short per-cluster
 * per-cluster timeout: generous by default (a loaded CI machine can make a
 * healthy API server slow), short where a test waits out a black hole.
 */
export function sandboxConfig(sandbox: SandboxFixtures, timeoutMs = 30_000) {
  const overlay = YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8'));
  const a = sandbox.cluster('sandbox-a');
  overlay.kubernetes.clusterLocatorMethods[0].clusters.push({
    name: 'sandbox-blackhole',
    url: sandbox.state.endpoints.blackhole,
    authProvider: 'serviceAccount',
    serviceAccountToken: a.identities.platform.token,
    caData: a.caData,
  });
  overlay.tenancy.clusterTimeoutMs = timeoutMs;
  return new ConfigReader(overlay);
}

/** A registry that counts how often it handed out credentials: zero means no cluster was called. */
export class CountingRegistry implements ClusterRegistry {
  calls = 0;
  constructor(private readonly inner: ClusterRegistry) {}
  listClusters() {
    return this.inner.listClusters();
  }
  getCluster(name: string) {
    return this.inner.getCluster(name);
  }
  kubeConfig(cluster: TenancyCluster): Promise<KubeConfig> {
    this.calls++;
    return this.inner.kubeConfig(cluster);
  }
}

export interface Harness {
  sandbox: SandboxFixtures;
  registry: CountingRegistry;
  config: ConfigReader;
  auditor: ReturnType<typeof mockServices.auditor.mock>;
}

export function createHarness(timeoutMs?: number): Harness {
  const sandbox = connectSandbox();
  const config = sandboxConfig(sandbox, timeoutMs);
  const registry = new CountingRegistry(
    DefaultClusterRegistry.fromConfig(config, {
      logger: mockServices.logger.mock(),
    }),
  );
  return { sandbox, registry, config, auditor: mockServices.auditor.mock() };
}
