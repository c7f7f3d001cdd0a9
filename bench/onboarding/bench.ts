/**
 * The two sides of bench/onboarding on the running sandbox: ours (render +
 * applyTenantBaseline, the clusters in parallel) and kubectl (apply
 * --server-side of the same objects, one cluster after the other), and the
 * tenants they onboard.
 */
import { CompoundEntityRef } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import {
  dumpYaml,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
} from '@kubernetes/client-node';
import {
  applyTenantBaseline,
  BaselineObject,
  BaselineOptions,
  ClusterOutcome,
  DefaultClusterRegistry,
  readBaselineOptions,
  renderTenantBaseline,
  TenancyCluster,
} from '@tenancy/plugin-tenancy-node';
import { connectSandbox, SandboxFixtures } from '@tenancy/sandbox';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { log } from '../lib/process';
import {
  benchLogger,
  deleteLabelledNamespaces,
  portalConfig,
} from '../lib/sandbox';
import {
  KUBECTL_FIELD_MANAGER,
  KUBERNETES_VERSION,
  RUN_LABEL,
  Settings,
  TIMEOUT_MS,
  WORK_DIR,
} from './settings';

const execFileAsync = promisify(execFile);

interface Target {
  cluster: TenancyCluster;
  /** The platform identity's kubeconfig file, for kubectl. */
  kubeconfigFile: string;
  admin: KubeConfig;
}

export interface Tenant {
  tenant: CompoundEntityRef;
  namespace: string;
  objects: BaselineObject[];
  /** The same objects as one multi-document YAML file, for kubectl. */
  file: string;
}

/** What KubernetesObjectApi.read needs of an object (a copy: read fills in defaults). */
const header = ({ apiVersion, kind, metadata }: KubernetesObject) => ({
  apiVersion: apiVersion!,
  kind: kind!,
  metadata: { name: metadata!.name!, namespace: metadata?.namespace },
});

async function kubectlVersion(kubectl: string): Promise<string> {
  const { stdout } = await execFileAsync(kubectl, [
    'version',
    '--client',
    '-o',
    'json',
  ]);
  return JSON.parse(stdout).clientVersion.gitVersion;
}

export class OnboardingBench {
  private readonly runId = randomBytes(3).toString('hex');
  private readonly kubectlCache = path.join(WORK_DIR, 'kubectl-cache');
  private readonly filesDir = path.join(WORK_DIR, 'tenants');
  private readonly baseline: BaselineOptions;
  private targets: Target[] = [];

  /**
   * The bench on the running sandbox, with the portal's configuration and
   * cluster registry, and the kubectl of the settings (its version).
   */
  static async create(
    settings: Settings,
  ): Promise<{ bench: OnboardingBench; kubectl: string }> {
    if (!fs.existsSync(settings.kubectl)) {
      throw new Error(
        `kubectl not found at ${settings.kubectl}; build it with\n  K8S_VERSION=${KUBERNETES_VERSION} bash packages/sandbox/scripts/build-binaries.sh k8s\nor pass --kubectl`,
      );
    }
    const kubectl = await kubectlVersion(settings.kubectl);
    const sandbox = connectSandbox();
    const config = portalConfig(sandbox);
    const logger = benchLogger({
      error: m => log(`registry error: ${m}`),
      warn: m => log(`registry warning: ${m}`),
    });
    const registry = DefaultClusterRegistry.fromConfig(config, { logger });
    const bench = new OnboardingBench(settings, sandbox, registry, config);
    return { bench, kubectl };
  }

  constructor(
    private readonly settings: Settings,
    readonly sandbox: SandboxFixtures,
    private readonly registry: DefaultClusterRegistry,
    config: ConfigReader,
  ) {
    this.baseline = readBaselineOptions(config);
  }

  async prepare(): Promise<void> {
    fs.rmSync(WORK_DIR, { recursive: true, force: true });
    fs.mkdirSync(this.filesDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.join(WORK_DIR, 'kubeconfigs'), { mode: 0o700 });
    const clusters = await this.registry.listClusters();
    if (clusters.length === 0) {
      throw new Error('The sandbox overlay lists no clusters');
    }
    this.targets = await Promise.all(
      clusters.map(async cluster => {
        // kubectl gets exactly the kubeconfig the portal's code uses: the
        // platform identity's token and the cluster's own CA.
        const kc = await this.registry.kubeConfig(cluster);
        const kubeconfigFile = path.join(
          WORK_DIR,
          'kubeconfigs',
          `${cluster.name}-platform.json`,
        );
        fs.writeFileSync(kubeconfigFile, kc.exportConfig(), { mode: 0o600 });
        return {
          cluster,
          kubeconfigFile,
          admin: this.sandbox.cluster(cluster.name).kubeConfig('admin'),
        };
      }),
    );
  }

  get clusterNames(): string[] {
    return this.targets.map(t => t.cluster.name);
  }

  /** A fresh tenant and its namespace: `bn-<run>-<case><side>-<i>`. */
  tenant(label: string): Tenant {
    const name = `bn-${this.runId}-${label}`;
    const tenant: CompoundEntityRef = {
      kind: 'group',
      namespace: 'default',
      name,
    };
    const objects = this.render(tenant, name);
    const file = path.join(this.filesDir, `${name}.yaml`);
    fs.writeFileSync(
      file,
      objects.map(o => `---\n${dumpYaml(o)}`).join(''),
      'utf8',
    );
    return { tenant, namespace: name, objects, file };
  }

  private render(tenant: CompoundEntityRef, namespace: string) {
    const options = this.baseline;
    return renderTenantBaseline(
      {
        tenant,
        namespace,
        quota: { ...options.quotaPresets[options.defaultQuotaPreset] },
        podSecurity: options.defaultPodSecurity,
        labels: { [RUN_LABEL]: this.runId },
      },
      options,
    );
  }

  /**
   * Ours, as the onboarding action does it: render, a KubeConfig per cluster
   * from the registry, applyTenantBaseline on every cluster at once.
   */
  async ours(t: Tenant, expect: ClusterOutcome): Promise<number> {
    const start = performance.now();
    const objects = this.render(t.tenant, t.namespace);
    const results = await Promise.all(
      this.targets.map(async ({ cluster }) =>
        applyTenantBaseline(await this.registry.kubeConfig(cluster), objects, {
          tenant: t.tenant,
          timeoutMs: TIMEOUT_MS,
        }),
      ),
    );
    const elapsed = performance.now() - start;
    results.forEach((r, i) => {
      if (r.outcome !== expect) {
        throw new Error(
          `ours on ${this.clusterNames[i]}: ${t.namespace} was ${
            r.outcome
          }, expected ${expect} (${JSON.stringify(r.objects)})`,
        );
      }
    });
    return elapsed;
  }

  /** kubectl apply --server-side of the same file, one cluster after the other. */
  async kubectl(t: Tenant): Promise<number> {
    const outputs: string[] = [];
    const start = performance.now();
    for (const target of this.targets) {
      const { stdout } = await execFileAsync(
        this.settings.kubectl,
        [
          'apply',
          '--server-side',
          `--field-manager=${KUBECTL_FIELD_MANAGER}`,
          `--kubeconfig=${target.kubeconfigFile}`,
          `--cache-dir=${this.kubectlCache}`,
          '-f',
          t.file,
        ],
        { env: { PATH: process.env.PATH ?? '', HOME: WORK_DIR } },
      );
      outputs.push(stdout);
    }
    const elapsed = performance.now() - start;
    outputs.forEach((stdout, i) => {
      const applied = stdout
        .split('\n')
        .filter(line => line.endsWith(' serverside-applied')).length;
      if (applied !== t.objects.length) {
        throw new Error(
          `kubectl on ${this.clusterNames[i]}: ${applied} of ${t.objects.length} objects applied:\n${stdout}`,
        );
      }
    });
    return elapsed;
  }

  /** resourceVersions of a tenant's objects on every cluster (as admin). */
  async resourceVersions(t: Tenant): Promise<string[]> {
    const all = await Promise.all(
      this.targets.map(({ admin }) => {
        const client = KubernetesObjectApi.makeApiClient(admin);
        return Promise.all(
          t.objects.map(async (o: KubernetesObject) => {
            const current = await client.read(header(o));
            return `${o.kind}/${o.metadata!.name}@${
              current.metadata?.resourceVersion
            }`;
          }),
        );
      }),
    );
    return all.flat();
  }

  /** kubectl's rerun must change nothing either: same resourceVersions. */
  async kubectlUnchanged(t: Tenant): Promise<number> {
    const before = await this.resourceVersions(t);
    const elapsed = await this.kubectl(t);
    const after = await this.resourceVersions(t);
    const changed = after.filter((rv, i) => rv !== before[i]);
    if (changed.length) {
      throw new Error(
        `kubectl's rerun of ${t.namespace} changed ${changed.join(', ')}`,
      );
    }
    return elapsed;
  }

  /**
   * Deletes every namespace labelled tenancy-bench/run (this run's and any
   * interrupted run's) on every cluster, as admin, and waits until they are
   * gone.
   */
  async cleanup(): Promise<void> {
    const done = await deleteLabelledNamespaces(this.sandbox, RUN_LABEL, {
      concurrency: 8,
      parallelClusters: false,
      pollMs: 1000,
      waitMs: 300_000,
    });
    if (done) log(`deleted ${done.deleted} bench namespaces`);
  }
}
