/**
 * The sandbox, programmatically: `up`/`down` for a test run's setup and
 * teardown, and `connectSandbox()` for tests, which hands each test isolated
 * fixtures (its own namespaces, its own AWS access key so fault rules do not
 * leak between tests) and cleans them up.
 */
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { FaultClient } from './aws/faults';
import { kubeConfigFor } from './kube';
import { readState, SandboxClusterState, SandboxState } from './sandbox';

export { down, readState, reset, status, up } from './sandbox';
export type {
  SandboxClusterState,
  SandboxIdentity,
  SandboxState,
  UpOptions,
} from './sandbox';
export { CLUSTERS, SERVICES, TENANT_USERS, TENANT_LABEL } from './seedData';
export type { Behaviour, SeedService } from './seedData';
export { PLATFORM_GROUP, PLATFORM_USER, platformRbac } from './rbac';
export { kubeConfigFor } from './kube';
export * from './aws';

export interface SandboxCluster extends SandboxClusterState {
  /** A KubeConfig for `admin`, `platform`, or a tenant user (`alice`, `bob`, `carol`). */
  kubeConfig(identity: string): KubeConfig;
}

export class SandboxFixtures {
  readonly state: SandboxState;
  readonly clusters: SandboxCluster[];
  private readonly namespaces: Array<{
    cluster: SandboxCluster;
    name: string;
  }> = [];
  private readonly accessKeys: string[] = [];

  constructor(state: SandboxState) {
    this.state = state;
    this.clusters = state.clusters.map(cluster => ({
      ...cluster,
      kubeConfig: (identity: string) => {
        const id = cluster.identities[identity];
        if (!id) throw new Error(`No identity ${identity} on ${cluster.name}`);
        return kubeConfigFor(cluster, id.user, id.token);
      },
    }));
  }

  cluster(name: string): SandboxCluster {
    const cluster = this.clusters.find(c => c.name === name);
    if (!cluster) throw new Error(`No sandbox cluster ${name}`);
    return cluster;
  }

  /** A name no other test uses: `${prefix}-<8 hex>`. */
  uniqueName(prefix = 't'): string {
    return `${prefix}-${randomBytes(4).toString('hex')}`;
  }

  /** Creates a namespace (as admin) that `cleanup()` deletes. */
  async createNamespace(
    cluster: SandboxCluster,
    options: { name?: string; labels?: Record<string, string> } = {},
  ): Promise<string> {
    const name = options.name ?? this.uniqueName();
    await cluster
      .kubeConfig('admin')
      .makeApiClient(CoreV1Api)
      .createNamespace({
        body: { metadata: { name, labels: options.labels } },
      });
    this.namespaces.push({ cluster, name });
    return name;
  }

  /** The fault layer's admin client. */
  faults(): FaultClient {
    return new FaultClient(this.state.aws.endpoint);
  }

  /**
   * An Organizations client through the fault layer with an access key of its
   * own: fault rules matched on that key affect this test only.
   */
  organizations(options: { maxAttempts?: number } = {}): {
    client: OrganizationsClient;
    accessKeyId: string;
  } {
    const accessKeyId = `test-${randomBytes(6).toString('hex')}`;
    this.accessKeys.push(accessKeyId);
    return {
      accessKeyId,
      client: new OrganizationsClient({
        endpoint: this.state.aws.endpoint,
        region: this.state.aws.region,
        credentials: { accessKeyId, secretAccessKey: 'sandbox' },
        maxAttempts: options.maxAttempts,
      }),
    };
  }

  /** Deletes what this test created. */
  async cleanup(): Promise<void> {
    await Promise.all(
      this.namespaces.splice(0).map(({ cluster, name }) =>
        cluster
          .kubeConfig('admin')
          .makeApiClient(CoreV1Api)
          .deleteNamespace({ name })
          .catch(() => undefined),
      ),
    );
    if (this.accessKeys.length) {
      const faults = this.faults();
      const keys = new Set(this.accessKeys.splice(0));
      const listing = await faults.list();
      await Promise.all(
        listing.rules
          .filter(
            r =>
              r.rule.match?.accessKeyId && keys.has(r.rule.match.accessKeyId),
          )
          .map(r => faults.remove(r.id)),
      );
    }
  }
}

/**
 * Fixtures on the running sandbox. The test command starts the sandbox once
 * per run; run `yarn sandbox up` first when running tests alone.
 */
export function connectSandbox(): SandboxFixtures {
  return new SandboxFixtures(readState());
}
