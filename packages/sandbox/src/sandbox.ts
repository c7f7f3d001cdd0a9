import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { ensureMoto } from './aws/moto';
import { ensureVenv } from './venv';
import { OrganizationSeed, seedOrganization } from './aws/organization';
import {
  applyAll,
  ClusterEndpoint,
  kubeConfigFor,
  kubeConfigYaml,
} from './kube';
import {
  cacheDir,
  overlayPath,
  packageRoot,
  repoRoot,
  stateDir,
} from './paths';
import { ensureClusterPki, newToken } from './pki';
import { ensureGitea, SandboxGitState } from './gitea';
import { ProcessSupervisor } from './processes';
import {
  platformRbac,
  PLATFORM_GROUP,
  PLATFORM_USER,
} from '@tenancy/plugin-tenancy-node';
import { nodeObjects, workloadObjects } from './seed';
import { CLUSTERS, GIT_ORGS, TENANT_USERS } from './seedData';
import { versions } from './versions';
import { writeOverlay } from './overlay';
import { freePort, isPortFree } from './ports';

export type Log = (message: string) => void;

export interface SandboxIdentity {
  user: string;
  groups: string[];
  token: string;
}

export interface SandboxClusterState extends ClusterEndpoint {
  environment: 'dev' | 'prod';
  etcdPrefix: string;
  /**
   * `admin` (system:masters, for the sandbox itself and tests' setup),
   * `platform` (the portal backend: ClusterRole tenancy-portal), and one per
   * tenant user (`alice`, `bob`, `carol`: no cluster-wide rights at all).
   */
  identities: Record<string, SandboxIdentity>;
}

export interface SandboxState {
  kubernetesVersion: string;
  clusters: SandboxClusterState[];
  /** Fault endpoints for the multi-cluster views' tests (S28). */
  endpoints: {
    /** Accepts TCP connections and never answers. */
    blackhole: string;
    /** Nothing listens: connections are refused. */
    refused: string;
  };
  aws: {
    region: string;
    /** moto itself. */
    motoUrl: string;
    /** The fault layer in front of moto: what the portal talks to. */
    endpoint: string;
    /** The fault layer's admin API (`fault aws ...`, FaultClient). */
    faultsUrl: string;
    organization: OrganizationSeed;
  };
  /**
   * Gitea. Its admin's password and the portal's token are not here but in
   * git-identity.json (mode 0600): readGitCredentials().
   */
  git: SandboxGitState;
  overlay: string;
}

interface Ports {
  etcdClient: number;
  etcdPeer: number;
  clusters: Record<
    string,
    { apiserver: number; controllerManager: number; scheduler: number }
  >;
  moto: number;
  faultLayer: number;
  blackhole: number;
  refused: number;
  gitea: number;
}

function binary(component: string, version: string) {
  return path.join(cacheDir(), 'bin', `${component}-${version}`, component);
}

function binaries() {
  return {
    etcd: binary('etcd', versions.etcd),
    apiserver: binary('kube-apiserver', versions.kubernetes),
    controllerManager: binary('kube-controller-manager', versions.kubernetes),
    scheduler: binary('kube-scheduler', versions.kubernetes),
    kwok: binary('kwok', versions.kwok),
    gitea: binary('gitea', versions.gitea),
  };
}

/** What build-binaries.sh puts next to gitea: templates/, options/, public/ (last the marker). */
function giteaStaticFiles() {
  const dir = path.dirname(binaries().gitea);
  return [
    path.join(dir, 'public', 'assets', '.vite', 'manifest.json'),
    path.join(dir, '.static-complete'),
  ];
}

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

/**
 * Builds whatever control-plane binary is missing for the pinned versions,
 * from the Go module proxy (first run: ~10 min on 2 cores; cached after).
 */
export async function ensureBinaries(log: Log): Promise<void> {
  const missing = Object.entries(binaries())
    .filter(([, b]) => !fs.existsSync(b))
    .map(([name]) => name);
  if (
    !giteaStaticFiles().every(f => fs.existsSync(f)) &&
    !missing.includes('gitea')
  ) {
    missing.push('gitea');
  }
  if (missing.length === 0) {
    return;
  }
  log(
    `building ${missing.join(
      ', ',
    )} from Go modules (first run only: Kubernetes, etcd and kwok ~10 min, Gitea ~8 min)…`,
  );
  const script = path.join(packageRoot, 'scripts', 'build-binaries.sh');
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [script], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        TENANCY_CACHE: cacheDir(),
        K8S_VERSION: versions.kubernetes,
        ETCD_VERSION: versions.etcd,
        KWOK_VERSION: versions.kwok,
        GITEA_VERSION: versions.gitea,
      },
    });
    child.on('error', reject);
    child.on('exit', code =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `building the sandbox binaries failed (exit ${code}); see the output above`,
            ),
          ),
    );
  });
}

/**
 * The portal builds a service's TechDocs with `mkdocs` (techdocs.generator
 * runIn: local; there is no Docker engine here). A venv in the cache holds
 * mkdocs-techdocs-core; `<state>/bin/mkdocs` links to it, and the scripts
 * that start the portal put `<state>/bin` first on its PATH.
 */
async function linkTechdocsGenerator(log: Log): Promise<void> {
  const venv = await ensureVenv({
    cacheDir: cacheDir(),
    name: `techdocs-core-${versions.techdocsCore}`,
    requirement: `mkdocs-techdocs-core==${versions.techdocsCore}`,
    executable: 'mkdocs',
    log,
  });
  const link = mkdocsPath();
  fs.mkdirSync(path.dirname(link), { recursive: true });
  // Replaced atomically: a running portal never finds it missing.
  const temporary = `${link}.${process.pid}`;
  fs.rmSync(temporary, { force: true });
  fs.symlinkSync(path.resolve(venv, 'bin', 'mkdocs'), temporary);
  fs.renameSync(temporary, link);
}

/** The sandbox's `mkdocs` (TechDocs generator), once `up` has linked it. */
export function mkdocsPath(): string {
  return path.join(stateDir(), 'bin', 'mkdocs');
}

/** Gitea's port when TENANCY_SANDBOX_GIT_PORT does not say otherwise. */
export const DEFAULT_GIT_PORT = 3300;

/**
 * Gitea's port is fixed, not picked: templates name the git host in their
 * repository picker's `allowedHosts` (templates/create-service), and that
 * list cannot come from config. 3300 by default; the test command's sandbox
 * uses 3301 so that it can run beside `./run start`'s.
 */
export function giteaPort(): number {
  const value = process.env.TENANCY_SANDBOX_GIT_PORT;
  if (value === undefined || value === '') return DEFAULT_GIT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new Error(
      `TENANCY_SANDBOX_GIT_PORT must be a port number from 1024 to 65535, not "${value}"`,
    );
  }
  return port;
}

/**
 * The same ports on every `up` (so the overlay and people's bookmarks stay
 * valid), re-chosen only when something else took one. Gitea's is fixed
 * ({@link giteaPort}).
 */
async function allocatePorts(
  dir: string,
  supervisor: ProcessSupervisor,
): Promise<Ports> {
  const file = path.join(dir, 'ports.json');
  const previous: Partial<Ports> = fs.existsSync(file)
    ? JSON.parse(fs.readFileSync(file, 'utf8'))
    : {};
  const taken = new Set<number>();
  const pick = async (port: number | undefined, owner: string) => {
    if (
      port &&
      !taken.has(port) &&
      (supervisor.isRunning(owner) || (await isPortFree(port)))
    ) {
      taken.add(port);
      return port;
    }
    let candidate = await freePort();
    while (taken.has(candidate)) candidate = await freePort();
    taken.add(candidate);
    return candidate;
  };
  const fixedPort = async () => {
    const port = giteaPort();
    const ours =
      supervisor.isRunning('gitea') &&
      (previous.gitea === port || previous.gitea === undefined);
    if (!(ours || (await isPortFree(port)))) {
      throw new Error(
        `Port ${port} (the sandbox's Gitea) is in use by another program. Stop it, or set TENANCY_SANDBOX_GIT_PORT to a free port and add 127.0.0.1:<port> to allowedHosts in templates/create-service/template.yaml.`,
      );
    }
    taken.add(port);
    return port;
  };
  // First, so that no other component is given Gitea's fixed port.
  const gitea = await fixedPort();
  const ports: Ports = {
    etcdClient: await pick(previous.etcdClient, 'etcd'),
    etcdPeer: await pick(previous.etcdPeer, 'etcd'),
    clusters: {},
    moto: await pick(previous.moto, 'moto'),
    faultLayer: await pick(previous.faultLayer, 'daemon'),
    blackhole: await pick(previous.blackhole, 'daemon'),
    refused: await pick(previous.refused, 'nothing'),
    gitea,
  };
  for (const cluster of CLUSTERS) {
    const old = previous.clusters?.[cluster.name];
    ports.clusters[cluster.name] = {
      apiserver: await pick(old?.apiserver, `${cluster.name}/kube-apiserver`),
      controllerManager: await pick(
        old?.controllerManager,
        `${cluster.name}/kube-controller-manager`,
      ),
      scheduler: await pick(old?.scheduler, `${cluster.name}/kube-scheduler`),
    };
  }
  fs.writeFileSync(file, JSON.stringify(ports, null, 2));
  return ports;
}

/** Identities are made once per sandbox and kept, like a cluster's users. */
function ensureIdentities(dir: string): Record<string, SandboxIdentity> {
  const file = path.join(dir, 'identities.json');
  if (fs.existsSync(file)) {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  }
  const identities: Record<string, SandboxIdentity> = {
    admin: {
      user: 'sandbox-admin',
      groups: ['system:masters'],
      token: newToken(),
    },
    platform: {
      user: PLATFORM_USER,
      groups: [PLATFORM_GROUP],
      token: newToken(),
    },
    'controller-manager': {
      user: 'system:kube-controller-manager',
      groups: [],
      token: newToken(),
    },
    scheduler: { user: 'system:kube-scheduler', groups: [], token: newToken() },
    // kwok writes node and pod status for simulated kubelets.
    kwok: {
      user: 'kwok-controller',
      groups: ['system:masters'],
      token: newToken(),
    },
  };
  for (const tenant of TENANT_USERS) {
    identities[tenant.user] = {
      user: tenant.user,
      groups: tenant.groups,
      token: newToken(),
    };
  }
  fs.writeFileSync(file, JSON.stringify(identities, null, 2), { mode: 0o600 });
  return identities;
}

function tokenFile(identities: Record<string, SandboxIdentity>): string {
  return Object.values(identities)
    .map(i => `${i.token},${i.user},${i.user},"${i.groups.join(',')}"`)
    .join('\n')
    .concat('\n');
}

function request(
  url: string,
  options: { ca?: string; token?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = (target.protocol === 'https:' ? https : http).request(
      target,
      {
        ca: options.ca,
        headers: options.token
          ? { Authorization: `Bearer ${options.token}` }
          : {},
        timeout: options.timeoutMs ?? 2000,
      },
      res => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', chunk => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  onTimeout: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} did not become ready within ${
          timeoutMs / 1000
        }s:\n${onTimeout()}`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
}

export interface UpOptions {
  log?: Log;
  /** Apply the seed workloads (default true). */
  seed?: boolean;
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
  const bin = binaries();

  // A cluster left black-holed (a test that was killed, a forgotten `fault
  // blackhole`) would never become ready: let it answer again.
  for (const component of supervisor.list()) {
    if (component.running && supervisor.isPaused(component.name)) {
      supervisor.resume(component.name);
      log(`${component.name} was black-holed; restored it`);
    }
  }

  await timed(
    log,
    `binaries (Kubernetes ${versions.kubernetes}, etcd ${versions.etcd}, kwok ${versions.kwok}, Gitea ${versions.gitea})`,
    () => ensureBinaries(log),
  );
  const motoServer = await timed(log, `moto ${versions.moto} (venv)`, () =>
    ensureMoto({ cacheDir: cacheDir(), log }),
  );
  // Only TechDocs needs it: without it the sandbox still comes up.
  await timed(
    log,
    `TechDocs generator (mkdocs-techdocs-core ${versions.techdocsCore}, venv)`,
    () =>
      linkTechdocsGenerator(log).catch(error =>
        log(
          `WARNING: no TechDocs generator, so the portal cannot build docs: ${
            error instanceof Error ? error.message : String(error)
          }`,
        ),
      ),
  );
  const ports = await allocatePorts(dir, supervisor);
  const identities = ensureIdentities(dir);

  const clusters: SandboxClusterState[] = CLUSTERS.map(spec => {
    const clusterDir = path.join(dir, 'clusters', spec.name);
    const pki = ensureClusterPki(path.join(clusterDir, 'pki'), spec.name);
    fs.writeFileSync(
      path.join(clusterDir, 'tokens.csv'),
      tokenFile(identities),
      { mode: 0o600 },
    );
    return {
      name: spec.name,
      environment: spec.environment,
      url: `https://127.0.0.1:${ports.clusters[spec.name].apiserver}`,
      caData: fs.readFileSync(pki.caCert).toString('base64'),
      etcdPrefix: `/${spec.name}`,
      identities,
    };
  });

  // Gitea needs nothing else of the sandbox: start it first and let it come up
  // (and seed its users and organizations) while the clusters do.
  const git = timed(
    log,
    `Gitea ${versions.gitea} (admin, token, organizations)`,
    () =>
      ensureGitea({
        stateDir: dir,
        binary: bin.gitea,
        version: versions.gitea,
        port: ports.gitea,
        orgs: GIT_ORGS,
        supervisor,
        waitFor,
      }),
  );
  // awaited below; don't let a failure elsewhere leave it unhandled meanwhile
  git.catch(() => undefined);

  await timed(log, 'etcd', async () => {
    if (!supervisor.isRunning('etcd')) {
      const etcdUrl = `http://127.0.0.1:${ports.etcdClient}`;
      const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
      supervisor.start({
        name: 'etcd',
        command: bin.etcd,
        args: [
          '--name=sandbox',
          `--data-dir=${path.join(dir, 'etcd')}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=sandbox=${peerUrl}`,
          '--log-level=warn',
        ],
      });
    }
    await waitFor(
      'etcd',
      async () =>
        (
          await request(`http://127.0.0.1:${ports.etcdClient}/health`)
        ).status === 200,
      30_000,
      () => supervisor.tail('etcd'),
    );
  });

  await timed(log, `${clusters.length} kube-apiservers`, () =>
    Promise.all(
      clusters.map(async cluster => {
        const clusterDir = path.join(dir, 'clusters', cluster.name);
        const pki = path.join(clusterDir, 'pki');
        const name = `${cluster.name}/kube-apiserver`;
        if (!supervisor.isRunning(name)) {
          supervisor.start({
            name,
            command: bin.apiserver,
            args: [
              `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
              `--etcd-prefix=${cluster.etcdPrefix}`,
              '--bind-address=127.0.0.1',
              '--advertise-address=127.0.0.1',
              `--secure-port=${ports.clusters[cluster.name].apiserver}`,
              `--tls-cert-file=${pki}/apiserver.crt`,
              `--tls-private-key-file=${pki}/apiserver.key`,
              `--token-auth-file=${clusterDir}/tokens.csv`,
              '--authorization-mode=RBAC',
              '--service-account-issuer=https://kubernetes.default.svc',
              `--service-account-key-file=${pki}/sa.key`,
              `--service-account-signing-key-file=${pki}/sa.key`,
              '--service-cluster-ip-range=10.96.0.0/16',
              `--client-ca-file=${pki}/ca.crt`,
              `--requestheader-client-ca-file=${pki}/ca.crt`,
              '--requestheader-allowed-names=front-proxy-client',
              '--requestheader-username-headers=X-Remote-User',
              '--requestheader-group-headers=X-Remote-Group',
              '--requestheader-extra-headers-prefix=X-Remote-Extra-',
              `--proxy-client-cert-file=${pki}/front-proxy-client.crt`,
              `--proxy-client-key-file=${pki}/front-proxy-client.key`,
              // With a loopback advertise address the endpoint reconciler
              // loops forever; nothing in the sandbox needs that Endpoints.
              '--endpoint-reconciler-type=none',
              // As on EKS: privileged pods are allowed by the API server, so
              // that only Pod Security Admission (the tenant baseline's
              // namespace labels) keeps them out of tenant namespaces.
              '--allow-privileged=true',
            ],
          });
        }
        const ca = Buffer.from(cluster.caData, 'base64').toString();
        await waitFor(
          name,
          async () =>
            (
              await request(`${cluster.url}/readyz`, {
                ca,
                token: identities.admin.token,
              })
            ).status === 200,
          90_000,
          () => supervisor.tail(name),
        );
      }),
    ),
  );

  await timed(
    log,
    'platform RBAC (ClusterRoles tenancy-portal, tenancy-tenant-developer, tenancy-deployer)',
    () =>
      Promise.all(
        clusters.map(cluster =>
          applyAll(
            kubeConfigFor(cluster, 'sandbox-admin', identities.admin.token),
            platformRbac(),
          ),
        ),
      ),
  );

  await timed(log, 'controllers, schedulers and kwok', async () => {
    for (const cluster of clusters) {
      const clusterDir = path.join(dir, 'clusters', cluster.name);
      const kubeconfig = (who: string) => {
        const file = path.join(clusterDir, `${who}.kubeconfig`);
        fs.writeFileSync(
          file,
          kubeConfigYaml(cluster, identities[who].user, identities[who].token),
          {
            mode: 0o600,
          },
        );
        return file;
      };
      const cm = `${cluster.name}/kube-controller-manager`;
      if (!supervisor.isRunning(cm)) {
        const kc = kubeconfig('controller-manager');
        supervisor.start({
          name: cm,
          command: bin.controllerManager,
          args: [
            `--kubeconfig=${kc}`,
            `--authentication-kubeconfig=${kc}`,
            `--authorization-kubeconfig=${kc}`,
            '--bind-address=127.0.0.1',
            `--secure-port=${ports.clusters[cluster.name].controllerManager}`,
            `--cert-dir=${clusterDir}/controller-manager-certs`,
            '--leader-elect=false',
            '--use-service-account-credentials=true',
            `--service-account-private-key-file=${clusterDir}/pki/sa.key`,
            `--root-ca-file=${clusterDir}/pki/ca.crt`,
            `--cluster-name=${cluster.name}`,
            `--cluster-signing-cert-file=${clusterDir}/pki/ca.crt`,
            `--cluster-signing-key-file=${clusterDir}/pki/ca.key`,
          ],
        });
      }
      const sched = `${cluster.name}/kube-scheduler`;
      if (!supervisor.isRunning(sched)) {
        const kc = kubeconfig('scheduler');
        supervisor.start({
          name: sched,
          command: bin.scheduler,
          args: [
            `--kubeconfig=${kc}`,
            `--authentication-kubeconfig=${kc}`,
            `--authorization-kubeconfig=${kc}`,
            '--bind-address=127.0.0.1',
            `--secure-port=${ports.clusters[cluster.name].scheduler}`,
            `--cert-dir=${clusterDir}/scheduler-certs`,
            '--leader-elect=false',
          ],
        });
      }
      const kwok = `${cluster.name}/kwok`;
      if (!supervisor.isRunning(kwok)) {
        supervisor.start({
          name: kwok,
          command: bin.kwok,
          args: [
            `--kubeconfig=${kubeconfig('kwok')}`,
            `--config=${path.join(packageRoot, 'kwok', 'stages.yaml')}`,
            '--manage-all-nodes=false',
            '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
            // kwok's lease heartbeat renews node status rarely otherwise.
            '--node-lease-duration-seconds=40',
            '--cidr=10.244.0.0/16',
            '--node-ip=10.0.0.1',
          ],
          // kwok also reads ~/.kwok/kwok.yaml; keep people's own out of it.
          env: { ...process.env, HOME: clusterDir },
        });
      }
    }
  });

  await timed(log, 'moto and the AWS fault layer', async () => {
    if (!supervisor.isRunning('moto')) {
      supervisor.start({
        name: 'moto',
        command: motoServer,
        args: ['-H', '127.0.0.1', '-p', String(ports.moto)],
      });
    }
    if (!supervisor.isRunning('daemon')) {
      supervisor.start({
        name: 'daemon',
        command: process.execPath,
        args: [
          path.join(packageRoot, 'bin', 'sandbox-daemon'),
          JSON.stringify({
            motoUrl: `http://127.0.0.1:${ports.moto}`,
            faultLayerPort: ports.faultLayer,
            blackholePort: ports.blackhole,
          }),
        ],
      });
    }
    await waitFor(
      'moto',
      async () =>
        (await request(`http://127.0.0.1:${ports.moto}/moto-api/`)).status <
        500,
      60_000,
      () => supervisor.tail('moto'),
    );
    await waitFor(
      'the AWS fault layer',
      async () =>
        (
          await request(`http://127.0.0.1:${ports.faultLayer}/__tenancy/faults`)
        ).status === 200,
      30_000,
      () => supervisor.tail('daemon'),
    );
  });

  const organization = await timed(log, 'AWS organization and OU tree', () =>
    seedOrganization({ endpoint: `http://127.0.0.1:${ports.moto}` }),
  );

  await timed(log, 'simulated nodes', () =>
    Promise.all(
      clusters.map((cluster, i) =>
        applyAll(
          kubeConfigFor(cluster, 'sandbox-admin', identities.admin.token),
          nodeObjects(CLUSTERS[i]),
        ),
      ),
    ),
  );

  if (options.seed ?? true) {
    await timed(log, 'seed workloads (teams, namespaces, services)', () =>
      Promise.all(
        clusters.map((cluster, i) =>
          applyAll(
            kubeConfigFor(cluster, 'sandbox-admin', identities.admin.token),
            workloadObjects(CLUSTERS[i]),
          ),
        ),
      ),
    );
  }

  const state: SandboxState = {
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
    git: await git,
    overlay: overlayPath(),
  };
  fs.writeFileSync(
    path.join(dir, 'state.json'),
    JSON.stringify(state, null, 2),
    { mode: 0o600 },
  );
  writeOverlay(state);
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
