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
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import YAML from 'yaml';
import { parseArgs, printUsage } from '../lib/args';
import { REPO_ROOT } from '../lib/paths';
import { freePort, log, mapLimit } from '../lib/process';
import { heading, machine, ms, table, writeResults } from '../lib/report';
import {
  checkClusters,
  deleteLabelledNamespaces,
  readYaml,
} from '../lib/sandbox';
import { ChildResult, runChild } from './child';
import {
  command,
  Mode,
  MODES,
  RUN_LABEL,
  Settings,
  WORK_DIR,
} from './settings';

const CHILD_ENV = 'TENANCY_BENCH_CATALOG_CHILD';

export async function main(argv: string[]): Promise<number> {
  const settings = parseArgs(command, argv);
  if (!settings) return printUsage(command);
  if (settings.role?.startsWith('child:')) return child(settings);
  return parent(settings);
}

/** In the child: the config files on the command line, then one catalog. */
async function child(settings: Settings): Promise<number> {
  const { config, port, token, expected } = JSON.parse(
    process.env[CHILD_ENV] ?? '{}',
  );
  process.argv.push('--config', config);
  const mode = settings.role!.slice('child:'.length) as Mode;
  const result = await runChild(settings, mode, port, token, expected);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  return 0;
}

function writeConfig(
  sandbox: SandboxFixtures,
  settings: Settings,
  mode: Mode,
  port: number,
  token: string,
): string {
  const overlay = readYaml(sandbox.state.overlay);
  const config = {
    backend: {
      baseUrl: `http://127.0.0.1:${port}`,
      listen: { port, host: '127.0.0.1' },
      database: { client: 'better-sqlite3', connection: ':memory:' },
      auth: {
        externalAccess: [
          { type: 'static', options: { token, subject: 'bench' } },
        ],
      },
    },
    catalog: { rules: [{ allow: ['Resource'] }], locations: [] },
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
  const file = path.join(WORK_DIR, `catalog-${mode}.yaml`);
  // It holds the sandbox's platform token.
  fs.writeFileSync(file, YAML.stringify(config), { mode: 0o600 });
  return file;
}

async function runMode(
  sandbox: SandboxFixtures,
  settings: Settings,
  mode: Mode,
  expected: number,
): Promise<ChildResult> {
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const config = writeConfig(sandbox, settings, mode, port, token);
  const logFile = path.join(WORK_DIR, `catalog-${mode}.log`);
  const out = fs.openSync(logFile, 'w');
  log(
    `${mode}: starting a catalog on port ${port} (log ${path.relative(
      REPO_ROOT,
      logFile,
    )})…`,
  );
  const proc = spawn(
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
    ],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', out],
      env: {
        ...process.env,
        [CHILD_ENV]: JSON.stringify({ config, port, token, expected }),
      },
    },
  );
  let stdout = '';
  proc.stdout?.on('data', chunk => {
    stdout += chunk;
  });
  const code = await new Promise<number>(resolve =>
    proc.once('exit', c => resolve(c ?? 1)),
  );
  fs.closeSync(out);
  fs.rmSync(config, { force: true });
  const line = stdout.split('\n').find(l => l.startsWith('RESULT '));
  if (code !== 0 || !line) {
    throw new Error(
      `${mode}: the catalog process failed (exit ${code}); see ${logFile}`,
    );
  }
  return JSON.parse(line.slice('RESULT '.length));
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
      if (ns.status?.phase === 'Terminating') continue;
      const env =
        ns.metadata?.labels?.['tenancy.dev/environment'] ?? cluster.environment;
      keys.add(`${ns.metadata?.name}.${env}`);
    }
  }
  return keys.size;
}

async function parent(settings: Settings): Promise<number> {
  const startedAt = new Date();
  const sandbox = connectSandbox();
  await checkClusters(sandbox);
  fs.mkdirSync(WORK_DIR, { recursive: true, mode: 0o700 });
  const cleanup = () =>
    deleteLabelledNamespaces(sandbox, RUN_LABEL, {
      concurrency: 16,
      parallelClusters: true,
      pollMs: 1000,
      waitMs: 900_000,
    });
  await cleanup();
  const created = await createNamespaces(sandbox, settings);
  log(`made ${created.made} namespaces in ${ms(created.ms)}`);
  const expected =
    settings.namespaces + (await sandboxNamespaceEntities(sandbox));

  const results: ChildResult[] = [];
  try {
    for (const mode of MODES) {
      const result = await runMode(sandbox, settings, mode, expected);
      log(`${mode}: ${JSON.stringify(result)}`);
      results.push(result);
    }
  } finally {
    const deleted = await cleanup();
    if (deleted)
      log(`deleted ${deleted.deleted} namespaces in ${ms(deleted.ms)}`);
  }

  const [delta, full] = results;
  const s = (x: number) => `${(x / 1000).toFixed(1)} s`;
  process.stdout.write(
    `${heading(
      'Catalog ingestion: Tenancy catalog module, deltas vs a full mutation every refresh',
      startedAt,
      `${settings.namespaces} namespaces on ${sandbox.clusters.length} clusters, ${settings.teams} teams; refresh every ${settings.interval} s; Backstage's catalog on SQLite, alone in its process`,
    )}\n${table([
      ['', 'delta (shipped)', 'full every refresh', 'full / delta'],
      [
        'all namespaces queryable after',
        s(delta.ingestMs),
        s(full.ingestMs),
        (full.ingestMs / delta.ingestMs).toFixed(2),
      ],
      [
        'CPU until then',
        `${delta.ingestCpuS.toFixed(1)} s`,
        `${full.ingestCpuS.toFixed(1)} s`,
        (full.ingestCpuS / delta.ingestCpuS).toFixed(2),
      ],
      [
        'CPU per steady refresh',
        `${delta.steadyCpuPerRefreshS.toFixed(2)} s`,
        `${full.steadyCpuPerRefreshS.toFixed(2)} s`,
        (full.steadyCpuPerRefreshS / delta.steadyCpuPerRefreshS).toFixed(1),
      ],
      [
        'one changed namespace visible after',
        s(delta.deltaVisibleMs),
        s(full.deltaVisibleMs),
        (full.deltaVisibleMs / delta.deltaVisibleMs).toFixed(2),
      ],
      [
        'peak RSS',
        `${delta.peakRssMiB.toFixed(0)} MiB`,
        `${full.peakRssMiB.toFixed(0)} MiB`,
        (full.peakRssMiB / delta.peakRssMiB).toFixed(2),
      ],
    ])}\n`,
  );
  const verdicts = [
    [`ingest ≤ 30 s (delta)`, delta.ingestMs <= 30_000],
    [
      `a change visible within one refresh (${settings.interval} s)`,
      delta.deltaVisibleMs <= settings.interval * 1000,
    ],
  ] as const;
  for (const [what, ok] of verdicts) {
    process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${what}\n`);
  }
  writeResults(settings.out, {
    machine: machine(),
    settings: { ...settings, role: undefined },
    namespacesCreatedMs: created.ms,
    results,
    verdicts: Object.fromEntries(verdicts),
  });
  return verdicts.every(([, ok]) => ok) ? 0 : 1;
}
