import fs from 'node:fs';
import path from 'node:path';
import { freePort, isPortFree } from './ports';
import { ProcessSupervisor } from './processes';
import { CLUSTERS } from './seedData';

/** Every port the sandbox listens on, kept in ports.json between runs. */
export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  clusters: Record<
    string,
    {
      apiserver: number;
      controllerManager: number;
      scheduler: number;
      /** kwok's server: the simulated nodes' kubelet endpoint (`pods/log`). */
      kwok: number;
    }
  >;
  moto: number;
  faultLayer: number;
  blackhole: number;
  refused: number;
  gitea: number;
  /** The cluster token issuer's https server (bin/sandbox-issuer). */
  issuer: number;
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
export async function allocatePorts(
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
    issuer: await pick(previous.issuer, 'issuer'),
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
      kwok: await pick(old?.kwok, `${cluster.name}/kwok`),
    };
  }
  fs.writeFileSync(file, JSON.stringify(ports, null, 2));
  return ports;
}
