/**
 * One scenario of bench/load: R replicas on one PostgreSQL and one Redis,
 * started one after the other, warmed up, left idle, warmed up under load,
 * then measured under load, with their RSS and CPU.
 */
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import YAML from 'yaml';
import { againIfRestarted, Backend, BackendRestarted } from '../lib/backend';
import { REPO_ROOT } from '../lib/paths';
import { cpuSecondsOf, listenerPid, machineCpu, memoryOf } from '../lib/procfs';
import { freePort, hang, Interrupt, log, sleep } from '../lib/process';
import { ms } from '../lib/report';
import { round1 } from '../lib/stats';
import { SAMPLE_EVERY_MS, Settings, WORK_DIR } from './settings';
import {
  Endpoint,
  Latency,
  LoadFigures,
  runLoad,
  warmUpReplica,
} from './users';

/** What the scenarios share: the settings, the servers, what is running. */
export interface LoadRun {
  settings: Settings;
  runId: string;
  /** The sandbox's clusters and its portal overlay. */
  clusters: string[];
  overlay: string;
  pgUrl: string;
  redisUrl: string;
  /** The backends running now (for the clean-up). */
  running: Set<Backend>;
  /** Every scenario's database and cache prefix (for the clean-up). */
  prefixes: string[];
  interrupt: Interrupt;
}

interface Replica extends Endpoint {
  port: number;
  backend: Backend;
  pid?: number;
  /** VmRSS samples while the scenario ran: [ms since the window start, KiB]. */
  samples: Array<[number, number]>;
}

export interface ScenarioResult {
  replicas: number;
  attempts: number;
  startupS: number[];
  warmup?: {
    requests: number;
    errors: number;
    errorKinds: LoadFigures['errorKinds'];
  };
  load: LoadFigures;
  perReplica: Array<{
    port: number;
    pid?: number;
    requests: number;
    requestsPerS: number;
    errors: number;
    latency: Latency;
    /** Peak of the 500 ms VmRSS samples during the measured window. */
    peakRssMiB: number;
    /** VmRSS at the start of the window. */
    rssAtStartMiB: number;
    /** VmHWM: the process's peak RSS since it started (start-up included). */
    hwmMiB?: number;
    /** CPU used in the window, % of one core. */
    cpuPercent?: number;
    /** CPU used without users, before the warm-up (--idle), % of one core. */
    idleCpuPercent?: number;
    /** CPU used in the window per request it answered. */
    cpuMsPerRequest?: number;
  }>;
  loadAverage1m: { before: number; after: number };
  /**
   * CPU use in the window, in % of one core (the machine has `cpus` cores):
   * the whole machine, and what the replicas and the bench's users took of it;
   * the rest went to PostgreSQL, Redis, the sandbox and anything else running.
   */
  machineCpuPercent: { busy: number; replicas: number; bench: number };
}

const mib = (kib: number) => Math.round(kib / 1024);

export const replicasLabel = (n: number) => `${n} replica${n === 1 ? '' : 's'}`;

/** Samples every replica's VmRSS every 500 ms (finding the pid again after a restart). */
class RssSampler {
  private timer?: NodeJS.Timeout;
  private origin = 0;

  constructor(private readonly replicas: Replica[]) {}

  start(origin: number): void {
    this.origin = origin;
    const sample = () => {
      for (const r of this.replicas) {
        let m = r.pid ? memoryOf(r.pid) : undefined;
        if (!m) {
          r.pid = listenerPid(r.port);
          m = r.pid ? memoryOf(r.pid) : undefined;
        }
        if (m)
          r.samples.push([
            Math.round(performance.now() - this.origin),
            m.rssKiB,
          ]);
      }
    };
    sample();
    this.timer = setInterval(sample, SAMPLE_EVERY_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * The replicas of a scenario, not started: each on a free port with an
 * overlay of its own, `app-config.<prefix><i>.yaml`: the shared database
 * set and cache (under `prefix`).
 */
async function replicasFor(
  run: LoadRun,
  n: number,
  prefix: string,
): Promise<Replica[]> {
  const replicas: Replica[] = [];
  for (let i = 0; i < n; i++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const overlay = path.join(WORK_DIR, `app-config.${prefix}${i}.yaml`);
    fs.writeFileSync(
      overlay,
      YAML.stringify({
        app: { baseUrl: url },
        backend: {
          baseUrl: url,
          listen: { port, host: '127.0.0.1' },
          cors: { origin: url },
          database: {
            client: 'pg',
            connection: run.pgUrl,
            prefix,
            pluginDivisionMode: 'database',
          },
          cache: {
            store: 'redis',
            connection: run.redisUrl,
            redis: { client: { namespace: prefix } },
          },
        },
        scaffolder: { taskRecovery: { enabled: true } },
      }),
      { mode: 0o600 }, // may hold a password (--pg-url)
    );
    replicas.push({
      index: i,
      port,
      baseUrl: url,
      token: '',
      samples: [],
      backend: new Backend(`${replicasLabel(n)}, replica ${i + 1}`, {
        port,
        configs: [
          path.join(REPO_ROOT, 'app-config.yaml'),
          run.overlay,
          overlay,
        ],
        // Unused: the overlay replaces app-config.yaml's SQLite.
        sqliteDir: WORK_DIR,
        requestLog: '', // the bench's request logger stays off
        logFile: path.join(WORK_DIR, `backend-${prefix}${i}.log`),
      }),
    });
  }
  return replicas;
}

/** Starts them one after the other (the first creates the databases); seconds each took. */
async function start(
  run: LoadRun,
  replicas: Replica[],
  label: string,
): Promise<number[]> {
  const startupS: number[] = [];
  for (const r of replicas) {
    run.running.add(r.backend);
    const t = Date.now();
    await r.backend.start();
    startupS.push(round1((Date.now() - t) / 1000));
    r.pid = listenerPid(r.port);
    const cmd = r.pid
      ? fs
          .readFileSync(`/proc/${r.pid}/cmdline`, 'utf8')
          .split('\0')
          .filter(a => a.includes('index'))
          .join(' ')
      : '';
    log(`${label}, replica ${r.index + 1}: node pid ${r.pid ?? '?'} ${cmd}`);
  }
  return startupS;
}

/** CPU seconds of every replica's node process (looked up again: it may have restarted). */
function cpuSeconds(replicas: Replica[]): Array<number | undefined> {
  for (const r of replicas) r.pid = listenerPid(r.port);
  return replicas.map(r => (r.pid ? cpuSecondsOf(r.pid) : undefined));
}

/** The replicas' own work (catalog processing, scheduled tasks, …), without users: % of a core each. */
async function idleCpu(
  replicas: Replica[],
  seconds: number,
  label: string,
): Promise<Array<number | undefined>> {
  if (seconds <= 0) return [];
  const before = cpuSeconds(replicas);
  const t = performance.now();
  await sleep(seconds * 1000);
  const s = (performance.now() - t) / 1000;
  const idle = replicas.map((r, i) => {
    const after = r.pid ? cpuSecondsOf(r.pid) : undefined;
    return after === undefined || before[i] === undefined
      ? undefined
      : Math.round(((after - before[i]!) / s) * 100);
  });
  log(
    `${label}: CPU without users over ${seconds} s: ${idle
      .map(x => `${x ?? '?'}%`)
      .join(', ')}`,
  );
  return idle;
}

/** --warmup seconds of the same load, not measured. */
async function warmUpLoad(
  run: LoadRun,
  replicas: Replica[],
  label: string,
): Promise<ScenarioResult['warmup']> {
  const { users, warmup, timeoutMs } = run.settings;
  if (warmup <= 0) return undefined;
  log(`${label}: warm-up, ${users} users for ${warmup} s…`);
  const w = await runLoad(replicas, users, warmup, timeoutMs, run.interrupt);
  log(
    `${label}: warm-up ${w.requests} requests, ${w.requestsPerS}/s, ${w.errors} errors`,
  );
  return { requests: w.requests, errors: w.errors, errorKinds: w.errorKinds };
}

/** The measured window: the load, and the CPU and load average around it. */
async function measure(run: LoadRun, replicas: Replica[], label: string) {
  const { users, duration, timeoutMs } = run.settings;
  log(`${label}: ${users} users for ${duration} s…`);
  const loadBefore = os.loadavg()[0];
  const cpuBefore = cpuSeconds(replicas);
  const pidsBefore = replicas.map(r => r.pid);
  const machineBefore = machineCpu();
  const sampler = new RssSampler(replicas);
  sampler.start(performance.now());
  try {
    const load = await runLoad(
      replicas,
      users,
      duration,
      timeoutMs,
      run.interrupt,
    );
    const machineAfter = machineCpu();
    const busy =
      (machineAfter.busy - machineBefore.busy) /
      (machineAfter.total - machineBefore.total);
    return {
      load,
      cpuBefore,
      pidsBefore,
      machineBusyPercent: Math.round(busy * os.cpus().length * 100),
      loadAverage1m: {
        before: round1(loadBefore),
        after: round1(os.loadavg()[0]),
      },
    };
  } finally {
    sampler.stop();
  }
}

type Window = Awaited<ReturnType<typeof measure>>;

function perReplica(
  replicas: Replica[],
  w: Window,
  idleCpuPercent: Array<number | undefined>,
): ScenarioResult['perReplica'] {
  const { load } = w;
  return replicas.map((r, i) => {
    const rss = r.samples.map(([, kib]) => kib);
    const cpuAfter = r.pid ? cpuSecondsOf(r.pid) : undefined;
    const x = load.perReplica[i];
    const cpuS =
      cpuAfter !== undefined &&
      w.cpuBefore[i] !== undefined &&
      w.pidsBefore[i] === r.pid
        ? cpuAfter - w.cpuBefore[i]!
        : undefined;
    return {
      port: r.port,
      pid: r.pid,
      requests: x.requests,
      requestsPerS: round1(x.requests / load.elapsedS),
      errors: x.errors,
      latency: x.latency,
      peakRssMiB: mib(Math.max(...rss)),
      rssAtStartMiB: mib(rss[0] ?? NaN),
      hwmMiB: r.pid ? mib(memoryOf(r.pid)?.hwmKiB ?? NaN) : undefined,
      cpuPercent:
        cpuS === undefined
          ? undefined
          : Math.round((cpuS / load.elapsedS) * 100),
      idleCpuPercent: idleCpuPercent[i],
      cpuMsPerRequest:
        cpuS === undefined || !x.requests
          ? undefined
          : round1((cpuS * 1000) / x.requests),
    };
  });
}

/** One attempt: start, warm up, idle, measure; the replicas stopped at the end. */
async function attemptScenario(
  run: LoadRun,
  n: number,
  prefix: string,
  attempt: number,
): Promise<ScenarioResult> {
  const label = replicasLabel(n);
  const replicas = await replicasFor(run, n, prefix);
  try {
    const startupS = await start(run, replicas, label);
    log(`${label}: waiting for the catalog and every route…`);
    const tw = Date.now();
    for (const r of replicas) await warmUpReplica(r, run.clusters);
    log(
      `${label}: every route answers on every replica after ${ms(
        Date.now() - tw,
      )}`,
    );
    const restartsBefore = replicas.map(r => r.backend.restarts());
    const idleCpuPercent = await idleCpu(replicas, run.settings.idle, label);
    const warmup = await warmUpLoad(run, replicas, label);
    const w = await measure(run, replicas, label);
    const restarted = replicas.filter(
      (r, i) => r.backend.restarts() !== restartsBefore[i],
    );
    if (restarted.length) {
      throw new BackendRestarted(
        `${label}: backstage-cli restarted ${restarted
          .map(r => `replica ${r.index + 1}`)
          .join(', ')} because a source file changed (someone edited the repo)`,
      );
    }
    const result: ScenarioResult = {
      replicas: n,
      attempts: attempt,
      startupS,
      warmup,
      load: w.load,
      perReplica: perReplica(replicas, w, idleCpuPercent),
      loadAverage1m: w.loadAverage1m,
      machineCpuPercent: { busy: 0, replicas: 0, bench: 0 },
    };
    result.machineCpuPercent = {
      busy: w.machineBusyPercent,
      replicas: result.perReplica.reduce(
        (sum, x) => sum + (x.cpuPercent ?? 0),
        0,
      ),
      bench: w.load.clientCpuPercent,
    };
    return result;
  } finally {
    if (run.interrupt.interrupted) await hang();
    for (const r of replicas) {
      await r.backend.stop();
      run.running.delete(r.backend);
    }
  }
}

/**
 * Scenario `index` with `n` replicas, again (up to 3 times) if backstage-cli
 * restarts a replica. A database set and a cache namespace of its own per
 * scenario and attempt: nothing carries over, e.g. a scheduler lock of a
 * stopped replica, or the last snapshot.
 */
export async function runScenario(
  run: LoadRun,
  index: number,
  n: number,
): Promise<ScenarioResult> {
  const result = await againIfRestarted('', attempt => {
    const prefix = `tenancy_load_${run.runId}_${index + 1}r${n}_${attempt}_`;
    run.prefixes.push(prefix);
    return attemptScenario(run, n, prefix, attempt);
  });
  const { load } = result;
  log(
    `${replicasLabel(n)}: ${load.requests} requests, ${
      load.requestsPerS
    }/s, p50/p95/p99 ${ms(load.latency.p50Ms)} / ${ms(
      load.latency.p95Ms,
    )} / ${ms(load.latency.p99Ms)}, ${
      load.errors
    } errors; peak RSS ${result.perReplica
      .map(x => `${x.peakRssMiB} MiB`)
      .join(', ')}`,
  );
  return result;
}
