import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import fs from 'node:fs';
import path from 'node:path';
import type { Binaries } from './binaries';
import { tokenFile } from './identities';
import { kubeConfigFor, kubeConfigYaml } from './kube';
import { packageRoot } from './paths';
import { writeClusterAuthFiles } from './issuer';
import { ensureClusterPki } from './pki';
import type { Ports } from './portAllocation';
import { request, waitFor } from './probe';
import { ProcessSupervisor } from './processes';
import { nodeObjects } from './seed';
import { CLUSTERS } from './seedData';
import type { Log, SandboxClusterState, SandboxIdentity } from './types';

/** What the steps of `up` share: the state folder, processes, binaries, ports, identities. */
export interface UpContext {
  dir: string;
  /** The cluster token issuer (ensureIssuer), which every API server trusts. */
  issuer?: { url: string; caPem: string };
  log: Log;
  supervisor: ProcessSupervisor;
  bin: Binaries;
  ports: Ports;
  identities: Record<string, SandboxIdentity>;
}

function clusterDirOf(ctx: UpContext, cluster: string): string {
  return path.join(ctx.dir, 'clusters', cluster);
}

/**
 * Each cluster's certificates (its own CA) and token file, made once and
 * kept; returns the clusters as state.json describes them.
 */
export function prepareClusters(ctx: UpContext): SandboxClusterState[] {
  return CLUSTERS.map(spec => {
    const clusterDir = clusterDirOf(ctx, spec.name);
    const pki = ensureClusterPki(path.join(clusterDir, 'pki'), spec.name);
    // On every up, so that a running API server (which watches the file)
    // follows a new issuer port or CA too.
    if (ctx.issuer) writeClusterAuthFiles(clusterDir, spec.name, ctx.issuer);
    fs.writeFileSync(
      path.join(clusterDir, 'tokens.csv'),
      tokenFile(ctx.identities),
      { mode: 0o600 },
    );
    return {
      name: spec.name,
      environment: spec.environment,
      url: `https://127.0.0.1:${ctx.ports.clusters[spec.name].apiserver}`,
      caData: fs.readFileSync(pki.caCert).toString('base64'),
      etcdPrefix: `/${spec.name}`,
      auditLog: path.join(clusterDir, 'audit.log'),
      identities: ctx.identities,
    };
  });
}

/** One etcd for every cluster (each has its own key prefix). */
export async function ensureEtcd(ctx: UpContext): Promise<void> {
  const { supervisor, ports } = ctx;
  if (!supervisor.isRunning('etcd')) {
    const etcdUrl = `http://127.0.0.1:${ports.etcdClient}`;
    const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
    supervisor.start({
      name: 'etcd',
      command: ctx.bin.etcd,
      args: [
        '--name=sandbox',
        `--data-dir=${path.join(ctx.dir, 'etcd')}`,
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
      (await request(`http://127.0.0.1:${ports.etcdClient}/health`)).status ===
      200,
    30_000,
    () => supervisor.tail('etcd'),
  );
}

function apiserverArgs(ctx: UpContext, cluster: SandboxClusterState) {
  const clusterDir = clusterDirOf(ctx, cluster.name);
  const pki = path.join(clusterDir, 'pki');
  if (!ctx.issuer) throw new Error('the cluster token issuer must be up first');
  const auth = writeClusterAuthFiles(clusterDir, cluster.name, ctx.issuer);
  return [
    // People sign in with the portal's tokens (issue #18): a JWT
    // authenticator for its issuer, audience tenancy:<cluster>.
    `--authentication-config=${auth.authConfig}`,
    `--audit-policy-file=${auth.auditPolicy}`,
    `--audit-log-path=${auth.auditLog}`,
    '--audit-log-format=json',
    '--audit-log-maxsize=50',
    '--audit-log-maxbackup=1',
    `--etcd-servers=http://127.0.0.1:${ctx.ports.etcdClient}`,
    `--etcd-prefix=${cluster.etcdPrefix}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ctx.ports.clusters[cluster.name].apiserver}`,
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
    // pods/log goes to the node's kubelet — kwok's server (startKwok) at
    // the node's InternalIP (127.0.0.1; its Hostname does not resolve),
    // verified with the cluster's CA like a real kubelet's certificate.
    '--kubelet-preferred-address-types=InternalIP',
    `--kubelet-certificate-authority=${pki}/ca.crt`,
    `--kubelet-client-certificate=${pki}/apiserver-kubelet-client.crt`,
    `--kubelet-client-key=${pki}/apiserver-kubelet-client.key`,
  ];
}

/** Starts one cluster's kube-apiserver if needed and waits until it is ready. */
async function ensureApiServer(
  ctx: UpContext,
  cluster: SandboxClusterState,
): Promise<void> {
  const { supervisor } = ctx;
  const name = `${cluster.name}/kube-apiserver`;
  if (!supervisor.isRunning(name)) {
    supervisor.start({
      name,
      command: ctx.bin.apiserver,
      args: apiserverArgs(ctx, cluster),
    });
  }
  const ca = Buffer.from(cluster.caData, 'base64').toString();
  await waitFor(
    name,
    async () =>
      (
        await request(`${cluster.url}/readyz`, {
          ca,
          token: ctx.identities.admin.token,
        })
      ).status === 200,
    90_000,
    () => supervisor.tail(name),
  );
}

/** Every cluster's kube-apiserver, started side by side. */
export async function ensureApiServers(
  ctx: UpContext,
  clusters: SandboxClusterState[],
): Promise<void> {
  await Promise.all(clusters.map(cluster => ensureApiServer(ctx, cluster)));
}

/** Writes `<who>.kubeconfig` for a control-plane process; returns its path. */
function writeKubeconfig(
  ctx: UpContext,
  cluster: SandboxClusterState,
  who: string,
): string {
  const file = path.join(clusterDirOf(ctx, cluster.name), `${who}.kubeconfig`);
  const identity = ctx.identities[who];
  fs.writeFileSync(
    file,
    kubeConfigYaml(cluster, identity.user, identity.token),
    { mode: 0o600 },
  );
  return file;
}

function startControllerManager(ctx: UpContext, cluster: SandboxClusterState) {
  const name = `${cluster.name}/kube-controller-manager`;
  if (ctx.supervisor.isRunning(name)) return;
  const clusterDir = clusterDirOf(ctx, cluster.name);
  const kc = writeKubeconfig(ctx, cluster, 'controller-manager');
  ctx.supervisor.start({
    name,
    command: ctx.bin.controllerManager,
    args: [
      `--kubeconfig=${kc}`,
      `--authentication-kubeconfig=${kc}`,
      `--authorization-kubeconfig=${kc}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${ctx.ports.clusters[cluster.name].controllerManager}`,
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

function startScheduler(ctx: UpContext, cluster: SandboxClusterState) {
  const name = `${cluster.name}/kube-scheduler`;
  if (ctx.supervisor.isRunning(name)) return;
  const kc = writeKubeconfig(ctx, cluster, 'scheduler');
  ctx.supervisor.start({
    name,
    command: ctx.bin.scheduler,
    args: [
      `--kubeconfig=${kc}`,
      `--authentication-kubeconfig=${kc}`,
      `--authorization-kubeconfig=${kc}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${ctx.ports.clusters[cluster.name].scheduler}`,
      `--cert-dir=${clusterDirOf(ctx, cluster.name)}/scheduler-certs`,
      '--leader-elect=false',
    ],
  });
}

/** Where the simulated nodes' kubelet (kwok's server) listens. */
const KUBELET_ADDRESS = '127.0.0.1';

/**
 * kwok plays the kubelets of the simulated nodes (kwok/stages.yaml), and
 * serves their kubelet API on 127.0.0.1 — every node's address and
 * kubelet port — so that `pods/log` answers with the seeded services' logs
 * (kwok/logs.yaml).
 */
function startKwok(ctx: UpContext, cluster: SandboxClusterState) {
  const name = `${cluster.name}/kwok`;
  if (ctx.supervisor.isRunning(name)) return;
  const kwokDir = path.join(packageRoot, 'kwok');
  const pki = path.join(clusterDirOf(ctx, cluster.name), 'pki');
  const port = ctx.ports.clusters[cluster.name].kwok;
  ctx.supervisor.start({
    name,
    command: ctx.bin.kwok,
    args: [
      `--kubeconfig=${writeKubeconfig(ctx, cluster, 'kwok')}`,
      `--config=${path.join(kwokDir, 'stages.yaml')}`,
      `--config=${path.join(kwokDir, 'logs.yaml')}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      // kwok's lease heartbeat renews node status rarely otherwise.
      '--node-lease-duration-seconds=40',
      '--cidr=10.244.0.0/16',
      `--node-ip=${KUBELET_ADDRESS}`,
      `--node-port=${port}`,
      `--server-address=${KUBELET_ADDRESS}:${port}`,
      `--tls-cert-file=${pki}/kubelet.crt`,
      `--tls-private-key-file=${pki}/kubelet.key`,
    ],
    // kwok also reads ~/.kwok/kwok.yaml; keep people's own out of it.
    env: { ...process.env, HOME: clusterDirOf(ctx, cluster.name) },
    // logs.yaml names its log files relative to the kwok folder.
    cwd: kwokDir,
  });
}

/**
 * Points every simulated node's status at kwok's server, as a kubelet
 * reports its own address and port. kwok does so for nodes it initializes;
 * this converges nodes made before (another address, no port) or since
 * given another port.
 */
export async function ensureKubeletEndpoints(
  ctx: UpContext,
  clusters: SandboxClusterState[],
): Promise<void> {
  const admin = ctx.identities.admin;
  await Promise.all(
    clusters.map(async (cluster, i) => {
      const core = kubeConfigFor(
        cluster,
        admin.user,
        admin.token,
      ).makeApiClient(CoreV1Api);
      const port = ctx.ports.clusters[cluster.name].kwok;
      for (const node of nodeObjects(CLUSTERS[i])) {
        const name = node.metadata!.name!;
        await core.patchNodeStatus(
          {
            name,
            body: {
              status: {
                addresses: [
                  { type: 'InternalIP', address: KUBELET_ADDRESS },
                  { type: 'Hostname', address: name },
                ],
                daemonEndpoints: { kubeletEndpoint: { Port: port } },
              },
            },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
      }
    }),
  );
}

/** Each cluster's controller manager, scheduler and kwok, if not running. */
export async function ensureClusterControllers(
  ctx: UpContext,
  clusters: SandboxClusterState[],
): Promise<void> {
  for (const cluster of clusters) {
    startControllerManager(ctx, cluster);
    startScheduler(ctx, cluster);
    startKwok(ctx, cluster);
  }
}
