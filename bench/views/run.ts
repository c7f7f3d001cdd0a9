/**
 * bench/views — one entity's health through Tenancy's backend
 * (`GET /api/tenancy/entities/:kind/:namespace/:name/health`, served from the
 * fleet snapshot) and through Backstage's own Kubernetes backend
 * (`POST /api/kubernetes/services/:entityName`, what the Kubernetes tab
 * calls), side by side in ONE portal backend process (packages/backend,
 * started with `yarn backstage-cli package start`), as the guest user:
 *   (a) all clusters healthy, warm (N requests each, alternating);
 *   fleet: 500 new namespaces per cluster: kube requests of one
 *       FleetSnapshotService refresh per cluster (in-process, before and
 *       after), the backend's own refreshes, and the peer's requests for one
 *       entity;
 *   (b) a fourth cluster that black-holes (accepts TCP, never answers):
 *       FleetSnapshotService.get() on an empty cache (in-process) and the
 *       first request after a restart (cold), then warm.
 *
 * The bench starts and stops the backend itself, in a process group of its
 * own; a phase is run again if backstage-cli restarts the backend because a
 * source file changed.
 *
 * Kube requests are counted in the backend by a preloaded diagnostics-channel
 * logger (requestLog.js). Namespaces it makes carry the label
 * `tenancy-bench/views`; they are deleted (as admin) before (b), at the end,
 * and leftovers of an interrupted run at the start. Figures go to stdout and
 * to var/bench/views.json.
 */
import type {
  CacheService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import type { JsonValue } from '@backstage/types';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  FleetSnapshot,
  FleetSnapshotService,
  fleetView,
} from '@tenancy/plugin-tenancy-backend';
import { DefaultClusterRegistry } from '@tenancy/plugin-tenancy-node';
import {
  connectSandbox,
  SandboxFixtures,
  TENANT_LABEL,
} from '@tenancy/sandbox';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import YAML from 'yaml';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const BACKEND_DIR = path.join(REPO_ROOT, 'packages', 'backend');
const WORK_DIR = path.join(REPO_ROOT, 'var', 'bench', 'views');
const DEFAULT_OUT = path.join(REPO_ROOT, 'var', 'bench', 'views.json');
const REQUEST_LOGGER = path.join(__dirname, 'requestLog.js');
const RUN_LABEL = 'tenancy-bench/views';
const ENTITY = {
  kind: 'component',
  namespace: 'default',
  name: 'payments-api',
};
const BLACKHOLE = 'sandbox-blackhole';
const GOAL_A = 0.5;
const CASES = ['a', 'fleet', 'b'] as const;
type CaseId = (typeof CASES)[number];

interface Settings {
  iterations: number;
  warmup: number;
  namespaces: number;
  refreshes: number;
  fleetIterations: number;
  port: number;
  clusterTimeoutMs: number;
  marginMs: number;
  peerCapMs: number;
  peerHangs: number;
  cases: CaseId[];
  out: string;
}

function usage(): string {
  return [
    'usage: ./bench/run views [--iterations N] [--warmup W] [--namespaces K] [--port P]',
    '                         [--cluster-timeout MS] [--peer-cap MS] [--peer-hangs H] [--cases a,fleet,b] [--out FILE]',
    '',
    '  --iterations N       measured requests per side in (a) and (b) (default 30)',
    '  --warmup W           unmeasured requests per side before them (default 3)',
    '  --namespaces K       new namespaces per cluster for the fleet case (default 500)',
    '  --refreshes R        in-process refreshes per point in the fleet case (default 3)',
    '  --fleet-iterations M requests per side with the K namespaces in place (default 10)',
    '  --port P             port of the bench backend (default 7127)',
    '  --cluster-timeout MS tenancy.clusterTimeoutMs in (b) (default 3000)',
    '  --margin MS          (b): ours must answer within the timeout + this (default 1000)',
    '  --peer-cap MS        the bench gives up on one request after this long (default 60000)',
    '  --peer-hangs H       (b): ask the peer at most H more times after the cold request',
    '                       while it never answers (default 3)',
    '  --cases LIST         which cases, in this order: a, fleet, b (default all)',
    `  --out FILE           JSON results (default ${path.relative(
      REPO_ROOT,
      DEFAULT_OUT,
    )})`,
    '',
    'Runs on the running sandbox (yarn sandbox up; TENANCY_SANDBOX_DIR selects which); starts',
    'and stops the portal backend itself (packages/backend, yarn backstage-cli package start).',
  ].join('\n');
}

function parseArgs(argv: string[]): Settings | undefined {
  const settings: Settings = {
    iterations: 30,
    warmup: 3,
    namespaces: 500,
    refreshes: 3,
    fleetIterations: 10,
    port: 7127,
    clusterTimeoutMs: 3000,
    marginMs: 1000,
    peerCapMs: 60_000,
    peerHangs: 3,
    cases: [...CASES],
    out: DEFAULT_OUT,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const count = (min: number) => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < min) {
        throw new Error(`${flag} must be an integer >= ${min}`);
      }
      return n;
    };
    switch (flag) {
      case '--iterations':
        settings.iterations = count(1);
        break;
      case '--warmup':
        settings.warmup = count(0);
        break;
      case '--namespaces':
        settings.namespaces = count(1);
        break;
      case '--refreshes':
        settings.refreshes = count(1);
        break;
      case '--fleet-iterations':
        settings.fleetIterations = count(1);
        break;
      case '--port':
        settings.port = count(1);
        break;
      case '--cluster-timeout':
        settings.clusterTimeoutMs = count(100);
        break;
      case '--margin':
        settings.marginMs = count(0);
        break;
      case '--peer-cap':
        settings.peerCapMs = count(1000);
        break;
      case '--peer-hangs':
        settings.peerHangs = count(0);
        break;
      case '--cases': {
        const list = value().split(',').filter(Boolean);
        const bad = list.filter(c => !(CASES as readonly string[]).includes(c));
        if (bad.length || !list.length) {
          throw new Error(`--cases: one or more of ${CASES.join(', ')}`);
        }
        settings.cases = CASES.filter(c => list.includes(c));
        break;
      }
      case '--out':
        settings.out = path.resolve(value());
        break;
      case '-h':
      case '--help':
        return undefined;
      default:
        throw new Error(`unknown argument ${flag}\n\n${usage()}`);
    }
  }
  return settings;
}

export const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
export const sleep = (ms: number) =>
  new Promise(resolve => setTimeout(resolve, ms));

// ---------------------------------------------------------------- statistics

interface Stats {
  samplesMs: number[];
  p50Ms: number;
  /** Nearest-rank 95th percentile: with 30 samples, the second slowest. */
  p95Ms: number;
  minMs: number;
  maxMs: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((x, y) => x - y);
  const n = sorted.length;
  const median =
    n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return {
    samplesMs: samples.map(round1),
    p50Ms: round1(median),
    p95Ms: round1(sorted[Math.max(0, Math.ceil(0.95 * n) - 1)]),
    minMs: round1(sorted[0]),
    maxMs: round1(sorted[n - 1]),
  };
}

const ratio = (ours: number, theirs: number) =>
  Math.round((ours / theirs) * 1000) / 1000;

/** A ratio for the table; `upper` when the peer's time is only a lower bound. */
function times(x: number, upper = false): string {
  if (x < 0.001) return '< 0.001x';
  return `${upper ? '< ' : ''}${x.toFixed(3)}x`;
}

export function ms(x: number): string {
  if (x >= 10_000) return `${(x / 1000).toFixed(1)} s`;
  return x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`;
}

function median(xs: number[]): number {
  return stats(xs).p50Ms;
}

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)));
  const line = (r: string[]) =>
    r.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  return [
    line(rows[0]),
    widths.map(w => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}

// ------------------------------------------------------- the backend's requests

interface LoggedRequest {
  at: number;
  client: 'http' | 'undici';
  method: string;
  origin: string;
  path: string;
  /** The sandbox cluster the request went to, if any. */
  cluster?: string;
}

/** Reads the lines requestLog.js appends in the backend process. */
class RequestLog {
  private offset = 0;

  constructor(
    readonly file: string,
    private readonly clusterOf: Map<string, string>,
  ) {}

  /** Where the log ends now: requests from here on are "after". */
  mark(): number {
    this.offset = fs.existsSync(this.file) ? fs.statSync(this.file).size : 0;
    return this.offset;
  }

  /** The kube requests logged since `from` (a mark), complete lines only. */
  since(from: number): LoggedRequest[] {
    if (!fs.existsSync(this.file)) return [];
    const fd = fs.openSync(this.file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buffer = Buffer.alloc(Math.max(0, size - from));
      fs.readSync(fd, buffer, 0, buffer.length, from);
      const text = buffer.toString('utf8');
      const end = text.lastIndexOf('\n');
      return text
        .slice(0, end + 1)
        .split('\n')
        .filter(Boolean)
        .map(line => {
          const [at, client, method, origin, ...rest] = line.split(' ');
          let cluster: string | undefined;
          try {
            cluster = this.clusterOf.get(new URL(origin).origin);
          } catch {
            cluster = undefined;
          }
          return {
            at: Number(at),
            client: client as LoggedRequest['client'],
            method,
            origin,
            path: rest.join(' '),
            cluster,
          };
        })
        .filter(r => r.cluster);
    } finally {
      fs.closeSync(fd);
    }
  }
}

function perCluster(requests: LoggedRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) counts[r.cluster!] = (counts[r.cluster!] ?? 0) + 1;
  return Object.fromEntries(
    Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)),
  );
}

const peerRequests = (rs: LoggedRequest[]) =>
  rs.filter(r => r.client === 'http');
const oursRequests = (rs: LoggedRequest[]) =>
  rs.filter(r => r.client === 'undici');

/**
 * Sizes of the backend's own refreshes of one cluster: each starts with
 * GET /version; the last group (maybe unfinished) is left out.
 */
function refreshSizes(requests: LoggedRequest[], cluster: string): number[] {
  const sizes: number[] = [];
  let current = -1;
  for (const r of oursRequests(requests).filter(x => x.cluster === cluster)) {
    if (r.path.startsWith('/version')) {
      if (current >= 0) sizes.push(current);
      current = 1;
    } else if (current >= 0) {
      current++;
    }
  }
  return sizes;
}

// ---------------------------------------------------------------- the backend

/** Established TCP connections to 127.0.0.1:port (from `ss`), if it can tell. */
function socketsTo(port: number): number | undefined {
  try {
    return execFileSync(
      'ss',
      ['-Htn', 'state', 'established', 'dst', `127.0.0.1:${port}`],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean).length;
  } catch {
    return undefined;
  }
}

export async function portInUse(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** backstage-cli restarted the backend (a source file changed): the case is redone. */
class BackendRestarted extends Error {}

/**
 * `EMFILE … watch`: the backend (backstage-cli's file watcher, the config
 * watcher) could not get an inotify instance. Each running sandbox holds
 * about 40 of the per-user limit (often 128).
 */
function inotifyHint(): string {
  let limit = '?';
  let used = 0;
  try {
    limit = fs
      .readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8')
      .trim();
    for (const pid of fs.readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
      try {
        for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
          try {
            if (
              fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:inotify'
            )
              used++;
          } catch {
            // closed meanwhile
          }
        }
      } catch {
        // not ours to read
      }
    }
  } catch {
    // not Linux
  }
  return `inotify instances are exhausted (fs.inotify.max_user_instances ${limit}, ${used} in use): other sandboxes or dev servers hold them. Stop some (yarn sandbox down with their TENANCY_SANDBOX_DIR) and run the bench again.`;
}

/**
 * The portal backend (packages/backend) as `yarn backstage-cli package start`
 * runs it, in a process group of its own, with the request logger preloaded.
 */
export class Backend {
  private child?: ChildProcess;
  private exited = false;
  readonly baseUrl: string;
  startedAt = 0;
  restartsAtStart = 0;

  constructor(
    readonly label: string,
    private readonly options: {
      port: number;
      configs: string[];
      sqliteDir: string;
      requestLog: string;
      logFile: string;
    },
  ) {
    this.baseUrl = `http://127.0.0.1:${options.port}`;
  }

  async start(): Promise<void> {
    if (await portInUse(this.options.port)) {
      throw new Error(
        `port ${this.options.port} is in use; pass --port with a free one`,
      );
    }
    const out = fs.openSync(this.options.logFile, 'a');
    const args = [
      'backstage-cli',
      'package',
      'start',
      `--require=${REQUEST_LOGGER}`,
      ...this.options.configs.flatMap(c => ['--config', c]),
    ];
    log(
      `${this.label}: starting the portal backend on port ${this.options.port}…`,
    );
    this.exited = false;
    this.startedAt = Date.now();
    this.restartsAtStart = this.restarts();
    this.child = spawn('yarn', args, {
      cwd: BACKEND_DIR,
      detached: true, // a process group of its own: stop() ends all of it
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        NODE_ENV: 'development', // the guest provider works in development only
        TENANCY_SQLITE_DIR: this.options.sqliteDir,
        TENANCY_BENCH_REQUEST_LOG: this.options.requestLog,
      },
    });
    fs.closeSync(out);
    this.child.once('exit', () => {
      this.exited = true;
    });
    await this.waitReady(300_000);
    log(
      `${this.label}: up in ${ms(Date.now() - this.startedAt)} (pid ${
        this.child.pid
      }, log ${path.relative(REPO_ROOT, this.options.logFile)})`,
    );
  }

  /** Until /api/tenancy/health answers (it needs no token). */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) {
        const tail = this.logTail(30);
        throw new Error(
          `the backend exited while starting:\n${tail}${
            /EMFILE[^\n]*watch/.test(tail) ? `\n\n${inotifyHint()}` : ''
          }`,
        );
      }
      try {
        const res = await fetch(`${this.baseUrl}/api/tenancy/health`, {
          signal: AbortSignal.timeout(2000),
        });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(
          `the backend did not answer within ${
            timeoutMs / 1000
          } s:\n${this.logTail(30)}`,
        );
      }
      await sleep(100);
    }
  }

  /** Throws BackendRestarted if backstage-cli restarted it since `since` restarts. */
  assertSteady(what: string, since = this.restartsAtStart): void {
    if (this.restarts() !== since) {
      throw new BackendRestarted(
        `${what}: backstage-cli restarted the backend because a source file changed (someone edited the repo)`,
      );
    }
  }

  /** How often backstage-cli restarted it because a file changed. */
  restarts(): number {
    if (!fs.existsSync(this.options.logFile)) return 0;
    return (
      fs
        .readFileSync(this.options.logFile, 'utf8')
        .match(/Change detected, restarting/g)?.length ?? 0
    );
  }

  logTail(lines: number): string {
    if (!fs.existsSync(this.options.logFile)) return '';
    // eslint-disable-next-line no-control-regex
    const plain = fs
      .readFileSync(this.options.logFile, 'utf8')
      .replace(/\x1b\[[0-9;]*m/g, '');
    return plain.split('\n').slice(-lines).join('\n');
  }

  /** SIGTERM to the whole process group, SIGKILL if it is still there after 20 s. */
  async stop(): Promise<void> {
    const pid = this.child?.pid;
    if (!pid) return;
    const alive = () => {
      try {
        process.kill(-pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    if (alive()) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // gone already
      }
      const deadline = Date.now() + 20_000;
      while (alive() && Date.now() < deadline) await sleep(200);
      if (alive()) {
        log(`${this.label}: still running after SIGTERM; SIGKILL`);
        process.kill(-pid, 'SIGKILL');
        while (alive()) await sleep(100);
      }
    }
    this.child = undefined;
    log(`${this.label}: stopped (process group ${pid})`);
  }

  /** A killer for process exit paths that cannot await. */
  killNow(): void {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

// ------------------------------------------------------------------ the client

interface Answer {
  ms: number;
  /** Wall-clock start, for comparing with the snapshot's generatedAt. */
  startedAt: number;
  status?: number;
  bytes?: number;
  body?: any;
  /** No answer within the cap. */
  unanswered: boolean;
}

class Client {
  private token = '';
  private entity: unknown;

  constructor(private readonly backend: Backend) {}

  /** A guest token (user:default/guest) from the guest provider. */
  async signIn(): Promise<void> {
    const res = await fetch(`${this.backend.baseUrl}/api/auth/guest/refresh`, {
      method: 'POST',
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) {
      throw new Error(`guest sign-in: ${res.status} ${await res.text()}`);
    }
    const body = (await res.json()) as {
      backstageIdentity: { token: string };
    };
    this.token = body.backstageIdentity.token;
  }

  private headers(json = false): Record<string, string> {
    return {
      Authorization: `Bearer ${this.token}`,
      ...(json ? { 'Content-Type': 'application/json' } : {}),
    };
  }

  /** Until the catalog has ingested the seed's entity; keeps it for the peer's body. */
  async waitForEntity(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const url = `${this.backend.baseUrl}/api/catalog/entities/by-name/${ENTITY.kind}/${ENTITY.namespace}/${ENTITY.name}`;
    for (;;) {
      const res = await fetch(url, {
        headers: this.headers(),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.ok) {
        this.entity = await res.json();
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `the catalog has no ${ENTITY.kind}:${ENTITY.namespace}/${
            ENTITY.name
          } after ${timeoutMs / 1000} s (${res.status})`,
        );
      }
      await sleep(1000);
    }
  }

  private async timed(
    url: string,
    init: RequestInit,
    capMs: number,
  ): Promise<Answer> {
    const startedAt = Date.now();
    const start = performance.now();
    try {
      const res = await fetch(url, {
        ...init,
        signal: AbortSignal.timeout(capMs),
      });
      const text = await res.text();
      const elapsed = performance.now() - start;
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      return {
        ms: elapsed,
        startedAt,
        status: res.status,
        bytes: Buffer.byteLength(text),
        body,
        unanswered: false,
      };
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        return { ms: performance.now() - start, startedAt, unanswered: true };
      }
      await sleep(500); // let backstage-cli's message land in the log
      this.backend.assertSteady(`${init.method ?? 'GET'} ${url}`);
      throw error;
    }
  }

  /**
   * Reference, not a side: the catalog lookup of the entity alone, which
   * both sides make before their own work.
   */
  catalog(capMs: number): Promise<Answer> {
    return this.timed(
      `${this.backend.baseUrl}/api/catalog/entities/by-name/${ENTITY.kind}/${ENTITY.namespace}/${ENTITY.name}`,
      { headers: this.headers() },
      capMs,
    );
  }

  /** Ours: the entity's health from the fleet snapshot. */
  ours(capMs: number): Promise<Answer> {
    return this.timed(
      `${this.backend.baseUrl}/api/tenancy/entities/${ENTITY.kind}/${ENTITY.namespace}/${ENTITY.name}/health`,
      { headers: this.headers() },
      capMs,
    );
  }

  /** The peer: what the Kubernetes tab sends (KubernetesBackendClient.getObjectsByEntity). */
  peer(capMs: number): Promise<Answer> {
    if (!this.entity) throw new Error('waitForEntity() first');
    return this.timed(
      `${this.backend.baseUrl}/api/kubernetes/services/${ENTITY.name}`,
      {
        method: 'POST',
        headers: this.headers(true),
        body: JSON.stringify({ entity: this.entity, auth: {} }),
      },
      capMs,
    );
  }
}

// -------------------------------------------------------------------- checks

/** Ours must name every healthy cluster without error, and the black hole with one. */
/**
 * What ours said that it should not have: a healthy cluster with an error
 * (e.g. a timeout of a slow but live cluster), or the black hole without
 * one. Recorded with the figures, not fatal: it is part of the result.
 */
const anomalies: string[] = [];

/** Ours must name every healthy cluster without error, and the black hole with one. */
function checkOurs(
  a: Answer,
  healthy: string[],
  dead: string[],
  where: string,
): string {
  if (a.unanswered) return 'no answer';
  if (a.status !== 200) {
    throw new Error(`ours answered ${a.status}: ${JSON.stringify(a.body)}`);
  }
  const clusters = (a.body?.clusters ?? []) as Array<{
    cluster: string;
    error?: { kind: string; message: string };
  }>;
  const note = (m: string) => {
    const line = `${where}: ours (snapshot ${a.body.generatedAt}): ${m}`;
    if (!anomalies.includes(line)) {
      anomalies.push(line);
      log(line);
    }
  };
  for (const name of healthy) {
    const c = clusters.find(x => x.cluster === name);
    if (!c) note(`${name} is missing`);
    else if (c.error) note(`${name}: ${c.error.kind}: ${c.error.message}`);
  }
  for (const name of dead) {
    const c = clusters.find(x => x.cluster === name);
    if (!c?.error) note(`${name} has no error: ${JSON.stringify(c)}`);
  }
  return `${a.body.state}; ${clusters
    .map(c => `${c.cluster}${c.error ? ` ${c.error.kind}` : ''}`)
    .join(', ')}`;
}

/** The peer must answer for every healthy cluster, without errors. */
function checkPeer(a: Answer, healthy: string[]): string {
  if (a.unanswered) return 'no answer';
  if (a.status !== 200) {
    throw new Error(`the peer answered ${a.status}: ${JSON.stringify(a.body)}`);
  }
  const items = (a.body?.items ?? []) as Array<{
    cluster: { name: string };
    errors: unknown[];
    resources: Array<{ type: string; resources: unknown[] }>;
  }>;
  for (const name of healthy) {
    const item = items.find(i => i.cluster.name === name);
    if (!item) throw new Error(`the peer: no objects from ${name}`);
    if (item.errors.length) {
      throw new Error(`the peer: ${name}: ${JSON.stringify(item.errors)}`);
    }
  }
  return items
    .map(
      i =>
        `${i.cluster.name} ${i.resources.reduce(
          (n, r) => n + r.resources.length,
          0,
        )} objects${i.errors.length ? `, ${i.errors.length} errors` : ''}`,
    )
    .join(', ');
}

// ----------------------------------------------------------------- namespaces

async function mapLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function createNamespaces(
  sandbox: SandboxFixtures,
  runId: string,
  perCluster: number,
): Promise<void> {
  await Promise.all(
    sandbox.clusters.map(async c => {
      const core = c.kubeConfig('admin').makeApiClient(CoreV1Api);
      const names = Array.from(
        { length: perCluster },
        (_, i) => `bv-${runId}-${String(i).padStart(4, '0')}`,
      );
      await mapLimit(names, 16, name =>
        core.createNamespace({
          body: {
            metadata: {
              name,
              // Tenant namespaces, as the fleet view counts them.
              labels: { [RUN_LABEL]: runId, [TENANT_LABEL]: 'team-bench' },
            },
          },
        }),
      );
    }),
  );
}

/**
 * Deletes every namespace labelled tenancy-bench/views on every cluster (as
 * admin) and waits until they are gone. Returns how many and how long.
 */
async function deleteNamespaces(
  sandbox: SandboxFixtures,
  waitMs = 600_000,
): Promise<{ deleted: number; ms: number }> {
  const started = performance.now();
  const remaining = async () =>
    (
      await Promise.all(
        sandbox.clusters.map(async c => {
          const core = c.kubeConfig('admin').makeApiClient(CoreV1Api);
          return (await core.listNamespace({ labelSelector: RUN_LABEL })).items
            .length;
        }),
      )
    ).reduce((x, y) => x + y, 0);
  let deleted = 0;
  await Promise.all(
    sandbox.clusters.map(async c => {
      const core = c.kubeConfig('admin').makeApiClient(CoreV1Api);
      const names = (
        await core.listNamespace({ labelSelector: RUN_LABEL })
      ).items
        .filter(ns => ns.status?.phase !== 'Terminating')
        .map(ns => ns.metadata!.name!);
      deleted += names.length;
      await mapLimit(names, 16, name =>
        core.deleteNamespace({ name }).catch(error => {
          if ((error as { code?: number }).code !== 404) throw error;
        }),
      );
    }),
  );
  if (deleted === 0 && (await remaining()) === 0) return { deleted, ms: 0 };
  log(`deleting ${deleted} bench namespaces (as admin)…`);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const left = await remaining();
    if (left === 0) break;
    if (Date.now() > deadline) {
      throw new Error(
        `${left} bench namespaces are still terminating after ${
          waitMs / 1000
        } s; run the bench again to finish deleting them`,
      );
    }
    await sleep(2000);
  }
  const elapsed = performance.now() - started;
  log(`deleted ${deleted} bench namespaces in ${ms(elapsed)}`);
  return { deleted, ms: Math.round(elapsed) };
}

// ------------------------------------------------------------------ in-process

function memoryCache(): CacheService {
  const store = new Map<string, JsonValue>();
  const cache: CacheService = {
    get: async <T extends JsonValue>(key: string) =>
      store.get(key) as T | undefined,
    set: async (key, value) => {
      store.set(key, value);
    },
    delete: async key => {
      store.delete(key);
    },
    withOptions: () => cache,
  };
  return cache;
}

interface RefreshFigures {
  /** Kube requests of one refresh, per cluster (the same in every refresh). */
  requests: Record<string, number[]>;
  namespaces: Record<string, number>;
  /** Wall time of the whole refresh (clusters in parallel). */
  refreshMs: Stats;
  /** The fleet view's JSON, computed from the last snapshot. */
  fleetViewBytes: number;
  /** The snapshot as JSON: what the cache holds and every view request reads. */
  snapshotBytes: number;
}

async function refreshFigures(
  service: FleetSnapshotService,
  counts: Record<string, number>,
  refreshes: number,
): Promise<RefreshFigures> {
  const requests: Record<string, number[]> = {};
  const durations: number[] = [];
  let last: FleetSnapshot | undefined;
  for (let i = 0; i < refreshes; i++) {
    for (const key of Object.keys(counts)) delete counts[key];
    const start = performance.now();
    last = await service.refresh();
    durations.push(performance.now() - start);
    for (const c of last.clusters) {
      if (c.error) {
        throw new Error(
          `in-process refresh: ${c.name}: ${JSON.stringify(c.error)}`,
        );
      }
      (requests[c.name] ??= []).push(counts[c.name] ?? 0);
    }
  }
  return {
    requests,
    namespaces: Object.fromEntries(
      last!.clusters.map(c => [c.name, c.namespaces?.length ?? 0]),
    ),
    refreshMs: stats(durations),
    fleetViewBytes: Buffer.byteLength(JSON.stringify(fleetView(last!))),
    snapshotBytes: Buffer.byteLength(JSON.stringify(last!)),
  };
}

// ---------------------------------------------------------------------- main

export async function main(argv: string[]): Promise<number> {
  const settings = parseArgs(argv);
  if (!settings) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const { iterations, warmup, cases } = settings;
  const sandbox = connectSandbox();
  const sandboxOverlay = YAML.parse(
    fs.readFileSync(sandbox.state.overlay, 'utf8'),
  );
  const healthy = sandbox.clusters.map(c => c.name);
  const blackholePort = Number(new URL(sandbox.state.endpoints.blackhole).port);
  const clusterOf = new Map<string, string>([
    ...sandbox.clusters.map(c => [new URL(c.url).origin, c.name] as const),
    [new URL(sandbox.state.endpoints.blackhole).origin, BLACKHOLE],
  ]);
  // Every sandbox cluster must answer before we start.
  await Promise.all(
    sandbox.clusters.map(c =>
      c
        .kubeConfig('admin')
        .makeApiClient(CoreV1Api)
        .listNamespace({ limit: 1 }),
    ),
  );

  await deleteNamespaces(sandbox); // leftovers of an interrupted run

  const runId = randomBytes(3).toString('hex');
  fs.rmSync(WORK_DIR, { recursive: true, force: true });
  fs.mkdirSync(WORK_DIR, { recursive: true, mode: 0o700 });
  const sqliteDir = fs.mkdtempSync(
    path.join(os.tmpdir(), 'tenancy-bench-views-'),
  );
  const requestLogFile = path.join(WORK_DIR, 'requests.log');
  const requestLog = new RequestLog(requestLogFile, clusterOf);
  const portOverlay = path.join(WORK_DIR, 'app-config.port.yaml');
  const blackholeOverlay = path.join(WORK_DIR, 'app-config.blackhole.yaml');
  const url = `http://localhost:${settings.port}`;
  fs.writeFileSync(
    portOverlay,
    YAML.stringify({
      app: { baseUrl: url },
      backend: {
        baseUrl: url,
        listen: { port: settings.port, host: '127.0.0.1' },
        cors: { origin: url },
      },
    }),
  );
  // (b): the sandbox's clusters and a fourth on the black hole, with
  // sandbox-a's token and CA (config arrays replace, so all four).
  const clusters = sandboxOverlay.kubernetes.clusterLocatorMethods[0].clusters;
  const a = clusters.find((c: { name: string }) => c.name === 'sandbox-a');
  fs.writeFileSync(
    blackholeOverlay,
    YAML.stringify({
      kubernetes: {
        clusterLocatorMethods: [
          {
            ...sandboxOverlay.kubernetes.clusterLocatorMethods[0],
            clusters: [
              ...clusters,
              {
                ...a,
                name: BLACKHOLE,
                url: sandbox.state.endpoints.blackhole,
              },
            ],
          },
        ],
      },
      tenancy: { clusterTimeoutMs: settings.clusterTimeoutMs },
    }),
    { mode: 0o600 }, // holds a token
  );
  const baseConfigs = [
    path.join(REPO_ROOT, 'app-config.yaml'),
    path.join(REPO_ROOT, 'app-config.e2e.yaml'),
    sandbox.state.overlay,
    portOverlay,
  ];
  const backendOptions = (label: string, configs: string[]) => ({
    port: settings.port,
    configs,
    sqliteDir,
    requestLog: requestLogFile,
    logFile: path.join(WORK_DIR, `backend-${label}.log`),
  });
  const backendA = new Backend('backend (a)', backendOptions('a', baseConfigs));
  const backendB = new Backend(
    'backend (b)',
    backendOptions('b', [...baseConfigs, blackholeOverlay]),
  );

  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log('interrupted: stopping the backend and deleting the bench namespaces…');
    Promise.all([backendA.stop(), backendB.stop()])
      .then(() => deleteNamespaces(sandbox))
      .catch(error => log(`cleanup failed: ${error}`))
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => {
    backendA.killNow();
    backendB.killNow();
  });

  const started = new Date();
  const loadBefore = os.loadavg()[0];
  const result: Record<string, unknown> = {};
  let catalogReady = false;
  const tag = (i: number, n: number) =>
    i < 0 ? `warm-up ${i + warmup + 1}/${warmup}` : `run ${i + 1}/${n}`;
  const guard = (backend: Backend, what: string) => {
    const before = backend.restarts();
    return () => backend.assertSteady(what, before);
  };
  /** Runs a phase again (up to 3 times) when backstage-cli restarted the backend in it. */
  const retrying = async (
    what: string,
    phase: () => Promise<void>,
    cleanup: () => Promise<void>,
  ) => {
    for (let attempt = 1; ; attempt++) {
      const anomalyCount = anomalies.length;
      try {
        await phase();
        return;
      } catch (error) {
        if (!(error instanceof BackendRestarted) || attempt >= 3) throw error;
        log(
          `${what}: ${error.message}; once more (attempt ${attempt + 1} of 3)`,
        );
        anomalies.length = anomalyCount;
        await cleanup();
      }
    }
  };

  try {
    // ------------------------------------------------------------- (a)
    if (cases.includes('a') || cases.includes('fleet')) {
      await retrying(
        '(a) and fleet',
        async () => {
          await backendA.start();
          const client = new Client(backendA);
          await client.signIn();
          log('waiting for the catalog to ingest the seed…');
          const t0 = Date.now();
          await client.waitForEntity(600_000);
          await client.signIn(); // now with the guest's catalog memberships
          catalogReady = true;
          log(`catalog ready after ${ms(Date.now() - t0)}`);

          if (cases.includes('a')) {
            const check = guard(backendA, '(a)');
            const mark = requestLog.mark();
            const ours: number[] = [];
            const peer: number[] = [];
            const peerCounts: number[] = [];
            const peerPerCluster: Array<Record<string, number>> = [];
            const catalogLookup: number[] = [];
            let oursWithKube = 0;
            let warmCacheHits = 0;
            const bytes = { ours: [] as number[], peer: [] as number[] };
            const warmups: Array<{ ours: number; peer: number }> = [];
            let oursSummary = '';
            let peerSummary = '';
            for (let i = -warmup; i < iterations; i++) {
              const one = async (side: 'ours' | 'peer') => {
                const m = requestLog.mark();
                const answer =
                  side === 'ours'
                    ? await client.ours(settings.peerCapMs)
                    : await client.peer(settings.peerCapMs);
                await sleep(20); // let the logger's last lines land
                const kube = requestLog.since(m);
                if (answer.unanswered) {
                  throw new Error(
                    `(a) ${side}: no answer within ${ms(settings.peerCapMs)}`,
                  );
                }
                if (side === 'ours') {
                  oursSummary = checkOurs(answer, healthy, [], '(a)');
                  if (i >= 0) {
                    if (oursRequests(kube).length) oursWithKube++;
                    if (
                      Date.parse(answer.body.generatedAt) < answer.startedAt
                    ) {
                      warmCacheHits++;
                    }
                    bytes.ours.push(answer.bytes!);
                  }
                } else {
                  peerSummary = checkPeer(answer, healthy);
                  if (i >= 0) {
                    peerCounts.push(peerRequests(kube).length);
                    peerPerCluster.push(perCluster(peerRequests(kube)));
                    bytes.peer.push(answer.bytes!);
                  }
                }
                return answer.ms;
              };
              let o: number;
              let p: number;
              if (i % 2 === 0) {
                o = await one('ours');
                p = await one('peer');
              } else {
                p = await one('peer');
                o = await one('ours');
              }
              const ref = await client.catalog(settings.peerCapMs);
              if (ref.status !== 200) {
                throw new Error(`catalog lookup: ${ref.status}`);
              }
              log(
                `(a) ${tag(i, iterations)}: ours ${ms(o)}, peer ${ms(
                  p,
                )} (catalog lookup ${ms(ref.ms)})`,
              );
              if (i >= 0) {
                ours.push(o);
                peer.push(p);
                catalogLookup.push(ref.ms);
              } else {
                warmups.push({ ours: round1(o), peer: round1(p) });
              }
            }
            check();
            const window = requestLog.since(mark);
            const aOurs = stats(ours);
            const aPeer = stats(peer);
            result.a = {
              title: 'all clusters healthy, warm',
              ours: aOurs,
              peer: aPeer,
              ratioP50: ratio(aOurs.p50Ms, aPeer.p50Ms),
              ratioP95: ratio(aOurs.p95Ms, aPeer.p95Ms),
              // GET /api/catalog/entities/by-name/…: the lookup both sides make first.
              catalogLookupReference: stats(catalogLookup),
              warmups,
              answers: { ours: oursSummary, peer: peerSummary },
              responseBytes: {
                ours: median(bytes.ours),
                peer: median(bytes.peer),
              },
              kubeRequests: {
                peerPerRequest: {
                  median: median(peerCounts),
                  min: Math.min(...peerCounts),
                  max: Math.max(...peerCounts),
                  perCluster: peerPerCluster[0],
                },
                oursRequestsOverlappingARefresh: oursWithKube,
                oursFromAnExistingSnapshot: warmCacheHits,
                oursBackgroundRefreshes: Object.fromEntries(
                  healthy.map(c => [c, refreshSizes(window, c)]),
                ),
                // Every kube request while (a) ran, by side.
                window: {
                  peer: perCluster(peerRequests(window)),
                  ours: perCluster(oursRequests(window)),
                },
              },
            };
            log(
              `(a) ours ${ms(aOurs.p50Ms)} / ${ms(aOurs.p95Ms)}, peer ${ms(
                aPeer.p50Ms,
              )} / ${ms(aPeer.p95Ms)}: ${ratio(aOurs.p50Ms, aPeer.p50Ms)}x`,
            );
          }

          // ---------------------------------------------------------- fleet
          if (cases.includes('fleet')) {
            const check = guard(backendA, 'fleet');
            // The portal's own configuration, in-process, as in
            // FleetSnapshotService.test.ts (but with the configured page size).
            const appConfig =
              YAML.parse(
                fs.readFileSync(
                  path.join(REPO_ROOT, 'app-config.yaml'),
                  'utf8',
                ),
              ) ?? {};
            const config = ConfigReader.fromConfigs([
              {
                context: 'app-config.yaml',
                data: { tenancy: appConfig.tenancy ?? {} },
              },
              { context: sandbox.state.overlay, data: sandboxOverlay },
            ]);
            const quiet: LoggerService = {
              error: m => log(`fleet: ${m}`),
              warn: m => log(`fleet: ${m}`),
              info: () => {},
              debug: () => {},
              child: () => quiet,
            };
            const counts: Record<string, number> = {};
            const service = new FleetSnapshotService({
              config,
              cache: memoryCache(),
              logger: quiet,
              registry: DefaultClusterRegistry.fromConfig(config, {
                logger: quiet,
              }),
              onRequest: name => {
                counts[name] = (counts[name] ?? 0) + 1;
              },
            });
            const fleet = config.getOptionalConfig('tenancy.fleet');
            const pageSize = fleet?.getOptionalNumber('pageSize') ?? 500;

            const before = await refreshFigures(
              service,
              counts,
              settings.refreshes,
            );
            log(
              `fleet: before: ${healthy
                .map(
                  c =>
                    `${c} ${before.namespaces[c]} namespaces, ${before.requests[
                      c
                    ].join('/')} requests`,
                )
                .join('; ')}`,
            );
            log(
              `fleet: creating ${settings.namespaces} namespaces on each cluster…`,
            );
            const createStart = performance.now();
            await createNamespaces(sandbox, runId, settings.namespaces);
            const createdAt = Date.now();
            const createdMark = requestLog.mark();
            const createMs = performance.now() - createStart;
            log(
              `fleet: created ${settings.namespaces * healthy.length} in ${ms(
                createMs,
              )}`,
            );
            const after = await refreshFigures(
              service,
              counts,
              settings.refreshes,
            );
            log(
              `fleet: after: ${healthy
                .map(
                  c =>
                    `${c} ${after.namespaces[c]} namespaces, ${after.requests[
                      c
                    ].join('/')} requests`,
                )
                .join('; ')}; snapshot ${Math.round(
                after.snapshotBytes / 1024,
              )} KiB (before ${Math.round(before.snapshotBytes / 1024)} KiB)`,
            );

            // The same with the portal backend: the peer's requests for one
            // entity, both sides' latency, and the backend's own refreshes.
            const client = new Client(backendA);
            await client.signIn();
            await client.waitForEntity(60_000);
            const ours: number[] = [];
            const peer: number[] = [];
            const peerCounts: number[] = [];
            // The backend's own refreshes since the namespaces exist: sample
            // once each cluster has had a complete one.
            const deadline = Date.now() + 150_000;
            const backendRefreshes = () => {
              const since = requestLog.since(createdMark);
              return Object.fromEntries(
                healthy.map(c => [c, refreshSizes(since, c)]),
              );
            };
            log('fleet: waiting for a complete refresh of the backend…');
            while (
              !Object.values(backendRefreshes()).every(x => x.length > 0) &&
              Date.now() < deadline
            ) {
              await sleep(1000);
            }
            let fromNewSnapshot = 0;
            for (let i = 0; i < settings.fleetIterations; i++) {
              const order = i % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours'];
              for (const side of order) {
                if (side === 'ours') {
                  const answer = await client.ours(settings.peerCapMs);
                  checkOurs(answer, healthy, [], 'fleet');
                  if (Date.parse(answer.body.generatedAt) > createdAt) {
                    fromNewSnapshot++;
                  }
                  ours.push(answer.ms);
                } else {
                  const m = requestLog.mark();
                  const answer = await client.peer(settings.peerCapMs);
                  checkPeer(answer, healthy);
                  peer.push(answer.ms);
                  await sleep(20);
                  peerCounts.push(peerRequests(requestLog.since(m)).length);
                }
              }
            }
            check();
            const sizes = backendRefreshes();
            const pick = (f: RefreshFigures) =>
              Object.fromEntries(
                healthy.map(c => [
                  c,
                  {
                    namespaces: f.namespaces[c],
                    requestsPerRefresh: f.requests[c],
                  },
                ]),
              );
            result.fleet = {
              title: `${settings.namespaces} new namespaces per cluster`,
              namespacesPerCluster: settings.namespaces,
              pageSize,
              createMs: Math.round(createMs),
              inProcess: {
                before: {
                  clusters: pick(before),
                  refreshMs: before.refreshMs,
                  fleetViewBytes: before.fleetViewBytes,
                  snapshotBytes: before.snapshotBytes,
                },
                after: {
                  clusters: pick(after),
                  refreshMs: after.refreshMs,
                  fleetViewBytes: after.fleetViewBytes,
                  snapshotBytes: after.snapshotBytes,
                },
              },
              backendRefreshesAfter: sizes,
              withTheNamespaces: {
                // Answers from a snapshot made after the namespaces existed.
                oursFromTheNewSnapshot: fromNewSnapshot,
                ours: stats(ours),
                peer: stats(peer),
                ratioP50: ratio(stats(ours).p50Ms, stats(peer).p50Ms),
                peerKubeRequestsPerRequest: {
                  median: median(peerCounts),
                  min: Math.min(...peerCounts),
                  max: Math.max(...peerCounts),
                },
              },
            };
            log(
              `fleet: with the namespaces: ours ${ms(
                stats(ours).p50Ms,
              )}, peer ${ms(stats(peer).p50Ms)} (${median(
                peerCounts,
              )} kube requests per request); backend refreshes ${JSON.stringify(
                sizes,
              )}`,
            );
          }
          await backendA.stop();
        },
        async () => {
          await backendA.stop();
          await deleteNamespaces(sandbox);
        },
      );
    }

    const deletion = await deleteNamespaces(sandbox);
    if (result.fleet)
      (result.fleet as Record<string, unknown>).deleteMs = deletion.ms;

    // ------------------------------------------------------------- (b)
    if (cases.includes('b')) {
      if (!catalogReady) {
        // The cold request must find the catalog ready: ingest it first.
        await backendB.start();
        const client = new Client(backendB);
        await client.signIn();
        log('waiting for the catalog to ingest the seed…');
        await client.waitForEntity(600_000);
        await backendB.stop();
      }
      await retrying(
        '(b)',
        async () => {
          const bound = settings.clusterTimeoutMs + settings.marginMs;
          // Cold for sure, in-process: FleetSnapshotService.get() on an empty
          // cache with (b)'s configuration — the path of a first request that
          // finds no snapshot (in the backend, the start-up refresh often wins).
          const bConfig = ConfigReader.fromConfigs([
            { context: sandbox.state.overlay, data: sandboxOverlay },
            {
              context: blackholeOverlay,
              data: YAML.parse(fs.readFileSync(blackholeOverlay, 'utf8')),
            },
          ]);
          const silent: LoggerService = {
            error: m => log(`(b) in-process: ${m}`),
            warn: () => {},
            info: () => {},
            debug: () => {},
            child: () => silent,
          };
          const inProcessCold: Array<{ ms: number; clusters: string }> = [];
          for (let i = 0; i < settings.refreshes; i++) {
            const service = new FleetSnapshotService({
              config: bConfig,
              cache: memoryCache(),
              logger: silent,
              registry: DefaultClusterRegistry.fromConfig(bConfig, {
                logger: silent,
              }),
            });
            const t = performance.now();
            const snapshot = await service.get();
            const elapsed = performance.now() - t;
            const clusterText = snapshot.clusters
              .map(c => `${c.name}${c.error ? ` ${c.error.kind}` : ''}`)
              .join(', ');
            for (const c of snapshot.clusters) {
              const dead = c.name === BLACKHOLE;
              if (dead !== Boolean(c.error)) {
                const line = `(b) in-process cold: ${c.name}: ${
                  c.error ? `${c.error.kind}: ${c.error.message}` : 'no error'
                }`;
                anomalies.push(line);
                log(line);
              }
            }
            inProcessCold.push({ ms: round1(elapsed), clusters: clusterText });
            log(`(b) in-process cold get(): ${ms(elapsed)} (${clusterText})`);
          }
          const mark = requestLog.mark();
          await backendB.start();
          const check = guard(backendB, '(b)');
          const client = new Client(backendB);
          // Cold: the first request after the restart, as soon as it listens.
          await client.signIn();
          const oursCold = await client.ours(settings.peerCapMs);
          const oursColdSummary = checkOurs(
            oursCold,
            healthy,
            [BLACKHOLE],
            '(b) cold',
          );
          const sinceStart = requestLog.since(mark);
          // How old the snapshot was when the request began: negative when
          // it was finished while the request waited (the start-up refresh
          // or the request's own; versionRequestsSinceStart tells how many
          // refreshes had started).
          const snapshotAgeMs = oursCold.unanswered
            ? undefined
            : oursCold.startedAt - Date.parse(oursCold.body.generatedAt);
          const coldSnapshot = (age?: number) =>
            age === undefined
              ? 'no answer'
              : age < 0
              ? `snapshot finished ${ms(-age)} into the request`
              : `snapshot ${ms(age)} old`;
          log(
            `(b) cold: ours ${ms(
              oursCold.ms,
            )} (${oursColdSummary}; ${coldSnapshot(snapshotAgeMs)})`,
          );
          await client.waitForEntity(60_000);
          const pm = requestLog.mark();
          const peerCold = await client.peer(settings.peerCapMs);
          await sleep(20);
          const peerColdRequests = peerRequests(requestLog.since(pm));
          const socketsAfterCold = socketsTo(blackholePort);
          const peerColdSummary = checkPeer(peerCold, healthy);
          log(
            `(b) cold: peer ${
              peerCold.unanswered
                ? `no answer within ${ms(settings.peerCapMs)}`
                : `${ms(peerCold.ms)} (${peerColdSummary})`
            }; ${peerColdRequests.length} kube requests`,
          );

          const ours: number[] = [];
          const peer: Answer[] = [];
          const peerKube: number[] = [];
          let unanswered = peerCold.unanswered ? 1 : 0;
          let oursSummary = '';
          let peerSummary = peerColdSummary;
          const askPeer = () =>
            !peerCold.unanswered || unanswered < 1 + settings.peerHangs;
          for (let i = -warmup; i < iterations; i++) {
            const one = async (side: 'ours' | 'peer') => {
              if (side === 'ours') {
                const answer = await client.ours(settings.peerCapMs);
                oursSummary = checkOurs(answer, healthy, [BLACKHOLE], '(b)');
                if (i >= 0) ours.push(answer.ms);
                return ms(answer.ms);
              }
              if (!askPeer()) return 'not asked';
              const m = requestLog.mark();
              const answer = await client.peer(settings.peerCapMs);
              await sleep(20);
              peerSummary = checkPeer(answer, healthy);
              if (answer.unanswered) unanswered++;
              // Warm-ups of a peer that never answers are measurements too.
              if (i >= 0 || answer.unanswered) {
                peer.push(answer);
                peerKube.push(peerRequests(requestLog.since(m)).length);
              }
              return answer.unanswered
                ? `no answer within ${ms(settings.peerCapMs)}`
                : ms(answer.ms);
            };
            let o: string;
            let p: string;
            if (i % 2 === 0) {
              o = await one('ours');
              p = await one('peer');
            } else {
              p = await one('peer');
              o = await one('ours');
            }
            log(`(b) ${tag(i, iterations)}: ours ${o}, peer ${p}`);
          }
          check();
          const socketsAtEnd = socketsTo(blackholePort);
          await backendB.stop();
          const bOurs = stats(ours);
          const peerAnswered = peer.filter(x => !x.unanswered).map(x => x.ms);
          const bPeer = stats(peer.map(x => x.ms));
          const peerAllUnanswered =
            peer.length > 0 && peerAnswered.length === 0;
          const coldOk =
            !oursCold.unanswered &&
            oursCold.ms <= bound &&
            inProcessCold.every(x => x.ms <= bound);
          const warmOk = bOurs.maxMs <= bound;
          result.b = {
            title: `one cluster black-holed (${BLACKHOLE}), tenancy.clusterTimeoutMs ${settings.clusterTimeoutMs}`,
            clusterTimeoutMs: settings.clusterTimeoutMs,
            boundMs: bound,
            capMs: settings.peerCapMs,
            cold: {
              // FleetSnapshotService.get() on an empty cache, in the bench's process.
              oursInProcess: inProcessCold,
              ours: {
                ms: round1(oursCold.ms),
                snapshotAgeMs,
                snapshot: coldSnapshot(snapshotAgeMs),
                answer: oursColdSummary,
                // Ours' kube requests from the start of the backend to the cold answer.
                kubeRequestsSinceStart: perCluster(oursRequests(sinceStart)),
                versionRequestsSinceStart: perCluster(
                  oursRequests(sinceStart).filter(r =>
                    r.path.startsWith('/version'),
                  ),
                ),
              },
              peer: {
                ms: round1(peerCold.ms),
                unanswered: peerCold.unanswered,
                answer: peerColdSummary,
                kubeRequests: perCluster(peerColdRequests),
              },
            },
            warm: {
              ours: bOurs,
              oursAnswer: oursSummary,
              peer: {
                asked: peer.length,
                unanswered: peer.length - peerAnswered.length,
                samplesMs: bPeer.samplesMs,
                answer: peerSummary,
                kubeRequestsPerRequest: peerKube,
              },
              // Upper bounds when the peer never answered: its time is > cap.
              ratioP50: ratio(bOurs.p50Ms, bPeer.p50Ms),
              ratioP50IsUpperBound: peerAllUnanswered,
            },
            // Open TCP connections from the backend to the black hole: after the
            // cold requests, and after the last request (before the stop).
            socketsToTheBlackHole: {
              afterCold: socketsAfterCold,
              atEnd: socketsAtEnd,
            },
            oursBounded: coldOk && warmOk,
          };
          log(
            `(b) warm: ours ${ms(bOurs.p50Ms)} / ${ms(bOurs.p95Ms)} (max ${ms(
              bOurs.maxMs,
            )}); peer ${peer.length - peerAnswered.length} of ${
              peer.length
            } unanswered`,
          );
        },
        () => backendB.stop(),
      );
    }

    // ------------------------------------------------------------ report
    const loadAfter = os.loadavg()[0];
    const rows: string[][] = [
      ['case', 'ours p50 / p95', 'peer p50 / p95', 'ours/peer (p50)'],
    ];
    const A = result.a as any;
    const B = result.b as any;
    const F = result.fleet as any;
    const verdicts: string[] = [];
    if (A) {
      rows.push([
        '(a) all clusters healthy, warm',
        `${ms(A.ours.p50Ms)} / ${ms(A.ours.p95Ms)}`,
        `${ms(A.peer.p50Ms)} / ${ms(A.peer.p95Ms)}`,
        times(A.ratioP50),
      ]);
      verdicts.push(
        A.ratioP50 <= GOAL_A
          ? `(a) meets the goal (ours <= ${GOAL_A}x the peer): ${A.ratioP50.toFixed(
              3,
            )}x`
          : `(a) MISSES the goal (ours <= ${GOAL_A}x the peer): ${A.ratioP50.toFixed(
              3,
            )}x`,
      );
    }
    if (B) {
      const capText = `no answer in ${ms(B.capMs)}`;
      rows.push([
        '(b) one cluster black-holed, cold (1st request after restart)',
        `${ms(B.cold.ours.ms)} (${B.cold.ours.snapshot})`,
        B.cold.peer.unanswered ? capText : ms(B.cold.peer.ms),
        B.cold.peer.unanswered
          ? times(ratio(B.cold.ours.ms, B.capMs), true)
          : times(ratio(B.cold.ours.ms, B.cold.peer.ms)),
      ]);
      const inProcess = B.cold.oursInProcess as Array<{ ms: number }>;
      rows.push([
        '(b) cold, in-process get() on an empty cache',
        `${inProcess.map(x => ms(x.ms)).join(', ')}`,
        '',
        '',
      ]);
      rows.push([
        '(b) one cluster black-holed, warm',
        `${ms(B.warm.ours.p50Ms)} / ${ms(B.warm.ours.p95Ms)}`,
        B.warm.peer.unanswered === B.warm.peer.asked
          ? `${capText} (${B.warm.peer.asked} of ${B.warm.peer.asked})`
          : `${ms(stats(B.warm.peer.samplesMs).p50Ms)} / ${ms(
              stats(B.warm.peer.samplesMs).p95Ms,
            )} (${B.warm.peer.unanswered} of ${B.warm.peer.asked} unanswered)`,
        times(B.warm.ratioP50, B.warm.ratioP50IsUpperBound),
      ]);
      verdicts.push(
        B.oursBounded
          ? `(b) ours is bounded by the timeout: cold ${ms(
              B.cold.ours.ms,
            )} (in-process, empty cache: max ${ms(
              Math.max(...inProcess.map(x => x.ms)),
            )}), warm max ${ms(B.warm.ours.maxMs)} <= ${B.clusterTimeoutMs} + ${
              settings.marginMs
            } ms; the peer ${
              B.cold.peer.unanswered
                ? `did not answer within ${ms(B.capMs)}`
                : `answered in ${ms(B.cold.peer.ms)}`
            }`
          : `(b) ours is NOT bounded by the timeout: cold ${ms(
              B.cold.ours.ms,
            )} (in-process, empty cache: max ${ms(
              Math.max(...inProcess.map(x => x.ms)),
            )}), warm max ${ms(B.warm.ours.maxMs)} > ${B.clusterTimeoutMs} + ${
              settings.marginMs
            } ms`,
      );
    }
    if (F) {
      rows.push([
        `fleet: ${F.namespacesPerCluster} new namespaces/cluster, warm`,
        `${ms(F.withTheNamespaces.ours.p50Ms)} / ${ms(
          F.withTheNamespaces.ours.p95Ms,
        )}`,
        `${ms(F.withTheNamespaces.peer.p50Ms)} / ${ms(
          F.withTheNamespaces.peer.p95Ms,
        )}`,
        times(F.withTheNamespaces.ratioP50),
      ]);
    }
    const requestRows: string[][] = [['kube requests', ...healthy, 'total']];
    const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
    if (F) {
      const line = (label: string, f: any) => {
        const per = healthy.map(
          c => f.clusters[c].requestsPerRefresh[0] as number,
        );
        requestRows.push([
          label,
          ...healthy.map(
            c =>
              `${[...new Set(f.clusters[c].requestsPerRefresh)].join('/')} (${
                f.clusters[c].namespaces
              } ns)`,
          ),
          String(sum(per)),
        ]);
      };
      line('ours: one fleet refresh, before', F.inProcess.before);
      line(
        `ours: one fleet refresh, +${F.namespacesPerCluster} ns`,
        F.inProcess.after,
      );
    }
    if (A) {
      const per = A.kubeRequests.peerPerRequest.perCluster as Record<
        string,
        number
      >;
      requestRows.push([
        'peer: one entity, one request',
        ...healthy.map(c => String(per[c] ?? 0)),
        String(A.kubeRequests.peerPerRequest.median),
      ]);
      requestRows.push([
        'ours: one entity, one request',
        ...healthy.map(() => '0'),
        '0',
      ]);
    }
    if (F) {
      requestRows.push([
        `peer: one entity, +${F.namespacesPerCluster} ns`,
        ...healthy.map(() => ''),
        String(F.withTheNamespaces.peerKubeRequestsPerRequest.median),
      ]);
    }
    const notes = [
      `One portal backend process (packages/backend, yarn backstage-cli package start, NODE_ENV=development), guest user, entity ${ENTITY.kind}:${ENTITY.namespace}/${ENTITY.name}.`,
      `ours: GET /api/tenancy/entities/${ENTITY.kind}/${ENTITY.namespace}/${ENTITY.name}/health (from the fleet snapshot, refreshed in the background).`,
      `peer: POST /api/kubernetes/services/${ENTITY.name} {entity, auth: {}} (what the Kubernetes tab sends, every 10 s while open).`,
      `${iterations} requests per side after ${warmup} warm-ups, sequential, alternating which side goes first; p50 = median, p95 nearest rank.`,
      A
        ? `(a) reference, not a side: the catalog lookup alone (GET /api/catalog/entities/by-name/…), which both sides make first: ${ms(
            A.catalogLookupReference.p50Ms,
          )} / ${ms(A.catalogLookupReference.p95Ms)}.`
        : '',
      B
        ? `(b): a fourth cluster on the sandbox's black hole, tenancy.clusterTimeoutMs ${
            B.clusterTimeoutMs
          }; the bench gives up on a request after ${ms(
            B.capMs,
          )}; cold = the first request after the restart.`
        : '',
      B
        ? `(b): the backend had ${
            B.socketsToTheBlackHole.atEnd ?? '?'
          } connections open to the black hole at the end (${
            B.socketsToTheBlackHole.afterCold ?? '?'
          } after the cold requests): the peer never gives up on a request; ours aborts its own at the timeout.`
        : '',
    ].filter(Boolean);
    const load = `load average ${loadBefore.toFixed(
      1,
    )} before, ${loadAfter.toFixed(1)} after`;
    process.stdout.write(
      `\nViews bench — ${started.toISOString()} — ${
        os.cpus().length
      } CPUs, ${load}\n\n${table(rows)}\n\n${
        requestRows.length > 1 ? `${table(requestRows)}\n\n` : ''
      }${notes.join('\n')}\n\n${verdicts
        .map(v => `Verdict: ${v}`)
        .join('\n')}\n${
        anomalies.length
          ? `\nAnomalies (ours):\n${anomalies.map(x => `  ${x}`).join('\n')}\n`
          : ''
      }`,
    );

    const out = {
      bench: 'views',
      date: started.toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        kubernetes: sandbox.state.kubernetesVersion,
        loadAverage1m: {
          before: Math.round(loadBefore * 100) / 100,
          after: Math.round(loadAfter * 100) / 100,
        },
      },
      settings: {
        ...settings,
        out: undefined,
        entity: `${ENTITY.kind}:${ENTITY.namespace}/${ENTITY.name}`,
        clusters: healthy,
        ours: `GET /api/tenancy/entities/${ENTITY.kind}/${ENTITY.namespace}/${ENTITY.name}/health`,
        peer: `POST /api/kubernetes/services/${ENTITY.name} {entity, auth: {}}`,
        backend:
          'packages/backend, yarn backstage-cli package start, one process for both',
        identity: 'guest (user:default/guest)',
      },
      cases: result,
      goals: {
        a: `ours p50 <= ${GOAL_A}x the peer's, warm`,
        b: 'ours bounded by tenancy.clusterTimeoutMs + margin, cold and warm',
      },
      verdicts,
      anomalies,
    };
    fs.mkdirSync(path.dirname(settings.out), { recursive: true });
    fs.writeFileSync(settings.out, `${JSON.stringify(out, null, 2)}\n`);
    log(`wrote ${path.relative(process.cwd(), settings.out)}`);
  } finally {
    if (!interrupted) {
      await backendA.stop();
      await backendB.stop();
      await deleteNamespaces(sandbox).catch(error =>
        log(`could not delete the bench namespaces: ${error}`),
      );
      fs.rmSync(sqliteDir, { recursive: true, force: true });
      // The overlays hold a token; the logs stay for a look.
      fs.rmSync(blackholeOverlay, { force: true });
    }
  }
  return 0;
}
