/**
 * bench/catalog — 10,000 tenant namespaces on the sandbox's 3 clusters, into
 * Backstage's catalog through the Tenancy catalog module, measured twice in
 * the same catalog (Backstage's catalog backend on SQLite, in a process of
 * its own, nothing else in it):
 *   delta  the module as shipped: a full mutation first, deltas after;
 *   full   a full mutation on every refresh (`tenancy.catalog.mutation:
 *          full`), what providers that keep no state do (TeraSky's ingestor).
 * For each: time and CPU until every namespace entity is queryable, CPU per
 * steady-state refresh, time for one namespace's changed owner to show, and
 * peak memory. Namespaces carry the label `tenancy-bench/catalog` and are
 * deleted at the end (and leftovers at the start). Figures go to stdout and
 * var/bench/catalog.json.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { connectSandbox, SandboxFixtures } from '@tenancy/sandbox';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import YAML from 'yaml';
import { parseArgs, printUsage } from '../lib/args';
import { fromRoot, REPO_ROOT } from '../lib/paths';
import { freePort, hang, log, mapLimit, onInterrupt } from '../lib/process';
import { heading, machine, ms, table, writeResults } from '../lib/report';
import {
  checkClusters,
  deleteLabelledNamespaces,
  readYaml,
} from '../lib/sandbox';
import { PgServer, RedisServer } from '../load/services';
import { ChildResult, runChild, runReplica } from './child';
import {
  PG_STATEMENTS_SETTINGS,
  resetStatements,
  writeStatements,
} from './pgStatements';
import { command, Mode, RUN_LABEL, Settings, WORK_DIR } from './settings';

const CHILD_ENV = 'TENANCY_BENCH_CATALOG_CHILD';

/** The catalog processes running now: ended on Ctrl-C or SIGTERM. */
const running = new Set<ChildProcess>();

function track(proc: ChildProcess): ChildProcess {
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  return proc;
}

export async function main(argv: string[]): Promise<number> {
  const settings = parseArgs(command, argv);
  if (!settings) return printUsage(command);
  if (settings.role?.startsWith('child:')) return child(settings);
  if (settings.role?.startsWith('replica:')) return replica();
  return parent(settings);
}

/** In a replica: the same config as the measured child, a catalog until SIGTERM. */
async function replica(): Promise<number> {
  const { config, portConfig, goFile } = JSON.parse(
    process.env[CHILD_ENV] ?? '{}',
  );
  process.argv.push('--config', config, '--config', portConfig);
  return exitAfter(() => runReplica(goFile));
}

/**
 * Runs a child's work, then exits 0, or 1 with the error: a stopped (or
 * failed) backend can leave handles (keep-alive sockets, timers) that
 * would keep the process alive.
 */
async function exitAfter(work: () => Promise<void>): Promise<never> {
  try {
    await work();
    process.exit(0);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
    process.exit(1);
  }
}

/** In the child: the config files on the command line, then one catalog. */
async function child(settings: Settings): Promise<number> {
  const { config, port, token, expected, replicaPids, goFile } = JSON.parse(
    process.env[CHILD_ENV] ?? '{}',
  );
  process.argv.push('--config', config);
  const mode = settings.role!.slice('child:'.length) as Mode;
  return exitAfter(async () => {
    const result = await runChild(
      settings,
      mode,
      port,
      token,
      expected,
      replicaPids,
      goFile,
    );
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  });
}

type Database = Settings['database'][number];
interface Run {
  mode: Mode;
  database: Database;
  pgUrl?: string;
  /** With `--replicas` above 1: the cache they share. */
  redisUrl?: string;
}

function writeConfig(
  sandbox: SandboxFixtures,
  settings: Settings,
  run: Run,
  port: number,
  token: string,
): string {
  const { mode } = run;
  const overlay = readYaml(sandbox.state.overlay);
  const config = {
    backend: {
      baseUrl: `http://127.0.0.1:${port}`,
      listen: { port, host: '127.0.0.1' },
      database:
        run.database === 'postgres'
          ? {
              client: 'pg',
              connection: run.pgUrl,
              // A database per plugin and run: the runs share nothing.
              prefix: `bench_catalog_${mode}_${randomBytes(3).toString(
                'hex',
              )}_`,
            }
          : { client: 'better-sqlite3', connection: ':memory:' },
      // Replicas share the provider's state (fingerprints, listings) as a
      // portal's replicas do; one catalog keeps it in memory.
      ...(run.redisUrl
        ? { cache: { store: 'redis', connection: run.redisUrl } }
        : {}),
      auth: {
        externalAccess: [
          { type: 'static', options: { token, subject: 'bench' } },
        ],
      },
    },
    catalog: {
      rules: [{ allow: ['Resource'] }],
      locations: [],
      // The same for both modes. Entities from a provider need no periodic
      // reprocessing to stay current (the provider pushes changes); the
      // default (100-150 s) would start reprocessing the first entities
      // while the last are still coming in.
      processingInterval: { minutes: 30 },
    },
    kubernetes: overlay.kubernetes,
    tenancy: {
      environments: overlay.tenancy.environments,
      platformTeams: overlay.tenancy.platformTeams,
      catalog: {
        mutation: mode,
        schedule: {
          frequency: { seconds: settings.interval },
          timeout: { minutes: 5 },
          initialDelay: { seconds: 0 },
        },
      },
    },
  };
  const file = path.join(WORK_DIR, `catalog-${run.database}-${mode}.yaml`);
  // It holds the sandbox's platform token.
  fs.writeFileSync(file, YAML.stringify(config), { mode: 0o600 });
  return file;
}

/** `--replicas` above 1: the other catalogs, on the measured one's config but their own ports. */
async function startReplicas(
  settings: Settings,
  run: Run,
  config: string,
  goFile: string,
): Promise<{ pids: number[]; stop: () => Promise<void> }> {
  const procs: ChildProcess[] = [];
  const files: string[] = [];
  const stop = async () => {
    await Promise.all(
      procs.map(async p => {
        if (p.exitCode !== null || p.signalCode !== null) return;
        const exited = new Promise(resolve => p.once('exit', resolve));
        p.kill('SIGTERM');
        const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    for (const f of files) fs.rmSync(f, { force: true });
  };
  try {
    for (let i = 1; i < settings.replicas; i++) {
      const port = await freePort();
      const portConfig = path.join(
        WORK_DIR,
        `catalog-${run.database}-${run.mode}-replica${i}.port.yaml`,
      );
      fs.writeFileSync(
        portConfig,
        YAML.stringify({
          backend: {
            baseUrl: `http://127.0.0.1:${port}`,
            listen: { port, host: '127.0.0.1' },
          },
        }),
      );
      files.push(portConfig);
      const logFile = path.join(
        WORK_DIR,
        `catalog-${run.database}-${run.mode}-replica${i}.log`,
      );
      const out = fs.openSync(logFile, 'w');
      procs.push(
        track(
          spawn(
            process.execPath,
            [
              path.join(REPO_ROOT, 'bench', 'main.js'),
              'catalog',
              '--role',
              `replica:${run.mode}`,
            ],
            {
              cwd: REPO_ROOT,
              stdio: ['ignore', out, out],
              env: {
                ...process.env,
                [CHILD_ENV]: JSON.stringify({ config, portConfig, goFile }),
              },
            },
          ),
        ),
      );
      fs.closeSync(out);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { pids: procs.map(p => p.pid!), stop };
}

async function runMode(
  sandbox: SandboxFixtures,
  settings: Settings,
  run: Run,
  expected: number,
): Promise<Result> {
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const config = writeConfig(sandbox, settings, run, port, token);
  // The replicas load their code, then wait for the measured catalog to
  // start its clock and CPU count, so that their work counts from there.
  const goFile = path.join(WORK_DIR, `catalog-${run.database}-${run.mode}.go`);
  fs.rmSync(goFile, { force: true });
  try {
    const replicas = await startReplicas(settings, run, config, goFile);
    try {
      return await runMeasured(settings, run, {
        config,
        port,
        token,
        expected,
        replicaPids: replicas.pids,
        goFile,
      });
    } finally {
      await replicas.stop();
    }
  } finally {
    fs.rmSync(config, { force: true });
    fs.rmSync(goFile, { force: true });
    for (const f of fs.readdirSync(WORK_DIR)) {
      if (f.startsWith(`${path.basename(goFile)}.ready-`)) {
        fs.rmSync(path.join(WORK_DIR, f), { force: true });
      }
    }
  }
}

/** The measured catalog, in a child process; its RESULT line. */
async function runMeasured(
  settings: Settings,
  run: Run,
  childEnv: {
    config: string;
    port: number;
    token: string;
    expected: number;
    replicaPids: number[];
    goFile: string;
  },
): Promise<Result> {
  const { mode } = run;
  const { port, replicaPids } = childEnv;
  const logFile = path.join(WORK_DIR, `catalog-${run.database}-${mode}.log`);
  const out = fs.openSync(logFile, 'w');
  log(
    `${mode}: starting a catalog on port ${port}${
      replicaPids.length ? ` and ${replicaPids.length} more` : ''
    } (log ${path.relative(REPO_ROOT, logFile)})…`,
  );
  const proc = track(
    spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, 'bench', 'main.js'),
        'catalog',
        '--role',
        `child:${mode}`,
        '--namespaces',
        String(settings.namespaces),
        '--interval',
        String(settings.interval),
        '--refreshes',
        String(settings.refreshes),
        '--changes',
        String(settings.changes),
      ],
      {
        cwd: REPO_ROOT,
        // The catalog's own log and the RESULT line, both in the log file.
        stdio: ['ignore', out, out],
        env: {
          ...process.env,
          [CHILD_ENV]: JSON.stringify(childEnv),
        },
      },
    ),
  );
  const code = await new Promise<number>(resolve =>
    proc.once('exit', c => resolve(c ?? 1)),
  );
  fs.closeSync(out);
  const line = fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .find(l => l.startsWith('RESULT '));
  if (code !== 0 || !line) {
    throw new Error(
      `${mode}: the catalog process failed (exit ${code}); see ${logFile}`,
    );
  }
  return {
    ...JSON.parse(line.slice('RESULT '.length)),
    database: run.database,
  };
}

async function createNamespaces(sandbox: SandboxFixtures, settings: Settings) {
  const started = performance.now();
  const perCluster = Math.ceil(settings.namespaces / sandbox.clusters.length);
  let made = 0;
  await Promise.all(
    sandbox.clusters.map(async (cluster, c) => {
      const api = cluster.kubeConfig('admin').makeApiClient(CoreV1Api);
      const count = Math.min(perCluster, settings.namespaces - c * perCluster);
      const indexes = Array.from({ length: count }, (_, i) => i);
      await mapLimit(indexes, 16, async i => {
        await api.createNamespace({
          body: {
            metadata: {
              name: `bcat-${cluster.name.slice(-1)}-${i}`,
              labels: {
                'tenancy.dev/tenant': `team-${
                  (c * perCluster + i) % settings.teams
                }`,
                'tenancy.dev/environment': cluster.environment,
                [RUN_LABEL]: 'yes',
              },
            },
          },
        });
        made++;
      });
    }),
  );
  return { made, ms: performance.now() - started };
}

/** Tenant namespace entities the sandbox has besides the bench's. */
async function sandboxNamespaceEntities(sandbox: SandboxFixtures) {
  const keys = new Set<string>();
  for (const cluster of sandbox.clusters) {
    const list = await cluster
      .kubeConfig('admin')
      .makeApiClient(CoreV1Api)
      .listNamespace({ labelSelector: `tenancy.dev/tenant,!${RUN_LABEL}` });
    for (const ns of list.items) {
      // The provider's rules: not being deleted, and owned by a group.
      if (ns.status?.phase === 'Terminating' || ns.metadata?.deletionTimestamp)
        continue;
      const owner = ns.metadata?.annotations?.['tenancy.dev/owner'];
      if (owner && !/^group:/i.test(owner)) continue;
      const env =
        ns.metadata?.labels?.['tenancy.dev/environment'] ?? cluster.environment;
      keys.add(`${ns.metadata?.name}.${env}`);
    }
  }
  return keys.size;
}

async function parent(settings: Settings): Promise<number> {
  if (settings.replicas > 1 && settings.database.includes('sqlite')) {
    // Each catalog would have a database of its own (SQLite in memory).
    throw new Error('--replicas above 1 needs --database postgres');
  }
  if (
    (settings.pgSettings.length || settings.pgStatements) &&
    !settings.database.includes('postgres')
  ) {
    throw new Error(
      '--pg-settings and --pg-statements need --database postgres',
    );
  }
  if (
    settings.pgStatements &&
    settings.pgSettings.some(s => s.startsWith('shared_preload_libraries='))
  ) {
    // The last -c wins: one of the two would be lost.
    throw new Error(
      '--pg-statements 1 sets shared_preload_libraries itself; leave it out of --pg-settings',
    );
  }
  const startedAt = new Date();
  const sandbox = connectSandbox();
  await checkClusters(sandbox);
  fs.mkdirSync(WORK_DIR, { recursive: true, mode: 0o700 });
  const cleanup = () =>
    deleteLabelledNamespaces(sandbox, RUN_LABEL, {
      concurrency: 16,
      parallelClusters: true,
      pollMs: 1000,
      waitMs: 1_800_000,
    });
  const existing = async () =>
    (
      await Promise.all(
        sandbox.clusters.map(
          async c =>
            (
              await c
                .kubeConfig('admin')
                .makeApiClient(CoreV1Api)
                .listNamespace({ labelSelector: RUN_LABEL })
            ).items.filter(ns => ns.status?.phase !== 'Terminating').length,
        ),
      )
    ).reduce((a, b) => a + b, 0);
  const reuse =
    settings.reuse === 1 && (await existing()) === settings.namespaces;
  if (!reuse) await cleanup();
  const created = reuse
    ? { made: 0, ms: 0 }
    : await createNamespaces(sandbox, settings);
  log(`made ${created.made} namespaces in ${ms(created.ms)}`);
  const expected =
    settings.namespaces + (await sandboxNamespaceEntities(sandbox));

  const results: Result[] = [];
  let pg: PgServer | undefined;
  let redis: RedisServer | undefined;
  // PostgreSQL runs detached (pg_ctl): it must not outlive an interrupted run.
  process.on('exit', () => {
    for (const proc of running) proc.kill('SIGKILL');
    pg?.stop();
    redis?.killNow();
  });
  const interrupt = onInterrupt(
    'interrupted: stopping the catalogs and the servers (bench namespaces stay; a run without --reuse 1 deletes them)…',
    async () => {
      for (const proc of running) proc.kill('SIGTERM');
      pg?.stop();
      await redis?.stop();
    },
  );
  try {
    pg = settings.database.includes('postgres')
      ? await PgServer.start([
          ...settings.pgSettings,
          ...(settings.pgStatements ? PG_STATEMENTS_SETTINGS : []),
        ])
      : undefined;
    for (const database of settings.database) {
      for (const mode of settings.modes) {
        const statements = database === 'postgres' && settings.pgStatements;
        if (statements) await resetStatements(pg!.url);
        // A Redis per run: the provider's state in it would carry over.
        redis = settings.replicas > 1 ? await RedisServer.start() : undefined;
        const result: Result = await runMode(
          sandbox,
          settings,
          { mode, database, pgUrl: pg?.url, redisUrl: redis?.url },
          expected,
        ).finally(async () => {
          await redis?.stop();
          redis = undefined;
        });
        if (statements) {
          const file = path.join(WORK_DIR, `pg-statements-${mode}.txt`);
          result.pgStatementsS = await writeStatements(pg!.url, file);
          log(
            `${mode}: PostgreSQL's costliest statements in ${fromRoot(file)}`,
          );
        }
        log(`${database} ${mode}: ${JSON.stringify(result)}`);
        results.push(result);
      }
    }
  } finally {
    // After Ctrl-C the interrupt's cleanup stops everything and exits.
    if (interrupt.interrupted) await hang();
    pg?.stop();
    await redis?.stop();
    // A slow deletion must not lose the figures: they are reported first.
    const deleted =
      settings.keep === 1
        ? undefined
        : await cleanup().catch(error => {
            log(`could not delete every bench namespace: ${error}`);
            return undefined;
          });
    if (deleted)
      log(`deleted ${deleted.deleted} namespaces in ${ms(deleted.ms)}`);
  }

  const verdicts = report(
    settings,
    results,
    startedAt,
    sandbox.clusters.length,
  );
  writeResults(settings.out, {
    machine: machine(),
    settings: { ...settings, role: undefined },
    namespacesCreatedMs: created.ms,
    results,
    verdicts: Object.fromEntries(verdicts),
  });
  return verdicts.every(([, ok]) => ok) ? 0 : 1;
}

type Result = ChildResult & {
  database: Database;
  /** `--pg-statements 1`: the time of PostgreSQL's top-level statements over the whole run. */
  pgStatementsS?: number;
};

const seconds = (x: number) => `${(x / 1000).toFixed(1)} s`;
const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** One table per database (a column per mode, and their ratio); the verdicts. */
function report(
  settings: Settings,
  results: Result[],
  startedAt: Date,
  clusters: number,
): Array<readonly [string, boolean]> {
  const verdicts: Array<readonly [string, boolean]> = [];
  for (const database of settings.database) {
    const runs = settings.modes.map(
      mode => results.find(r => r.database === database && r.mode === mode)!,
    );
    const row = (
      label: string,
      value: (r: Result) => number,
      show: (x: number) => string,
    ) => {
      const values = runs.map(value);
      return [
        label,
        ...values.map(show),
        ...(values.length === 2 ? [(values[1] / values[0]).toFixed(2)] : []),
      ];
    };
    process.stdout.write(
      `${heading(
        `Catalog ingestion on ${database}: the Tenancy catalog module (delta) and a full mutation every refresh (full)`,
        startedAt,
        `${settings.namespaces} namespaces on ${clusters} clusters, ${
          settings.teams
        } teams; refresh every ${
          settings.interval
        } s; Backstage's catalog alone in its process${
          settings.replicas > 1
            ? `, ${settings.replicas} such processes on one database`
            : ''
        }`,
      )}\n${table([
        ['', ...settings.modes, ...(runs.length === 2 ? ['full / delta'] : [])],
        row('all namespaces queryable after', r => r.ingestMs, seconds),
        row(
          settings.replicas > 1
            ? `CPU until then (the ${settings.replicas} catalogs)`
            : 'CPU until then (the catalog)',
          r => r.ingestCpuS,
          x => `${x.toFixed(1)} s`,
        ),
        row(
          '… the whole machine (database, API servers too)',
          r => r.ingestMachineCpuS,
          x => `${x.toFixed(1)} s`,
        ),
        row(
          settings.replicas > 1
            ? `CPU per steady refresh (the ${settings.replicas} catalogs)`
            : 'CPU per steady refresh',
          r => r.steadyCpuPerRefreshS,
          x => `${x.toFixed(2)} s`,
        ),
        row(
          `a changed namespace visible after (median of ${settings.changes})`,
          r => median(r.deltaVisibleMs),
          seconds,
        ),
        row('… slowest', r => Math.max(...r.deltaVisibleMs), seconds),
        ...(runs.every(r => r.pgStatementsS !== undefined)
          ? [
              row(
                "PostgreSQL's statements, the whole run",
                r => r.pgStatementsS!,
                x => `${x.toFixed(1)} s`,
              ),
            ]
          : []),
        row(
          settings.replicas > 1
            ? 'peak RSS (the measured catalog)'
            : 'peak RSS',
          r => r.peakRssMiB,
          x => `${x.toFixed(0)} MiB`,
        ),
      ])}\n`,
    );
    const delta = runs.find(r => r.mode === 'delta');
    if (delta) {
      verdicts.push(
        [
          `${database}: 10,000 namespaces queryable within 30 s`,
          delta.ingestMs <= 30_000,
        ],
        [
          `${database}: every change visible within one refresh interval (${settings.interval} s)`,
          Math.max(...delta.deltaVisibleMs) <= settings.interval * 1000,
        ],
      );
    }
  }
  for (const [what, ok] of verdicts) {
    process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${what}\n`);
  }
  return verdicts;
}
