/**
 * One catalog in a process of its own: Backstage's catalog backend with
 * the Tenancy catalog module on SQLite, nothing else, so its CPU time and
 * memory are the catalog's. Started by run.ts with `--role child:<mode>`;
 * prints one JSON line of results.
 */
import { createBackend } from '@backstage/backend-defaults';
import catalogBackend from '@backstage/plugin-catalog-backend';
import catalogTenancy from '@tenancy/plugin-catalog-backend-module-tenancy';
import { CoreV1Api } from '@kubernetes/client-node';
import { connectSandbox } from '@tenancy/sandbox';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { sleep } from '../lib/process';
import { clockTicksPerSecond, cpuSecondsOf, machineCpu } from '../lib/procfs';
import type { Mode, Settings } from './settings';

export interface ChildResult {
  mode: Mode;
  /** From the backend's start until every bench namespace is queryable. */
  ingestMs: number;
  /** This catalog's CPU and its replicas' (`--replicas`). */
  ingestCpuS: number;
  /** The whole machine's busy CPU meanwhile: the catalog(s), the database, the API servers. */
  ingestMachineCpuS: number;
  replicas: number;
  /** CPU seconds per steady-state refresh (nothing changed). */
  steadyCpuPerRefreshS: number;
  /** One namespace's owner changed on its cluster → the catalog shows it; one per change. */
  deltaVisibleMs: number[];
  peakRssMiB: number;
  entities: number;
}

const ownCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const machineBusySeconds = () => machineCpu().busy / clockTicksPerSecond();

function startCatalog() {
  const backend = createBackend();
  backend.add(catalogBackend);
  backend.add(catalogTenancy);
  return backend;
}

const readyFile = (goFile: string, pid: number) => `${goFile}.ready-${pid}`;

/**
 * One more catalog on the same database (`--replicas`): it shares the
 * processing and stitching queues and the scheduled tasks with the measured
 * one, as a portal's replicas do. Its code loaded, it says so and waits for
 * `goFile` (the measured catalog's clock runs and its database is
 * migrated), then runs until SIGTERM.
 */
export async function runReplica(goFile: string): Promise<void> {
  fs.writeFileSync(readyFile(goFile, process.pid), '');
  while (!fs.existsSync(goFile)) await sleep(20);
  fs.rmSync(readyFile(goFile, process.pid), { force: true });
  const backend = startCatalog();
  await backend.start();
  await new Promise<void>(resolve => process.once('SIGTERM', () => resolve()));
  await backend.stop();
}

export async function runChild(
  settings: Settings,
  mode: Mode,
  port: number,
  token: string,
  /** Namespace entities when every bench namespace is in: the bench's and the sandbox's own. */
  expected: number,
  /** The other catalogs on the same database, whose CPU counts too. */
  replicaPids: number[] = [],
  /** Written when the clock starts: the replicas start their catalogs. */
  goFile?: string,
): Promise<ChildResult> {
  const cpuSeconds = () =>
    ownCpuSeconds() +
    replicaPids.reduce((sum, pid) => {
      const cpu = cpuSecondsOf(pid);
      if (cpu === undefined) throw new Error(`replica ${pid} has stopped`);
      return sum + cpu;
    }, 0);
  const base = `http://127.0.0.1:${port}`;
  const get = async (p: string) => {
    const res = await fetch(`${base}${p}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  let failures = 0;
  const count = async () => {
    try {
      const body = await get(
        '/api/catalog/entities/by-query?filter=kind=resource,spec.type=kubernetes-namespace&limit=1',
      );
      failures = 0;
      return body.totalItems as number;
    } catch (error) {
      // A slow moment is no reason to give up; a catalog that stopped is.
      if (++failures >= 10) throw error;
      return 0;
    }
  };

  if (goFile) {
    // Every replica has loaded its code (as this process has).
    const giveUp = Date.now() + 120_000;
    while (!replicaPids.every(pid => fs.existsSync(readyFile(goFile, pid)))) {
      if (Date.now() > giveUp) throw new Error('the replicas did not start');
      await sleep(20);
    }
  }
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 200);
  const started = performance.now();
  const cpu0 = cpuSeconds();
  const machine0 = machineBusySeconds();
  const backend = startCatalog();
  try {
    await backend.start();
    // The database is migrated: the replicas start (two catalogs migrating
    // at once fail with "Migration table is already locked", as replicas
    // started together do).
    if (goFile) fs.writeFileSync(goFile, '');
    const deadline = Date.now() + 30 * 60_000;
    for (let n = await count(); n < expected; n = await count()) {
      if (Date.now() > deadline) {
        throw new Error(`only ${n} of ${expected} namespaces after 30 minutes`);
      }
      await sleep(1000);
    }
    const ingestMs = performance.now() - started;
    const ingestCpuS = cpuSeconds() - cpu0;
    const ingestMachineCpuS = machineBusySeconds() - machine0;

    // Steady state: R refreshes with nothing changed.
    await sleep(settings.interval * 1000); // the refresh under way settles
    const steady0 = cpuSeconds();
    await sleep(settings.refreshes * settings.interval * 1000);
    const steadyCpuPerRefreshS = (cpuSeconds() - steady0) / settings.refreshes;

    // One namespace at a time changes owner on its cluster, at a random
    // moment of the refresh interval.
    const sandbox = connectSandbox();
    const cluster = sandbox.clusters[0];
    const core = cluster.kubeConfig('admin').makeApiClient(CoreV1Api);
    const deltaVisibleMs: number[] = [];
    for (let k = 0; k < settings.changes; k++) {
      await sleep(Math.random() * settings.interval * 1000);
      const name = `bcat-${cluster.name.slice(-1)}-${k}`;
      const owner = `team-moved-${mode}-${k}-${Date.now() % 100000}`;
      const changedAt = performance.now();
      await core.patchNamespace({
        name,
        body: [
          {
            op: 'replace',
            path: '/metadata/labels/tenancy.dev~1tenant',
            value: owner,
          },
        ],
      });
      const ref = `/api/catalog/entities/by-name/resource/default/${name}.${cluster.environment}`;
      for (const giveUp = Date.now() + 10 * 60_000; ; await sleep(100)) {
        const entity = await get(ref).catch(() => undefined);
        if (entity?.spec?.owner === `group:default/${owner}`) break;
        if (Date.now() > giveUp) {
          throw new Error(
            `${ref} still not owned by ${owner} after 10 minutes`,
          );
        }
      }
      deltaVisibleMs.push(performance.now() - changedAt);
    }
    const entities = (await get('/api/catalog/entities/by-query?limit=1'))
      .totalItems as number;
    return {
      mode,
      ingestMs,
      ingestCpuS,
      ingestMachineCpuS,
      replicas: 1 + replicaPids.length,
      steadyCpuPerRefreshS,
      deltaVisibleMs,
      peakRssMiB: peakRss / 2 ** 20,
      entities,
    };
  } finally {
    clearInterval(sampler);
    await backend.stop().catch(() => {});
  }
}
