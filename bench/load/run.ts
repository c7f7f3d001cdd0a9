/**
 * bench/load — N concurrent users (default 50) reading the fleet, a tenant
 * and a service's health from the portal backend for D seconds (default 60),
 * against one replica and against two: requests/s, p50/p95/p99, errors (must
 * be 0) and the peak RSS of every replica.
 *
 * Replicas are the real portal backend (packages/backend, all features,
 * `yarn backstage-cli package start`, NODE_ENV=development for the personas
 * sign-in; the Backend of bench/lib) with app-config.yaml, the sandbox's
 * overlay and one overlay per replica: its own port, and ONE PostgreSQL
 * database set (pluginDivisionMode database, a prefix per scenario) and ONE
 * Redis cache shared by the replicas of a scenario, so the only difference
 * between the scenarios is the number of replicas. The bench starts a
 * private, throw-away PostgreSQL and Redis itself (as scripts/services.sh
 * does for the tests) unless --pg-url / --redis-url name servers to use, and
 * stops everything it started at the end, also on error and Ctrl-C.
 *
 * Users are closed loops (the next request when the last answered, no think
 * time), each signed in as pat (the platform team, sandbox personas sign-in) on its
 * replica, spread over the replicas equally like a load balancer would, each
 * going round the three requests. Every scenario warms up first: every
 * route answers 200 on every replica with the seed in the catalog, then
 * --warmup seconds of the same load, unmeasured. RSS is VmRSS of the
 * backend's node process (the one listening on the replica's port, a child
 * in the process group), sampled every 500 ms. Figures go to stdout and to
 * var/bench/load.json.
 *
 *   settings.ts  the flags           services.ts  PostgreSQL and Redis
 *   users.ts     the users, warm-up  scenario.ts  one scenario (R replicas)
 *   report.ts    the tables, the JSON
 */
import { connectSandbox } from '@tenancy/sandbox';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, printUsage } from '../lib/args';
import type { Backend } from '../lib/backend';
import { hang, onInterrupt } from '../lib/process';
import { checkClusters } from '../lib/sandbox';
import { report } from './report';
import { LoadRun, runScenario, ScenarioResult } from './scenario';
import { Servers } from './services';
import { command, WORK_DIR } from './settings';

export async function main(argv: string[]): Promise<number> {
  const settings = parseArgs(command, argv);
  if (!settings) return printUsage(command);

  const sandbox = connectSandbox();
  await checkClusters(sandbox);
  fs.rmSync(WORK_DIR, { recursive: true, force: true });
  fs.mkdirSync(WORK_DIR, { recursive: true, mode: 0o700 });
  const servers = new Servers(settings);
  const running = new Set<Backend>();
  const prefixes: string[] = [];

  /** Stops and deletes everything the bench started; once. */
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.all([...running].map(b => b.stop()));
      running.clear();
      await servers.stop(prefixes);
      // The overlays may hold a password; the logs stay for a look.
      for (const f of fs.readdirSync(WORK_DIR)) {
        if (f.startsWith('app-config.')) fs.rmSync(path.join(WORK_DIR, f));
      }
    })());
  const interrupt = onInterrupt(
    'interrupted: stopping the backends, PostgreSQL and Redis…',
    cleanup,
  );
  process.on('exit', () => {
    for (const b of running) b.killNow();
    servers.killNow();
  });

  const started = new Date();
  try {
    const run: LoadRun = {
      settings,
      runId: randomBytes(3).toString('hex'),
      clusters: sandbox.clusters.map(c => c.name),
      overlay: sandbox.state.overlay,
      ...(await servers.start()),
      running,
      prefixes,
      interrupt,
    };
    const results: ScenarioResult[] = [];
    for (const [i, n] of settings.scenarios.entries()) {
      results.push(await runScenario(run, i, n));
    }
    const failed = report({
      settings,
      started,
      results,
      postgres: servers.pg?.version,
      redis: servers.redis?.version,
    });
    return failed ? 1 : 0;
  } catch (error) {
    if (interrupt.interrupted) await hang();
    throw error;
  } finally {
    if (!interrupt.interrupted) await cleanup();
  }
}
