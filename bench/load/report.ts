/** bench/load's figures: the tables and notes on stdout, the JSON results. */
import os from 'node:os';
import { heading, machine, ms, table, writeResults } from '../lib/report';
import { replicasLabel, ScenarioResult } from './scenario';
import { ROUTES, Settings } from './settings';

export interface Run {
  settings: Settings;
  started: Date;
  results: ScenarioResult[];
  /** The servers' versions, when the bench started them. */
  postgres?: string;
  redis?: string;
}

function scenarioRows(results: ScenarioResult[]): string[][] {
  return [
    [
      'scenario',
      'requests',
      'req/s',
      'p50',
      'p95',
      'p99',
      'max',
      'errors',
      'peak RSS per replica',
      'CPU per replica',
    ],
    ...results.map(r => {
      const l = r.load;
      return [
        replicasLabel(r.replicas),
        String(l.requests),
        l.requestsPerS.toFixed(1),
        ms(l.latency.p50Ms),
        ms(l.latency.p95Ms),
        ms(l.latency.p99Ms),
        ms(l.latency.maxMs),
        String(l.errors),
        r.perReplica.map(x => `${x.peakRssMiB} MiB`).join(', '),
        r.perReplica.map(x => `${x.cpuPercent ?? '?'}%`).join(', '),
      ];
    }),
  ];
}

function routeRows(results: ScenarioResult[]): string[][] {
  return [
    ['scenario', 'route', 'requests', 'p50', 'p95', 'p99', 'errors'],
    ...results.flatMap(r =>
      ROUTES.map(route => {
        const x = r.load.perRoute[route.id];
        return [
          replicasLabel(r.replicas),
          `GET ${route.path}`,
          String(x.requests),
          ms(x.latency.p50Ms),
          ms(x.latency.p95Ms),
          ms(x.latency.p99Ms),
          String(x.errors),
        ];
      }),
    ),
  ];
}

/** 2 replicas / 1 replica, when both ran. */
function ratios(results: ScenarioResult[]) {
  const byN = new Map(results.map(r => [r.replicas, r]));
  const one = byN.get(1);
  const two = byN.get(2);
  if (!one || !two) return undefined;
  const x = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  return {
    throughput: x(two.load.requestsPerS, one.load.requestsPerS),
    p95: x(two.load.latency.p95Ms, one.load.latency.p95Ms),
  };
}

/** Per replica, the CPU of the machine, the load average, the start-up. */
function cpuNote(r: ScenarioResult): string {
  const cpu = r.machineCpuPercent;
  return `${replicasLabel(r.replicas)}: per replica ${r.perReplica
    .map(
      x =>
        `${x.requestsPerS}/s, p95 ${ms(x.latency.p95Ms)}, ${
          x.cpuMsPerRequest ?? '?'
        } ms CPU per request, ${
          x.idleCpuPercent ?? '?'
        }% CPU without users, VmHWM ${x.hwmMiB ?? '?'} MiB`,
    )
    .join('; ')}; the bench's own CPU ${
    r.load.clientCpuPercent
  }%; the machine's CPU ${cpu.busy}% of ${
    os.cpus().length * 100
  }% busy (replicas ${cpu.replicas}%, this bench ${cpu.bench}%, the rest ${
    cpu.busy - cpu.replicas - cpu.bench
  }%); load average ${r.loadAverage1m.before} → ${
    r.loadAverage1m.after
  }; started in ${r.startupS.map(s => `${s} s`).join(', ')}${
    r.attempts > 1 ? `; attempt ${r.attempts}` : ''
  }`;
}

/** The requests around the fleet snapshots made in the window, and the others. */
function snapshotNote(r: ScenarioResult): string {
  const name = replicasLabel(r.replicas);
  const around = r.load.aroundSnapshots;
  const p = (l: typeof around.latency) =>
    `${ms(l.p50Ms)} / ${ms(l.p95Ms)} / ${ms(l.p99Ms)}`;
  return r.load.snapshotsAtS.length
    ? `${name}: fleet snapshots made at ${r.load.snapshotsAtS
        .map(s => `+${s} s`)
        .join(
          ', ',
        )} (refresh every 30 s, on one replica); requests running from 3 s before to 1 s after one: ${
        around.requests
      }, p50/p95/p99 ${p(around.latency)}; the others: ${
        around.otherRequests
      }, ${p(around.otherLatency)}`
    : `${name}: no fleet snapshot was made during the window`;
}

function notes(results: ScenarioResult[]): string[] {
  return results.flatMap(r => {
    const name = replicasLabel(r.replicas);
    const warmupErrors = r.warmup?.errors
      ? [
          `${name}: ${
            r.warmup.errors
          } errors in the warm-up (not counted): ${r.warmup.errorKinds
            .slice(0, 3)
            .map(e => `${e.count}x ${e.error}`)
            .join('; ')}`,
        ]
      : [];
    return [
      cpuNote(r),
      snapshotNote(r),
      ...warmupErrors,
      ...r.load.errorKinds
        .slice(0, 5)
        .map(
          e =>
            `${name}: ERROR ${e.count}x (first at +${e.firstAtS} s): ${e.error}`,
        ),
    ];
  });
}

/** The figures on stdout and in the JSON results; the number of failed requests. */
export function report(run: Run): number {
  const { settings, results } = run;
  const r2to1 = ratios(results);
  const totalErrors = results.reduce((n, r) => n + r.load.errors, 0);
  process.stdout.write(
    `${heading(
      'Load',
      run.started,
      `${settings.users} users, ${settings.duration} s per scenario after ${settings.warmup} s of warm-up`,
    )}${table(scenarioRows(results))}\n\n${table(
      routeRows(results),
    )}\n\n${notes(results).join('\n')}\n${
      r2to1
        ? `\n2 replicas / 1 replica: throughput ${r2to1.throughput.toFixed(
            2,
          )}x, p95 ${r2to1.p95.toFixed(2)}x\n`
        : ''
    }${totalErrors ? `\n${totalErrors} requests FAILED\n` : '\nNo errors.\n'}`,
  );

  writeResults(settings.out, {
    bench: 'load',
    date: run.started.toISOString(),
    machine: {
      ...machine(),
      postgres: run.postgres ?? 'external (--pg-url)',
      redis: run.redis ?? 'external (--redis-url)',
    },
    settings: {
      duration: settings.duration,
      users: settings.users,
      warmup: settings.warmup,
      idle: settings.idle,
      scenarios: settings.scenarios,
      timeoutMs: settings.timeoutMs,
      routes: ROUTES.map(r => `GET ${r.path}`),
      backend:
        'packages/backend, yarn backstage-cli package start, NODE_ENV=development; PostgreSQL (pluginDivisionMode database) and a Redis cache shared by the replicas',
      identity:
        'pat (user:default/pat, the platform team; the sandbox personas sign-in)',
    },
    scenarios: results,
    ratios2to1: r2to1,
  });
  return totalErrors;
}
