import { Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { registerAwsCommands } from './aws/cli';
import { kubeConfigYaml } from './kube';
import { repoRoot, stateDir } from './paths';
import {
  blackholeCluster,
  down,
  readState,
  reset,
  restoreCluster,
  status,
  timed,
  up,
} from './sandbox';
import { applyAll, kubeConfigFor } from './kube';
import { workloadObjects } from './seed';
import { CLUSTERS } from './seedData';

const log = (message: string) => process.stderr.write(`[sandbox] ${message}\n`);

function printSummary() {
  const state = readState();
  const rel = (p: string) => path.relative(process.cwd(), p) || '.';
  const lines = [
    '',
    'Sandbox is up:',
    ...state.clusters.map(
      c =>
        `  ${c.name.padEnd(10)} ${c.environment.padEnd(5)} ${
          c.url
        }  (Kubernetes ${state.kubernetesVersion})`,
    ),
    `  AWS Organizations  ${state.aws.endpoint}  (moto behind the fault layer; org ${state.aws.organization.organizationId})`,
    ...(state.git
      ? [
          `  Gitea              ${state.git.url}  (${
            state.git.version
          }; orgs ${state.git.orgs.join(', ')}; portal user ${
            state.git.user
          }, token in git-identity.json)`,
        ]
      : []),
    `  fault endpoints    black hole ${state.endpoints.blackhole}, refused ${state.endpoints.refused}`,
    `  portal overlay     ${rel(state.overlay)}`,
    '',
    'kubectl: `yarn sandbox kubeconfig sandbox-a` writes a kubeconfig and prints its path.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

/** `status`: one line per process; the summary when all of them run. */
function printStatus() {
  const components = status();
  if (components.length === 0) {
    process.stdout.write(
      'The sandbox is not running (yarn sandbox up starts it).\n',
    );
    return;
  }
  for (const c of components) {
    let state = c.running ? 'running' : 'STOPPED';
    if (c.paused) state = 'PAUSED ';
    const note = c.paused ? '  (black-holed: yarn sandbox fault restore)' : '';
    process.stdout.write(
      `${state}  ${c.name.padEnd(34)} pid ${c.pid}${note}\n`,
    );
  }
  if (components.every(c => c.running && !c.paused)) printSummary();
  else process.exitCode = 1;
}

/** `up`, `down`, `reset` and `status`: the sandbox's life cycle. */
function registerLifecycleCommands(program: Command) {
  program
    .command('up')
    .description(
      'build what is missing, start everything that is not running, seed, and write the portal overlay',
    )
    .option('--no-seed', 'do not apply the seed workloads')
    .action(async (opts: { seed: boolean }) => {
      const start = Date.now();
      await up({ log, seed: opts.seed });
      log(`sandbox up in ${((Date.now() - start) / 1000).toFixed(1)}s`);
      printSummary();
    });

  program
    .command('down')
    .description('stop every sandbox process (data is kept for a fast next up)')
    .action(async () => {
      await down({ log });
    });

  program
    .command('reset')
    .description('stop the sandbox and delete all its data')
    .action(async () => {
      await reset({ log });
      log(`removed ${path.relative(repoRoot, stateDir())}`);
    });

  program
    .command('status')
    .description('show which sandbox processes run')
    .action(printStatus);
}

/** `seed`: the seed namespaces and workloads, applied again. */
function registerSeedCommand(program: Command) {
  program
    .command('seed')
    .description('apply the seed namespaces and workloads again (idempotent)')
    .action(async () => {
      const state = readState();
      await timed(log, 'seed workloads', () =>
        Promise.all(
          state.clusters.map((cluster, i) =>
            applyAll(
              kubeConfigFor(
                cluster,
                'sandbox-admin',
                cluster.identities.admin.token,
              ),
              workloadObjects(CLUSTERS[i]),
            ),
          ),
        ),
      );
    });
}

/** Writes `kubeconfigs/<cluster>-<identity>.yaml` (mode 0600); returns its path. */
function writeKubeconfigFor(clusterName: string, as: string): string {
  const state = readState();
  const cluster = state.clusters.find(c => c.name === clusterName);
  if (!cluster) {
    throw new Error(
      `No cluster ${clusterName}; the sandbox has ${state.clusters
        .map(c => c.name)
        .join(', ')}`,
    );
  }
  const identity = cluster.identities[as];
  if (!identity) {
    throw new Error(
      `No identity ${as}; use one of ${Object.keys(cluster.identities).join(
        ', ',
      )}`,
    );
  }
  const dir = path.join(stateDir(), 'kubeconfigs');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${cluster.name}-${as}.yaml`);
  fs.writeFileSync(
    file,
    kubeConfigYaml(cluster, identity.user, identity.token),
    {
      mode: 0o600,
    },
  );
  return file;
}

/** `kubeconfig <cluster> [--as identity]`: for kubectl and people. */
function registerKubeconfigCommand(program: Command) {
  program
    .command('kubeconfig <cluster>')
    .description('write a kubeconfig for a sandbox cluster and print its path')
    .option('--as <identity>', 'admin, platform, alice, bob or carol', 'admin')
    .action((clusterName: string, opts: { as: string }) => {
      process.stdout.write(`${writeKubeconfigFor(clusterName, opts.as)}\n`);
    });
}

/** `fault clusters|blackhole|restore`: unreachable clusters, on demand. */
function registerClusterFaultCommands(program: Command) {
  const fault = program
    .command('fault')
    .description('inject faults into the running sandbox');
  fault
    .command('clusters')
    .description('print the black-holed and refusing cluster endpoints')
    .action(() => {
      const state = readState();
      process.stdout.write(
        `black hole (accepts TCP, never answers): ${state.endpoints.blackhole}\nrefused (nothing listens):               ${state.endpoints.refused}\n`,
      );
    });
  fault
    .command('blackhole <cluster>')
    .description(
      "freeze a cluster's kube-apiserver: its real endpoint accepts connections and never answers",
    )
    .action((cluster: string) => {
      blackholeCluster(cluster);
      log(
        `${cluster} is black-holed; \`yarn sandbox fault restore ${cluster}\` undoes it`,
      );
    });
  fault
    .command('restore <cluster>')
    .description('let a black-holed cluster answer again')
    .action((cluster: string) => {
      restoreCluster(cluster);
      log(`${cluster} answers again`);
    });
}

export function buildProgram(): Command {
  const program = new Command('tenancy-sandbox')
    .description(
      'Real local infrastructure for Tenancy: three Kubernetes clusters with simulated nodes, AWS Organizations on moto with a fault layer, and seed data.',
    )
    .showHelpAfterError();
  registerLifecycleCommands(program);
  registerSeedCommand(program);
  registerKubeconfigCommand(program);
  registerClusterFaultCommands(program);
  registerAwsCommands(program, async () => readState().aws.endpoint);
  return program;
}

export async function main(argv: string[]) {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    log(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
