import fs from 'node:fs';
import path from 'node:path';
import { KubernetesObject } from '@kubernetes/client-node';
import { platformRbac } from '@tenancy/plugin-tenancy-node';
import { ensureAwsEmulator } from './awsEmulator';
import { ensureMoto } from './aws/moto';
import {
  OrganizationSeed,
  seedOrganization,
  seedTenantAccounts,
} from './aws/organization';
import { binaries, ensureBinaries } from './binaries';
import {
  ensureApiServers,
  ensureClusterControllers,
  ensureEtcd,
  ensureKubeletEndpoints,
  prepareClusters,
  UpContext,
} from './controlPlane';
import { ensureGitea, SandboxGitState } from './gitea';
import { ensureIdentities } from './identities';
import { ensureIssuer } from './issuer';
import { applyAll, kubeConfigFor } from './kube';
import { writeOverlay } from './overlay';
import { cacheDir, overlayPath, repoRoot, stateDir } from './paths';
import { allocatePorts } from './portAllocation';
import { waitFor } from './probe';
import { ProcessSupervisor } from './processes';
import { nodeObjects, workloadObjects } from './seed';
import { CLUSTERS, GIT_ORGS, SandboxClusterSpec } from './seedData';
import { ensureTechDocs } from './techdocs';
import type { Log, SandboxClusterState, SandboxState } from './types';
import { versions } from './versions';

/** Runs a step and logs how long it took. */
export async function timed<T>(
  log: Log,
  name: string,
  fn: () => Promise<T> | T,
): Promise<T> {
  const start = Date.now();
  const result = await fn();
  log(`✔ ${name} (${((Date.now() - start) / 1000).toFixed(1)}s)`);
  return result;
}

export interface UpOptions {
  log?: Log;
  /** Apply the seed workloads (default true). */
  seed?: boolean;
}

/**
 * A cluster left black-holed (a test that was killed, a forgotten `fault
 * blackhole`) would never become ready: let it answer again.
 */
function restoreBlackholed(supervisor: ProcessSupervisor, log: Log): void {
  for (const component of supervisor.list()) {
    if (component.running && supervisor.isPaused(component.name)) {
      supervisor.resume(component.name);
      log(`${component.name} was black-holed; restored it`);
    }
  }
}

/**
 * Gitea needs nothing else of the sandbox: it is started first and comes up
 * (and seeds its users and organizations) while the clusters do. The
 * promise is awaited at the end of `up`.
 */
function startGitea(ctx: UpContext): Promise<SandboxGitState> {
  const git = timed(
    ctx.log,
    `Gitea ${versions.gitea} (admin, token, organizations)`,
    () =>
      ensureGitea({
        stateDir: ctx.dir,
        binary: ctx.bin.gitea,
        version: versions.gitea,
        port: ctx.ports.gitea,
        orgs: GIT_ORGS,
        supervisor: ctx.supervisor,
        waitFor,
      }),
  );
  // Don't let a failure elsewhere leave it unhandled meanwhile.
  git.catch(() => undefined);
  return git;
}

/** Applies, as the sandbox's admin, each cluster's own set of objects. */
async function applyToClusters(
  ctx: UpContext,
  clusters: SandboxClusterState[],
  objectsFor: (spec: SandboxClusterSpec) => KubernetesObject[],
): Promise<void> {
  const admin = ctx.identities.admin;
  await Promise.all(
    clusters.map((cluster, i) =>
      applyAll(
        kubeConfigFor(cluster, admin.user, admin.token),
        objectsFor(CLUSTERS[i]),
      ),
    ),
  );
}

/** The tools `up` needs before it starts anything: binaries, moto, mkdocs. */
async function ensureTools(log: Log): Promise<string> {
  await timed(
    log,
    `binaries (Kubernetes ${versions.kubernetes}, etcd ${versions.etcd}, kwok ${versions.kwok}, Gitea ${versions.gitea})`,
    () => ensureBinaries(log),
  );
  const motoServer = await timed(log, `moto ${versions.moto} (venv)`, () =>
    ensureMoto({ cacheDir: cacheDir(), log }),
  );
  await timed(
    log,
    `TechDocs generator (mkdocs-techdocs-core ${versions.techdocsCore}, venv)`,
    () => ensureTechDocs(log),
  );
  return motoServer;
}

/** What state.json records, from the parts `up` brought up. */
function sandboxState(
  ctx: UpContext,
  clusters: SandboxClusterState[],
  organization: OrganizationSeed,
  git: SandboxGitState,
): SandboxState {
  const { ports } = ctx;
  return {
    kubernetesVersion: versions.kubernetes,
    clusters,
    endpoints: {
      blackhole: `https://127.0.0.1:${ports.blackhole}`,
      refused: `https://127.0.0.1:${ports.refused}`,
    },
    aws: {
      region: 'us-east-1',
      motoUrl: `http://127.0.0.1:${ports.moto}`,
      endpoint: `http://127.0.0.1:${ports.faultLayer}`,
      faultsUrl: `http://127.0.0.1:${ports.faultLayer}/__tenancy/faults`,
      organization,
    },
    git,
    clusterAccess: {
      issuer: `https://127.0.0.1:${ports.issuer}`,
      caPem: ctx.issuer?.caPem ?? '',
    },
    overlay: overlayPath(),
  };
}

/** Writes state.json (mode 0600: it holds tokens) and the portal overlay. */
function writeState(dir: string, state: SandboxState): void {
  fs.writeFileSync(
    path.join(dir, 'state.json'),
    JSON.stringify(state, null, 2),
    { mode: 0o600 },
  );
  writeOverlay(state);
}

/**
 * Brings the whole sandbox up, starting only what is not already running, and
 * writes state.json and the portal's app-config overlay. Idempotent.
 */
export async function up(options: UpOptions = {}): Promise<SandboxState> {
  const log = options.log ?? (() => {});
  const dir = stateDir();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const supervisor = new ProcessSupervisor(dir);
  restoreBlackholed(supervisor, log);

  const motoServer = await ensureTools(log);
  const ports = await allocatePorts(dir, supervisor);
  const identities = ensureIdentities(dir);
  const ctx: UpContext = {
    dir,
    log,
    supervisor,
    bin: binaries(),
    ports,
    identities,
  };
  // First: the API servers read the issuer's keys when they start, and
  // prepareClusters writes their authentication configuration for it.
  ctx.issuer = await timed(log, 'cluster token issuer', () =>
    ensureIssuer(ctx),
  );
  const clusters = prepareClusters(ctx);
  const git = startGitea(ctx);
  await timed(log, 'etcd', () => ensureEtcd(ctx));
  await timed(log, `${clusters.length} kube-apiservers`, () =>
    ensureApiServers(ctx, clusters),
  );
  await timed(
    log,
    'platform RBAC (ClusterRoles tenancy-portal, tenancy-tenant-developer, tenancy-deployer)',
    () => applyToClusters(ctx, clusters, () => platformRbac()),
  );
  await timed(log, 'controllers, schedulers and kwok', () =>
    ensureClusterControllers(ctx, clusters),
  );
  await timed(log, 'moto and the AWS fault layer', () =>
    ensureAwsEmulator(ctx, motoServer),
  );
  const organization = await timed(log, 'AWS organization and OU tree', () =>
    seedOrganization({ endpoint: `http://127.0.0.1:${ports.moto}` }),
  );
  if (options.seed ?? true) {
    await timed(log, 'tenant AWS accounts', () =>
      seedTenantAccounts(
        { endpoint: `http://127.0.0.1:${ports.moto}` },
        organization,
      ),
    );
  }
  await timed(log, 'simulated nodes', () =>
    applyToClusters(ctx, clusters, nodeObjects),
  );
  await timed(log, "simulated nodes' kubelet endpoints (kwok: pods/log)", () =>
    ensureKubeletEndpoints(ctx, clusters),
  );
  if (options.seed ?? true) {
    await timed(log, 'seed workloads (teams, namespaces, services)', () =>
      applyToClusters(ctx, clusters, workloadObjects),
    );
  }

  const state = sandboxState(ctx, clusters, organization, await git);
  writeState(dir, state);
  return state;
}

/** Reads the running sandbox's state; throws with what to do when there is none. */
export function readState(): SandboxState {
  const file = path.join(stateDir(), 'state.json');
  if (!fs.existsSync(file)) {
    throw new Error(
      `No sandbox is running (no ${path.relative(
        repoRoot,
        file,
      )}). Start one with \`yarn sandbox up\`.`,
    );
  }
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Stops every sandbox process; data (etcd, certificates, identities) stays for a fast next `up`. */
export async function down(options: { log?: Log } = {}): Promise<string[]> {
  const log = options.log ?? (() => {});
  const supervisor = new ProcessSupervisor(stateDir());
  const stopped = await supervisor.stopAll();
  fs.rmSync(path.join(stateDir(), 'state.json'), { force: true });
  log(
    stopped.length
      ? `stopped ${stopped.length} processes`
      : 'nothing was running',
  );
  return stopped;
}

/** Stops the sandbox and deletes all its data; the next `up` starts from scratch. */
export async function reset(options: { log?: Log } = {}): Promise<void> {
  await down(options);
  fs.rmSync(stateDir(), { recursive: true, force: true });
}

export interface ComponentStatus {
  name: string;
  pid: number;
  running: boolean;
  /** Frozen by `fault blackhole`: accepts connections, never answers. */
  paused: boolean;
}

export function status(): ComponentStatus[] {
  const supervisor = new ProcessSupervisor(stateDir());
  return supervisor
    .list()
    .map(c => ({ ...c, paused: c.running && supervisor.isPaused(c.name) }));
}

function apiserverOf(cluster: string): string {
  const state = readState();
  if (!state.clusters.some(c => c.name === cluster)) {
    throw new Error(
      `No sandbox cluster ${cluster}; the clusters are ${state.clusters
        .map(c => c.name)
        .join(', ')}`,
    );
  }
  return `${cluster}/kube-apiserver`;
}

/**
 * Black-holes a cluster on its real endpoint: its kube-apiserver is frozen,
 * so connections are accepted and nothing answers, as with a cluster behind
 * a dropped route. Undo with {@link restoreCluster}; `down` stops it anyway.
 */
export function blackholeCluster(cluster: string): void {
  new ProcessSupervisor(stateDir()).pause(apiserverOf(cluster));
}

/** Lets a black-holed cluster answer again. */
export function restoreCluster(cluster: string): void {
  new ProcessSupervisor(stateDir()).resume(apiserverOf(cluster));
}

/** Whether the cluster's kube-apiserver is black-holed. */
export function isClusterBlackholed(cluster: string): boolean {
  return new ProcessSupervisor(stateDir()).isPaused(apiserverOf(cluster));
}
