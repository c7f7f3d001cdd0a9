/**
 * bench/onboarding — onboarding a tenant with Tenancy's server-side apply
 * (renderTenantBaseline + applyTenantBaseline, the three clusters in
 * parallel) against the same objects applied with `kubectl apply
 * --server-side`, once per cluster, one cluster after the other.
 *
 * Cases, run side by side on the running sandbox as the platform identity:
 *   (a) one new tenant on the three clusters, N times (median, p90);
 *   (c) the same tenant again, nothing changes (median, p90);
 *   (b) T new tenants in a row (total).
 *
 * Every namespace it makes carries the label `tenancy-bench/run`; they are all
 * deleted (as admin) at the end, and leftovers of an interrupted run at the
 * start. Figures go to stdout and to var/bench/onboarding.json.
 */
import type { LoggerService } from '@backstage/backend-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import {
  CoreV1Api,
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
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import YAML from 'yaml';

const execFileAsync = promisify(execFile);

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const WORK_DIR = path.join(REPO_ROOT, 'var', 'bench', 'onboarding');
const DEFAULT_OUT = path.join(REPO_ROOT, 'var', 'bench', 'onboarding.json');
const KUBERNETES_VERSION = 'v1.34.4';
const RUN_LABEL = 'tenancy-bench/run';
const KUBECTL_FIELD_MANAGER = 'tenancy-bench';
const TIMEOUT_MS = 30_000;
const GOAL = 0.5;

interface Settings {
  iterations: number;
  warmup: number;
  tenants: number;
  out: string;
  kubectl: string;
}

function usage(): string {
  return [
    'usage: ./bench/run onboarding [--iterations N] [--warmup W] [--tenants T] [--out FILE] [--kubectl PATH]',
    '',
    '  --iterations N  measured runs of cases (a) and (c) (default 5)',
    '  --warmup W      unmeasured runs before them (default 1)',
    '  --tenants T     tenants in a row for case (b) (default 50)',
    `  --out FILE      JSON results (default ${path.relative(
      REPO_ROOT,
      DEFAULT_OUT,
    )})`,
    `  --kubectl PATH  kubectl binary (default $KUBECTL, else the sandbox cache's kubectl-${KUBERNETES_VERSION})`,
    '',
    'Runs on the running sandbox (yarn sandbox up; TENANCY_SANDBOX_DIR selects which).',
  ].join('\n');
}

function defaultKubectl(): string {
  const cache =
    process.env.TENANCY_CACHE ??
    path.join(
      process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
      'tenancy',
    );
  return path.join(cache, 'bin', `kubectl-${KUBERNETES_VERSION}`, 'kubectl');
}

function parseArgs(argv: string[]): Settings | undefined {
  const settings: Settings = {
    iterations: 5,
    warmup: 1,
    tenants: 50,
    out: DEFAULT_OUT,
    kubectl: process.env.KUBECTL || defaultKubectl(),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const count = (min: number) => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < min) {
        throw new Error(`${flag} must be an integer >= ${min}`);
      }
      return n;
    };
    switch (flag) {
      case '--iterations':
        settings.iterations = count(1);
        break;
      case '--warmup':
        settings.warmup = count(0);
        break;
      case '--tenants':
        settings.tenants = count(1);
        break;
      case '--out':
        settings.out = path.resolve(value());
        break;
      case '--kubectl':
        settings.kubectl = path.resolve(value());
        break;
      case '-h':
      case '--help':
        return undefined;
      default:
        throw new Error(`unknown argument ${flag}\n\n${usage()}`);
    }
  }
  return settings;
}

// ---------------------------------------------------------------- statistics

interface Stats {
  samplesMs: number[];
  medianMs: number;
  /** Nearest-rank 90th percentile: with 5 samples, the slowest. */
  p90Ms: number;
  minMs: number;
  maxMs: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((x, y) => x - y);
  const n = sorted.length;
  const median =
    n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const p90 = sorted[Math.max(0, Math.ceil(0.9 * n) - 1)];
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    samplesMs: samples.map(round),
    medianMs: round(median),
    p90Ms: round(p90),
    minMs: round(sorted[0]),
    maxMs: round(sorted[n - 1]),
  };
}

const ratio = (ours: number, theirs: number) =>
  Math.round((ours / theirs) * 1000) / 1000;

function ms(x: number): string {
  return x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`;
}

// ------------------------------------------------------------------ the bench

interface Target {
  cluster: TenancyCluster;
  /** The platform identity's kubeconfig file, for kubectl. */
  kubeconfigFile: string;
  admin: KubeConfig;
}

interface Tenant {
  tenant: CompoundEntityRef;
  namespace: string;
  objects: BaselineObject[];
  /** The same objects as one multi-document YAML file, for kubectl. */
  file: string;
}

class OnboardingBench {
  private readonly runId = randomBytes(3).toString('hex');
  private readonly kubectlCache = path.join(WORK_DIR, 'kubectl-cache');
  private readonly filesDir = path.join(WORK_DIR, 'tenants');
  private readonly baseline: BaselineOptions;
  private targets: Target[] = [];

  constructor(
    private readonly settings: Settings,
    private readonly sandbox: SandboxFixtures,
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
            const current = await client.read({
              apiVersion: o.apiVersion!,
              kind: o.kind!,
              metadata: {
                name: o.metadata!.name!,
                namespace: o.metadata?.namespace,
              },
            });
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
  async cleanup(log: (m: string) => void, waitMs = 300_000): Promise<void> {
    const list = async (core: CoreV1Api) =>
      (await core.listNamespace({ labelSelector: RUN_LABEL })).items
        .filter(ns => ns.status?.phase !== 'Terminating')
        .map(ns => ns.metadata!.name!);
    const remaining = async () =>
      (
        await Promise.all(
          this.sandbox.clusters.map(async c => {
            const core = c.kubeConfig('admin').makeApiClient(CoreV1Api);
            return (await core.listNamespace({ labelSelector: RUN_LABEL }))
              .items.length;
          }),
        )
      ).reduce((x, y) => x + y, 0);

    let deleted = 0;
    for (const c of this.sandbox.clusters) {
      const core = c.kubeConfig('admin').makeApiClient(CoreV1Api);
      const names = await list(core);
      deleted += names.length;
      await mapLimit(names, 8, name =>
        core.deleteNamespace({ name }).catch(error => {
          if ((error as { code?: number }).code !== 404) throw error;
        }),
      );
    }
    if (deleted === 0 && (await remaining()) === 0) return;
    log(`deleting ${deleted} bench namespaces (as admin)…`);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const left = await remaining();
      if (left === 0) break;
      if (Date.now() > deadline) {
        throw new Error(
          `${left} bench namespaces are still terminating after ${
            waitMs / 1000
          } s; run the bench again to finish deleting them`,
        );
      }
      await new Promise(resolve => setTimeout(resolve, 1000));
    }
    log(`deleted ${deleted} bench namespaces`);
  }
}

async function mapLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

// ---------------------------------------------------------------- reporting

interface SampledCase {
  id: 'a' | 'c';
  title: string;
  ours: Stats;
  kubectl: Stats;
  /** ours / kubectl, on medians. */
  ratio: number;
}

interface TotalCase {
  id: 'b';
  title: string;
  tenants: number;
  ours: { totalMs: number; perTenantMs: number };
  kubectl: { totalMs: number; perTenantMs: number };
  /** ours / kubectl, on totals. */
  ratio: number;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)));
  const line = (r: string[]) =>
    r.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  return [
    line(rows[0]),
    widths.map(w => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}

async function kubectlVersion(kubectl: string): Promise<string> {
  const { stdout } = await execFileAsync(kubectl, [
    'version',
    '--client',
    '-o',
    'json',
  ]);
  return JSON.parse(stdout).clientVersion.gitVersion;
}

// ---------------------------------------------------------------------- main

export async function main(argv: string[]): Promise<number> {
  const settings = parseArgs(argv);
  if (!settings) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

  if (!fs.existsSync(settings.kubectl)) {
    throw new Error(
      `kubectl not found at ${settings.kubectl}; build it with\n  K8S_VERSION=${KUBERNETES_VERSION} bash packages/sandbox/scripts/build-binaries.sh k8s\nor pass --kubectl`,
    );
  }
  const kubectl = await kubectlVersion(settings.kubectl);

  const sandbox = connectSandbox();
  // The portal's configuration: app-config.yaml's tenancy settings, then the
  // sandbox overlay (clusters with the platform identity's token).
  const appConfig =
    YAML.parse(
      fs.readFileSync(path.join(REPO_ROOT, 'app-config.yaml'), 'utf8'),
    ) ?? {};
  const config = ConfigReader.fromConfigs([
    { context: 'app-config.yaml', data: { tenancy: appConfig.tenancy ?? {} } },
    {
      context: sandbox.state.overlay,
      data: YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8')),
    },
  ]);
  const logger: LoggerService = {
    error: m => log(`registry error: ${m}`),
    warn: m => log(`registry warning: ${m}`),
    info: () => {},
    debug: () => {},
    child: () => logger,
  };
  const registry = DefaultClusterRegistry.fromConfig(config, { logger });
  const bench = new OnboardingBench(settings, sandbox, registry, config);

  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(
      'interrupted: deleting the bench namespaces (Ctrl-C again to leave them)…',
    );
    bench
      .cleanup(log)
      .catch(error => log(`cleanup failed: ${error}`))
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  await bench.cleanup(log); // leftovers of an interrupted run
  await bench.prepare();
  const objectCount = bench.tenant('probe').objects.length;
  const { iterations, warmup, tenants } = settings;
  log(
    `${bench.clusterNames.length} clusters (${bench.clusterNames.join(
      ', ',
    )}), ${objectCount} objects per cluster; kubectl ${kubectl}; ${warmup} warm-up + ${iterations} runs; ${tenants} tenants in a row`,
  );

  const started = new Date();
  const loadBefore = os.loadavg()[0];
  try {
    // (a) one new tenant on the three clusters, side by side: the order
    // alternates so that neither side always runs on a quieter machine.
    const aTenants: Array<{ o: Tenant; k: Tenant }> = [];
    const aOurs: number[] = [];
    const aKubectl: number[] = [];
    for (let i = -warmup; i < iterations; i++) {
      const pair = {
        o: bench.tenant(`ao-${i < 0 ? `w${-i}` : i}`),
        k: bench.tenant(`ak-${i < 0 ? `w${-i}` : i}`),
      };
      let o: number;
      let k: number;
      if (i % 2 === 0) {
        o = await bench.ours(pair.o, 'created');
        k = await bench.kubectl(pair.k);
      } else {
        k = await bench.kubectl(pair.k);
        o = await bench.ours(pair.o, 'created');
      }
      const tag = i < 0 ? 'warm-up' : `run ${i + 1}/${iterations}`;
      log(`(a) ${tag}: ours ${ms(o)}, kubectl ${ms(k)}`);
      if (i >= 0) {
        aOurs.push(o);
        aKubectl.push(k);
      }
      aTenants.push(pair);
    }

    // (c) the same tenants again: nothing changes.
    const cOurs: number[] = [];
    const cKubectl: number[] = [];
    for (let i = -warmup; i < iterations; i++) {
      const pair = aTenants[i + warmup];
      let o: number;
      let k: number;
      if (i % 2 === 0) {
        o = await bench.ours(pair.o, 'unchanged');
        k = await bench.kubectlUnchanged(pair.k);
      } else {
        k = await bench.kubectlUnchanged(pair.k);
        o = await bench.ours(pair.o, 'unchanged');
      }
      const tag = i < 0 ? 'warm-up' : `run ${i + 1}/${iterations}`;
      log(`(c) ${tag}: ours ${ms(o)}, kubectl ${ms(k)}`);
      if (i >= 0) {
        cOurs.push(o);
        cKubectl.push(k);
      }
    }

    // (b) T new tenants in a row, one after the other.
    const bOursTenants = Array.from({ length: tenants }, (_, i) =>
      bench.tenant(`bo-${i}`),
    );
    const bKubectlTenants = Array.from({ length: tenants }, (_, i) =>
      bench.tenant(`bk-${i}`),
    );
    let bOurs = 0;
    for (const t of bOursTenants) bOurs += await bench.ours(t, 'created');
    log(`(b) ours: ${tenants} tenants in ${ms(bOurs)}`);
    let bKubectl = 0;
    for (const t of bKubectlTenants) bKubectl += await bench.kubectl(t);
    log(`(b) kubectl: ${tenants} tenants in ${ms(bKubectl)}`);

    const a: SampledCase = {
      id: 'a',
      title: `one new tenant on ${bench.clusterNames.length} clusters`,
      ours: stats(aOurs),
      kubectl: stats(aKubectl),
      ratio: 0,
    };
    a.ratio = ratio(a.ours.medianMs, a.kubectl.medianMs);
    const c: SampledCase = {
      id: 'c',
      title: 'same tenant again (nothing changes)',
      ours: stats(cOurs),
      kubectl: stats(cKubectl),
      ratio: 0,
    };
    c.ratio = ratio(c.ours.medianMs, c.kubectl.medianMs);
    const b: TotalCase = {
      id: 'b',
      title: `${tenants} new tenants in a row`,
      tenants,
      ours: {
        totalMs: Math.round(bOurs),
        perTenantMs: Math.round((bOurs / tenants) * 10) / 10,
      },
      kubectl: {
        totalMs: Math.round(bKubectl),
        perTenantMs: Math.round((bKubectl / tenants) * 10) / 10,
      },
      ratio: ratio(bOurs, bKubectl),
    };

    const failing = [a, b, c].filter(x => x.ratio > GOAL);
    const verdict = failing.length
      ? `MISSES the goal (ours <= ${GOAL}x kubectl) in ${failing
          .map(x => `(${x.id}) ${x.ratio.toFixed(2)}x`)
          .join(', ')}`
      : `meets the goal (ours <= ${GOAL}x kubectl) in every case: worst ${Math.max(
          a.ratio,
          b.ratio,
          c.ratio,
        ).toFixed(2)}x`;

    const rows = [
      ['case', 'ours', 'kubectl', 'ours/kubectl'],
      [
        `(a) ${a.title}`,
        `${ms(a.ours.medianMs)} / ${ms(a.ours.p90Ms)}`,
        `${ms(a.kubectl.medianMs)} / ${ms(a.kubectl.p90Ms)}`,
        `${a.ratio.toFixed(2)}x`,
      ],
      [
        `(b) ${b.title}`,
        `${ms(b.ours.totalMs)} total (${ms(b.ours.perTenantMs)}/tenant)`,
        `${ms(b.kubectl.totalMs)} total (${ms(b.kubectl.perTenantMs)}/tenant)`,
        `${b.ratio.toFixed(2)}x`,
      ],
      [
        `(c) ${c.title}`,
        `${ms(c.ours.medianMs)} / ${ms(c.ours.p90Ms)}`,
        `${ms(c.kubectl.medianMs)} / ${ms(c.kubectl.p90Ms)}`,
        `${c.ratio.toFixed(2)}x`,
      ],
    ];
    const notes = [
      `(a) and (c): median / p90 of ${iterations} runs after ${warmup} warm-up; ratio on medians. (b): totals.`,
      `ours: render + applyTenantBaseline (field manager tenancy) on the ${bench.clusterNames.length} clusters in parallel, in one process.`,
      `kubectl ${kubectl}: apply --server-side --field-manager=${KUBECTL_FIELD_MANAGER} -f <same objects as YAML>, once per cluster, sequentially;`,
      '  one --cache-dir for all its runs (warm discovery cache, as in real use), filled by the warm-up.',
      `Same identity (the platform's token, from the cluster registry), same clusters, ${objectCount} objects per cluster.`,
    ];
    const loadAfter = os.loadavg()[0];
    const load = `load average ${loadBefore.toFixed(
      1,
    )} before, ${loadAfter.toFixed(1)} after`;
    process.stdout.write(
      `\nOnboarding bench — ${started.toISOString()} — ${
        os.cpus().length
      } CPUs, ${load}\n\n${table(rows)}\n\n${notes.join(
        '\n',
      )}\n\nVerdict: ${verdict}\n`,
    );

    const result = {
      bench: 'onboarding',
      date: started.toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        kubectl,
        kubernetes: sandbox.state.kubernetesVersion,
        loadAverage1m: {
          before: Math.round(loadBefore * 100) / 100,
          after: Math.round(loadAfter * 100) / 100,
        },
      },
      settings: {
        iterations,
        warmup,
        tenants,
        clusters: bench.clusterNames,
        objectsPerCluster: objectCount,
        ours: 'renderTenantBaseline + applyTenantBaseline, clusters in parallel, one process',
        kubectl: `kubectl apply --server-side --field-manager=${KUBECTL_FIELD_MANAGER} -f file, once per cluster, sequentially`,
        kubectlDiscoveryCache:
          'one --cache-dir for all runs (warm after the warm-up)',
        identity: 'platform (tenancy-portal)',
        ratio: 'ours / kubectl; medians for (a) and (c), totals for (b)',
      },
      cases: { a, b, c },
      goal: GOAL,
      meetsGoal: failing.length === 0,
      verdict,
    };
    fs.mkdirSync(path.dirname(settings.out), { recursive: true });
    fs.writeFileSync(settings.out, `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${path.relative(process.cwd(), settings.out)}`);
  } finally {
    if (!interrupted) {
      await bench.cleanup(log);
      fs.rmSync(WORK_DIR, { recursive: true, force: true });
    }
  }
  return 0;
}
