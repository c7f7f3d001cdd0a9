/**
 * bench/load — N concurrent users (default 50) reading the fleet, a tenant
 * and a service's health from the portal backend for D seconds (default 60),
 * against one replica and against two: requests/s, p50/p95/p99, errors (must
 * be 0) and the peak RSS of every replica.
 *
 * Replicas are the real portal backend (packages/backend, all features,
 * `yarn backstage-cli package start`, NODE_ENV=development for the personas
 * sign-in; the Backend class of bench/views) with app-config.yaml, the
 * sandbox's overlay and one overlay per replica: its own port, and ONE
 * PostgreSQL database set (pluginDivisionMode database, a prefix per
 * scenario) and ONE Redis cache shared by the replicas of a scenario, so the
 * only difference between the scenarios is the number of replicas. The bench
 * starts a private, throw-away PostgreSQL and Redis itself (as
 * scripts/services.sh does for the tests) unless --pg-url / --redis-url name
 * servers to use, and stops everything it started at the end, also on error
 * and Ctrl-C.
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
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { connectSandbox } from '@tenancy/sandbox';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client as PgClient } from 'pg';
import YAML from 'yaml';
import { Backend, log, ms, portInUse, sleep, table } from '../views/run';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const WORK_DIR = path.join(REPO_ROOT, 'var', 'bench', 'load');
const DEFAULT_OUT = path.join(REPO_ROOT, 'var', 'bench', 'load.json');
/** A seeded service (packages/sandbox/catalog/seed.yaml) and a seeded team. */
const SERVICE = 'payments-api';
const TENANT = 'team-payments';
const ROUTES = [
  { id: 'fleet', path: '/api/tenancy/fleet' },
  { id: 'tenant', path: `/api/tenancy/tenants/default/${TENANT}` },
  {
    id: 'service-health',
    path: `/api/tenancy/entities/component/default/${SERVICE}/health`,
  },
] as const;
/** What the routes need in the catalog: the service, the team, pat and the platform team. */
const SEEDED = [
  `component/default/${SERVICE}`,
  `group/default/${TENANT}`,
  'user/default/pat',
  'group/default/platform-team',
];
const SAMPLE_EVERY_MS = 500;
/** Set on Ctrl-C: the users stop and stay quiet while the cleanup runs. */
let aborted = false;

interface Settings {
  duration: number;
  users: number;
  warmup: number;
  idle: number;
  scenarios: number[];
  timeoutMs: number;
  pgUrl?: string;
  redisUrl?: string;
  out: string;
}

function usage(): string {
  return [
    'usage: ./bench/run load [--duration S] [--users N] [--scenarios 1,2] [--warmup S] [--idle S]',
    '                        [--pg-url URL] [--redis-url URL] [--timeout MS] [--out FILE]',
    '',
    '  --duration S     measured seconds per scenario (default 60)',
    '  --users N        concurrent users, closed loops (default 50)',
    '  --scenarios LIST replica counts, in this order (default 1,2)',
    '  --warmup S       seconds of the same load before measuring, unmeasured (default 10)',
    "  --idle S         seconds without load before the warm-up: each replica's own CPU (default 10)",
    '  --timeout MS     a request that takes longer is an error (default 30000)',
    '  --pg-url URL     use this PostgreSQL server (postgresql://user@host:port) instead of',
    '                   starting a throw-away one; the bench drops its databases at the end',
    '  --redis-url URL  use this Redis server (redis://host:port) instead of starting one',
    `  --out FILE       JSON results (default ${path.relative(
      REPO_ROOT,
      DEFAULT_OUT,
    )})`,
    '',
    'Runs on the running sandbox (yarn sandbox up; TENANCY_SANDBOX_DIR selects which); starts',
    'and stops the portal backend replicas itself (packages/backend, yarn backstage-cli package',
    'start) on free ports. Exits 1 if any measured request failed.',
  ].join('\n');
}

function parseArgs(argv: string[]): Settings | undefined {
  const settings: Settings = {
    duration: 60,
    users: 50,
    warmup: 10,
    idle: 10,
    scenarios: [1, 2],
    timeoutMs: 30_000,
    out: DEFAULT_OUT,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const count = (min: number, v = value()) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) {
        throw new Error(`${flag} must be an integer >= ${min}`);
      }
      return n;
    };
    switch (flag) {
      case '--duration':
        settings.duration = count(1);
        break;
      case '--users':
        settings.users = count(1);
        break;
      case '--warmup':
        settings.warmup = count(0);
        break;
      case '--idle':
        settings.idle = count(0);
        break;
      case '--timeout':
        settings.timeoutMs = count(100);
        break;
      case '--scenarios': {
        const list = value().split(',').filter(Boolean);
        if (!list.length) throw new Error('--scenarios: e.g. 1,2');
        settings.scenarios = list.map(x => count(1, x));
        break;
      }
      case '--pg-url':
        settings.pgUrl = value();
        break;
      case '--redis-url':
        settings.redisUrl = value();
        break;
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

// ---------------------------------------------------------------- statistics

/** Nearest rank: the smallest sample with at least p of them at or below it. */
function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

interface Latency {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function latency(samples: number[]): Latency {
  const sorted = Float64Array.from(samples).sort();
  const all = Array.from(sorted);
  return {
    p50Ms: round1(percentile(all, 0.5)),
    p95Ms: round1(percentile(all, 0.95)),
    p99Ms: round1(percentile(all, 0.99)),
    maxMs: round1(all[all.length - 1] ?? NaN),
    meanMs: round1(all.reduce((x, y) => x + y, 0) / (all.length || 1)),
  };
}

const mib = (kib: number) => Math.round(kib / 1024);

// ---------------------------------------------------------------- services

/** A port nobody listens on now (the kernel's pick), not one handed out before. */
const handedOut = new Set<number>();
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as net.AddressInfo;
        server.close(() => resolve(p));
      });
    });
    if (!handedOut.has(port) && !(await portInUse(port))) {
      handedOut.add(port);
      return port;
    }
  }
}

const isRoot = () => process.getuid?.() === 0;

function pgBindir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter(v => fs.existsSync(path.join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length) return path.join(root, versions[0], 'bin');
  try {
    return path.dirname(
      execFileSync('sh', ['-c', 'command -v postgres'], {
        encoding: 'utf8',
      }).trim(),
    );
  } catch {
    throw new Error(
      'no PostgreSQL server binaries (postgres, initdb, pg_ctl): install PostgreSQL (apt-get install postgresql) or pass --pg-url',
    );
  }
}

/**
 * A private, throw-away PostgreSQL on 127.0.0.1, as start_test_postgres in
 * scripts/services.sh makes it: initdb in a temporary folder (as the
 * postgres user when we are root: PostgreSQL refuses to run as root), fsync
 * off, deleted by stop().
 */
class PgServer {
  private constructor(
    readonly url: string,
    readonly version: string,
    private readonly dir: string,
    private readonly bindir: string,
  ) {}

  private static as(): string[] {
    return isRoot() ? ['runuser', '-u', 'postgres', '--'] : [];
  }

  private static run(bindir: string, tool: string, args: string[]): void {
    const [cmd, ...pre] = [...PgServer.as(), path.join(bindir, tool)];
    // From /, which the postgres user can always enter.
    execFileSync(cmd, [...pre, ...args], { cwd: '/', stdio: 'pipe' });
  }

  static async start(): Promise<PgServer> {
    const bindir = pgBindir();
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenancy-load-pg-'));
    if (isRoot()) {
      const id = (flag: string) =>
        Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
      fs.chownSync(dir, id('-u'), id('-g'));
    }
    const data = path.join(dir, 'data');
    const logFile = path.join(dir, 'log');
    try {
      PgServer.run(bindir, 'initdb', [
        '-D',
        data,
        '-U',
        'tenancy',
        '-A',
        'trust',
        '--no-sync',
      ]);
      PgServer.run(bindir, 'pg_ctl', [
        '-D',
        data,
        '-l',
        logFile,
        '-w',
        '-t',
        '60',
        '-o',
        `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`,
        'start',
      ]);
    } catch (error) {
      const tail = fs.existsSync(logFile)
        ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n')
        : '';
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `PostgreSQL did not start: ${
          (error as { stderr?: Buffer }).stderr?.toString() ?? error
        }\n${tail}`,
      );
    }
    const version =
      /\(PostgreSQL\) (\S+)/.exec(
        execFileSync(path.join(bindir, 'postgres'), ['--version'], {
          encoding: 'utf8',
        }),
      )?.[1] ?? '?';
    return new PgServer(
      `postgresql://tenancy@127.0.0.1:${port}`,
      version,
      dir,
      bindir,
    );
  }

  /** Synchronous, so that it can run on process exit too. */
  stop(): void {
    if (!fs.existsSync(this.dir)) return;
    try {
      PgServer.run(this.bindir, 'pg_ctl', [
        '-D',
        path.join(this.dir, 'data'),
        '-m',
        'immediate',
        '-w',
        'stop',
      ]);
    } catch (error) {
      log(`could not stop PostgreSQL in ${this.dir}: ${error}`);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Answers PING with PONG (no AUTH: our own server). */
function redisPing(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', chunk => done(chunk.toString().startsWith('+PONG')));
  });
}

/**
 * A private, throw-away Redis on 127.0.0.1, as start_test_redis in
 * scripts/services.sh makes it: no persistence, a temporary folder.
 */
class RedisServer {
  private exited = false;

  private constructor(
    readonly url: string,
    readonly version: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    child.once('exit', () => {
      this.exited = true;
    });
  }

  static async start(): Promise<RedisServer> {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenancy-load-redis-'));
    const logFile = path.join(dir, 'log');
    const child = spawn(
      'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--logfile',
        logFile,
      ],
      { stdio: 'ignore' },
    );
    let failure: Error | undefined;
    child.once('error', error => {
      failure = error;
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const deadline = Date.now() + 30_000;
    while (!(await redisPing(port))) {
      if (failure || exited || Date.now() > deadline) {
        child.kill('SIGKILL');
        const tail = fs.existsSync(logFile)
          ? fs.readFileSync(logFile, 'utf8')
          : '';
        fs.rmSync(dir, { recursive: true, force: true });
        throw new Error(
          (failure as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
            ? 'no redis-server: install it (apt-get install redis-server) or pass --redis-url'
            : `redis-server did not start: ${failure ?? ''}\n${tail}`,
        );
      }
      await sleep(200);
    }
    let version = '?';
    try {
      version =
        /v=(\S+)/.exec(
          execFileSync('redis-server', ['--version'], { encoding: 'utf8' }),
        )?.[1] ?? '?';
    } catch {
      // the version is for the report only
    }
    return new RedisServer(`redis://127.0.0.1:${port}`, version, child, dir);
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      this.child.kill('SIGTERM');
      const deadline = Date.now() + 10_000;
      while (!this.exited && Date.now() < deadline) await sleep(100);
      if (!this.exited) this.child.kill('SIGKILL');
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  killNow(): void {
    if (!this.exited) this.child.kill('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The maintenance database of a server URL (where CREATE/DROP DATABASE run). */
function maintenanceUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

/** Drops the databases of one scenario (on a server the bench did not start). */
async function dropDatabases(url: string, prefix: string): Promise<number> {
  const client = new PgClient({ connectionString: maintenanceUrl(url) });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [prefix],
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    return rows.length;
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------- the processes

/**
 * The pid of the process listening on 127.0.0.1:port: the backend's node
 * process (src/index.ts), the grandchild of the `yarn` the Backend starts.
 */
function listenerPid(port: number): number | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let inode: string | undefined;
  for (const line of fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.endsWith(`:${hex}`) && f[3] === '0A') inode = f[9];
  }
  if (!inode) return undefined;
  const target = `socket:[${inode}]`;
  for (const pid of fs.readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
    try {
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
        try {
          if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === target)
            return Number(pid);
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return undefined;
}

/** VmRSS and VmHWM (the kernel's peak) of a process, in KiB. */
function memoryOf(pid: number): { rssKiB: number; hwmKiB: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
  } catch {
    return undefined;
  }
}

let clockTicks = 0;
/** User + system CPU seconds a process has used. */
function cpuSecondsOf(pid: number): number | undefined {
  if (!clockTicks) {
    try {
      clockTicks = Number(
        execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }),
      );
    } catch {
      clockTicks = 100;
    }
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime: fields 14 and 15 of stat(5), 12 and 13 after ")".
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

/** The machine's busy and total CPU time so far (/proc/stat), in clock ticks. */
function machineCpu(): { busy: number; total: number } {
  const [, ...fields] = fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/);
  // user nice system idle iowait irq softirq steal (guest is in user already)
  const t = fields.slice(0, 8).map(Number);
  const total = t.reduce((x, y) => x + y, 0);
  return { busy: total - t[3] - t[4], total };
}

class BackendRestarted extends Error {}

interface Replica {
  index: number;
  port: number;
  baseUrl: string;
  backend: Backend;
  pid?: number;
  token: string;
  /** VmRSS samples while the scenario ran: [ms since the window start, KiB]. */
  samples: Array<[number, number]>;
}

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

// ------------------------------------------------------------------ the users

/** The platform team's pat, through the sandbox's personas sign-in: the fleet view is theirs. */
async function platformToken(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/personas/refresh`, {
    headers: {
      'x-requested-with': 'XMLHttpRequest',
      'x-tenancy-persona': 'pat',
    },
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) {
    throw new Error(`sign-in as pat: ${res.status} ${await res.text()}`);
  }
  const body = (await res.json()) as { backstageIdentity: { token: string } };
  return body.backstageIdentity.token;
}

async function getJson(
  r: Replica,
  url: string,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${r.baseUrl}${url}`, {
    headers: { Authorization: `Bearer ${r.token}` },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

/** Retries `attempt` until it returns a value (not undefined) or the time is up. */
async function until<T>(
  what: string,
  timeoutMs: number,
  attempt: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await attempt();
      if (v !== undefined) return v;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not within ${timeoutMs / 1000} s${last ? ` (${last})` : ''}`,
      );
    }
    await sleep(1000);
  }
}

/**
 * Until the replica serves what the users ask for: the seed in the catalog,
 * pat's token with its catalog memberships (the platform team), every route
 * 200 with a complete answer.
 */
async function warmUpReplica(r: Replica, clusters: string[]): Promise<void> {
  r.token = await until(`${r.baseUrl}: sign-in as pat`, 60_000, () =>
    platformToken(r.baseUrl),
  );
  for (const ref of SEEDED) {
    await until(`${r.baseUrl}: the catalog has ${ref}`, 600_000, async () =>
      (await getJson(r, `/api/catalog/entities/by-name/${ref}`)).status === 200
        ? true
        : undefined,
    );
  }
  r.token = await platformToken(r.baseUrl); // now with pat's memberships
  for (const route of ROUTES) {
    await until(
      `${r.baseUrl}: ${route.path} answers 200 with every cluster`,
      180_000,
      async () => {
        const { status, body } = await getJson(r, route.path);
        if (status !== 200) {
          throw new Error(`${status} ${JSON.stringify(body).slice(0, 300)}`);
        }
        if (route.id === 'fleet') {
          const names = (body.clusters ?? []).map((c: any) => c.name).sort();
          const failing = (body.clusters ?? []).filter((c: any) => c.error);
          if (names.join() !== [...clusters].sort().join() || failing.length) {
            throw new Error(`clusters ${JSON.stringify(body.clusters)}`);
          }
        }
        if (route.id === 'service-health' && !body.clusters?.length) {
          throw new Error(
            `no cluster runs ${SERVICE}: ${JSON.stringify(body)}`,
          );
        }
        return true;
      },
    );
  }
}

interface RouteFigures {
  requests: number;
  errors: number;
  latency: Latency;
}

interface LoadFigures {
  elapsedS: number;
  requests: number;
  requestsPerS: number;
  errors: number;
  latency: Latency;
  perRoute: Record<string, RouteFigures>;
  perReplica: Array<{ requests: number; errors: number; latency: Latency }>;
  /** Per second of the window (by completion): requests, errors, p95. */
  timeline: Array<{
    s: number;
    requests: number;
    errors: number;
    p95Ms: number;
  }>;
  /**
   * Requests running at some time from 3 s before to 1 s after a snapshot's
   * generatedAt (the refresh, storing it, the other replicas reading it), and
   * the others.
   */
  aroundSnapshots: {
    requests: number;
    latency: Latency;
    otherRequests: number;
    otherLatency: Latency;
  };
  /** Distinct errors, most frequent first. */
  errorKinds: Array<{ error: string; count: number; firstAtS: number }>;
  /**
   * The fleet snapshots made during the window (their generatedAt, seconds
   * into it), as the fleet answers showed them.
   */
  snapshotsAtS: number[];
  clientCpuPercent: number;
}

/**
 * `users` closed loops for `seconds`: user u asks replica u mod R, going
 * round the routes from route u mod 3. No new request starts after the end;
 * those running then are waited for and counted.
 */
async function runLoad(
  replicas: Replica[],
  users: number,
  seconds: number,
  timeoutMs: number,
): Promise<LoadFigures> {
  const latencies: number[] = [];
  /** [start, end] of every request, ms into the window. */
  const spans: Array<[number, number]> = [];
  const byRoute = ROUTES.map(() => ({ ms: [] as number[], errors: 0 }));
  const byReplica = replicas.map(() => ({ ms: [] as number[], errors: 0 }));
  const seconds_: Array<{ ms: number[]; errors: number }> = [];
  const errorKinds = new Map<string, { count: number; firstAtS: number }>();
  const snapshots = new Map<string, number>();
  let errors = 0;
  const cpuBefore = process.cpuUsage();
  const startEpoch = Date.now();
  const start = performance.now();
  const end = start + seconds * 1000;

  const user = async (u: number) => {
    const r = replicas[u % replicas.length];
    let k = u % ROUTES.length;
    while (!aborted && performance.now() < end) {
      const route = ROUTES[k];
      const routeIndex = k;
      k = (k + 1) % ROUTES.length;
      const t0 = performance.now();
      let error: string | undefined;
      try {
        const res = await fetch(`${r.baseUrl}${route.path}`, {
          headers: { Authorization: `Bearer ${r.token}` },
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        if (!res.ok) {
          error = `${route.id}: HTTP ${res.status} ${text.slice(0, 160)}`;
        } else if (route.id === 'fleet') {
          const stamp = /"generatedAt":\s*"([^"]+)"/.exec(text)?.[1];
          if (stamp && !snapshots.has(stamp)) {
            snapshots.set(stamp, Date.parse(stamp) - startEpoch);
          }
        }
      } catch (e) {
        const err = e as Error & {
          cause?: { code?: string; message?: string };
        };
        error = `${route.id}: ${err.name}: ${err.message}${
          err.cause ? ` (${err.cause.code ?? err.cause.message})` : ''
        }`;
      }
      const t1 = performance.now();
      const elapsed = t1 - t0;
      const second = Math.floor((t1 - start) / 1000);
      const bucket = (seconds_[second] ??= { ms: [], errors: 0 });
      latencies.push(elapsed);
      spans.push([t0 - start, t1 - start]);
      byRoute[routeIndex].ms.push(elapsed);
      byReplica[r.index].ms.push(elapsed);
      bucket.ms.push(elapsed);
      if (error) {
        errors++;
        byRoute[routeIndex].errors++;
        byReplica[r.index].errors++;
        bucket.errors++;
        const kind = errorKinds.get(error);
        if (kind) kind.count++;
        else {
          errorKinds.set(error, { count: 1, firstAtS: round1(second) });
          if (errorKinds.size <= 5 && !aborted) {
            log(`error: ${r.baseUrl} ${error}`);
          }
        }
      }
    }
  };

  await Promise.all(Array.from({ length: users }, (_, u) => user(u)));
  const elapsedS = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  // Those made before the window began are not counted.
  const snapshotsAt = [...snapshots.values()]
    .filter(at => at >= 0)
    .sort((a, b) => a - b);
  const near = (i: number) =>
    snapshotsAt.some(
      at => spans[i][0] <= at + 1000 && spans[i][1] >= at - 3000,
    );
  const inside = latencies.filter((_, i) => near(i));
  const outside = latencies.filter((_, i) => !near(i));
  return {
    elapsedS: round1(elapsedS),
    requests: latencies.length,
    requestsPerS: round1(latencies.length / elapsedS),
    errors,
    latency: latency(latencies),
    perRoute: Object.fromEntries(
      ROUTES.map((route, i) => [
        route.id,
        {
          requests: byRoute[i].ms.length,
          errors: byRoute[i].errors,
          latency: latency(byRoute[i].ms),
        },
      ]),
    ),
    perReplica: byReplica.map(x => ({
      requests: x.ms.length,
      errors: x.errors,
      latency: latency(x.ms),
    })),
    timeline: Array.from(seconds_, (b, s) => ({
      s,
      requests: b?.ms.length ?? 0,
      errors: b?.errors ?? 0,
      p95Ms: b ? latency(b.ms).p95Ms : NaN,
    })),
    errorKinds: [...errorKinds.entries()]
      .map(([error, v]) => ({ error, ...v }))
      .sort((a, b) => b.count - a.count),
    snapshotsAtS: snapshotsAt.map(at => round1(at / 1000)),
    aroundSnapshots: {
      requests: inside.length,
      latency: latency(inside),
      otherRequests: outside.length,
      otherLatency: latency(outside),
    },
    clientCpuPercent: Math.round(
      ((cpu.user + cpu.system) / 1e6 / elapsedS) * 100,
    ),
  };
}

// ---------------------------------------------------------------- scenarios

interface ScenarioResult {
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

export async function main(argv: string[]): Promise<number> {
  const settings = parseArgs(argv);
  if (!settings) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const sandbox = connectSandbox();
  const clusters = sandbox.clusters.map(c => c.name);
  // Every sandbox cluster must answer before we start.
  await Promise.all(
    sandbox.clusters.map(c =>
      c
        .kubeConfig('admin')
        .makeApiClient(CoreV1Api)
        .listNamespace({ limit: 1 }),
    ),
  );
  const runId = randomBytes(3).toString('hex');
  fs.rmSync(WORK_DIR, { recursive: true, force: true });
  fs.mkdirSync(WORK_DIR, { recursive: true, mode: 0o700 });

  let pg: PgServer | undefined;
  let redis: RedisServer | undefined;
  const running = new Set<Backend>();
  const prefixes: string[] = [];

  /** Stops and deletes everything the bench started; once. */
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.all([...running].map(b => b.stop()));
      running.clear();
      if (settings.pgUrl) {
        for (const prefix of prefixes) {
          await dropDatabases(settings.pgUrl, prefix).catch(error =>
            log(`could not drop the ${prefix}* databases: ${error}`),
          );
        }
      }
      await redis?.stop();
      redis = undefined;
      pg?.stop();
      pg = undefined;
      // The overlays may hold a password; the logs stay for a look.
      for (const f of fs.readdirSync(WORK_DIR)) {
        if (f.startsWith('app-config.')) fs.rmSync(path.join(WORK_DIR, f));
      }
    })());
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    aborted = true;
    log('interrupted: stopping the backends, PostgreSQL and Redis…');
    cleanup()
      .catch(error => log(`cleanup failed: ${error}`))
      .finally(() => process.exit(130));
  };
  /** After Ctrl-C: what fails now is the cleanup's doing; wait for its exit. */
  const hang = () => new Promise<never>(() => {});
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => {
    for (const b of running) b.killNow();
    redis?.killNow();
    pg?.stop();
  });

  const started = new Date();
  const results: ScenarioResult[] = [];
  try {
    if (settings.pgUrl) {
      log(`PostgreSQL: ${new URL(settings.pgUrl).host} (--pg-url)`);
    } else {
      pg = await PgServer.start();
      log(`PostgreSQL ${pg.version} on ${new URL(pg.url).host} (throw-away)`);
    }
    if (settings.redisUrl) {
      log(`Redis: ${new URL(settings.redisUrl).host} (--redis-url)`);
    } else {
      redis = await RedisServer.start();
      log(`Redis ${redis.version} on ${new URL(redis.url).host} (throw-away)`);
    }
    const pgUrl = settings.pgUrl ?? pg!.url;
    const redisUrl = settings.redisUrl ?? redis!.url;

    for (const [si, n] of settings.scenarios.entries()) {
      const label = `${n} replica${n === 1 ? '' : 's'}`;
      for (let attempt = 1; ; attempt++) {
        // A database set and a cache namespace of its own per scenario (and
        // attempt): nothing carries over, e.g. a scheduler lock of a stopped
        // replica, or the last snapshot.
        const prefix = `tenancy_load_${runId}_${si + 1}r${n}_${attempt}_`;
        prefixes.push(prefix);
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
                  connection: pgUrl,
                  prefix,
                  pluginDivisionMode: 'database',
                },
                cache: {
                  store: 'redis',
                  connection: redisUrl,
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
            backend: new Backend(`${label}, replica ${i + 1}`, {
              port,
              configs: [
                path.join(REPO_ROOT, 'app-config.yaml'),
                sandbox.state.overlay,
                overlay,
              ],
              // Unused: the overlay replaces app-config.yaml's SQLite.
              sqliteDir: WORK_DIR,
              requestLog: '', // the bench's request logger stays off
              logFile: path.join(WORK_DIR, `backend-${prefix}${i}.log`),
            }),
          });
        }
        const sampler = new RssSampler(replicas);
        try {
          const startupS: number[] = [];
          // One after the other: the first creates the databases.
          for (const r of replicas) {
            running.add(r.backend);
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
            log(
              `${label}, replica ${r.index + 1}: node pid ${
                r.pid ?? '?'
              } ${cmd}`,
            );
          }
          log(`${label}: waiting for the catalog and every route…`);
          const tw = Date.now();
          for (const r of replicas) await warmUpReplica(r, clusters);
          log(
            `${label}: every route answers on every replica after ${ms(
              Date.now() - tw,
            )}`,
          );
          const restartsBefore = replicas.map(r => r.backend.restarts());
          // The replicas' own work (catalog processing, scheduled tasks, …),
          // without users: CPU over --idle seconds.
          let idleCpuPercent: Array<number | undefined> = [];
          if (settings.idle > 0) {
            for (const r of replicas) r.pid = listenerPid(r.port);
            const before = replicas.map(r =>
              r.pid ? cpuSecondsOf(r.pid) : undefined,
            );
            const t = performance.now();
            await sleep(settings.idle * 1000);
            const s = (performance.now() - t) / 1000;
            idleCpuPercent = replicas.map((r, i) => {
              const after = r.pid ? cpuSecondsOf(r.pid) : undefined;
              return after === undefined || before[i] === undefined
                ? undefined
                : Math.round(((after - before[i]!) / s) * 100);
            });
            log(
              `${label}: CPU without users over ${
                settings.idle
              } s: ${idleCpuPercent.map(x => `${x ?? '?'}%`).join(', ')}`,
            );
          }
          let warmup: ScenarioResult['warmup'];
          if (settings.warmup > 0) {
            log(
              `${label}: warm-up, ${settings.users} users for ${settings.warmup} s…`,
            );
            const w = await runLoad(
              replicas,
              settings.users,
              settings.warmup,
              settings.timeoutMs,
            );
            warmup = {
              requests: w.requests,
              errors: w.errors,
              errorKinds: w.errorKinds,
            };
            log(
              `${label}: warm-up ${w.requests} requests, ${w.requestsPerS}/s, ${w.errors} errors`,
            );
          }
          log(`${label}: ${settings.users} users for ${settings.duration} s…`);
          const loadBefore = os.loadavg()[0];
          // Again: backstage-cli may have restarted a replica since it started.
          for (const r of replicas) r.pid = listenerPid(r.port);
          const cpuBefore = replicas.map(r =>
            r.pid ? cpuSecondsOf(r.pid) : undefined,
          );
          const pidsBefore = replicas.map(r => r.pid);
          const machineBefore = machineCpu();
          const origin = performance.now();
          sampler.start(origin);
          const load = await runLoad(
            replicas,
            settings.users,
            settings.duration,
            settings.timeoutMs,
          );
          sampler.stop();
          const machineAfter = machineCpu();
          const loadAfter = os.loadavg()[0];
          const restarted = replicas.filter(
            (r, i) => r.backend.restarts() !== restartsBefore[i],
          );
          if (restarted.length) {
            throw new BackendRestarted(
              `${label}: backstage-cli restarted ${restarted
                .map(r => `replica ${r.index + 1}`)
                .join(
                  ', ',
                )} because a source file changed (someone edited the repo)`,
            );
          }
          const result: ScenarioResult = {
            replicas: n,
            attempts: attempt,
            startupS,
            warmup,
            load,
            perReplica: replicas.map((r, i) => {
              const rss = r.samples.map(([, kib]) => kib);
              const cpuAfter = r.pid ? cpuSecondsOf(r.pid) : undefined;
              const x = load.perReplica[i];
              const cpuS =
                cpuAfter !== undefined &&
                cpuBefore[i] !== undefined &&
                pidsBefore[i] === r.pid
                  ? cpuAfter - cpuBefore[i]!
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
            }),
            loadAverage1m: {
              before: round1(loadBefore),
              after: round1(loadAfter),
            },
            machineCpuPercent: { busy: 0, replicas: 0, bench: 0 },
          };
          result.machineCpuPercent = {
            busy: Math.round(
              ((machineAfter.busy - machineBefore.busy) /
                (machineAfter.total - machineBefore.total)) *
                os.cpus().length *
                100,
            ),
            replicas: result.perReplica.reduce(
              (sum, x) => sum + (x.cpuPercent ?? 0),
              0,
            ),
            bench: load.clientCpuPercent,
          };
          results.push(result);
          log(
            `${label}: ${load.requests} requests, ${
              load.requestsPerS
            }/s, p50/p95/p99 ${ms(load.latency.p50Ms)} / ${ms(
              load.latency.p95Ms,
            )} / ${ms(load.latency.p99Ms)}, ${
              load.errors
            } errors; peak RSS ${result.perReplica
              .map(x => `${x.peakRssMiB} MiB`)
              .join(', ')}`,
          );
          break;
        } catch (error) {
          if (!(error instanceof BackendRestarted) || attempt >= 3) throw error;
          log(`${error.message}; once more (attempt ${attempt + 1} of 3)`);
        } finally {
          sampler.stop();
          if (interrupted) await hang();
          for (const r of replicas) {
            await r.backend.stop();
            running.delete(r.backend);
          }
        }
      }
    }

    // ------------------------------------------------------------ report
    const byN = new Map(results.map(r => [r.replicas, r]));
    const rows: string[][] = [
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
    ];
    for (const r of results) {
      const l = r.load;
      rows.push([
        `${r.replicas} replica${r.replicas === 1 ? '' : 's'}`,
        String(l.requests),
        l.requestsPerS.toFixed(1),
        ms(l.latency.p50Ms),
        ms(l.latency.p95Ms),
        ms(l.latency.p99Ms),
        ms(l.latency.maxMs),
        String(l.errors),
        r.perReplica.map(x => `${x.peakRssMiB} MiB`).join(', '),
        r.perReplica.map(x => `${x.cpuPercent ?? '?'}%`).join(', '),
      ]);
    }
    const routeRows: string[][] = [
      ['scenario', 'route', 'requests', 'p50', 'p95', 'p99', 'errors'],
    ];
    for (const r of results) {
      for (const route of ROUTES) {
        const x = r.load.perRoute[route.id];
        routeRows.push([
          `${r.replicas} replica${r.replicas === 1 ? '' : 's'}`,
          `GET ${route.path}`,
          String(x.requests),
          ms(x.latency.p50Ms),
          ms(x.latency.p95Ms),
          ms(x.latency.p99Ms),
          String(x.errors),
        ]);
      }
    }
    const one = byN.get(1);
    const two = byN.get(2);
    const ratios =
      one && two
        ? {
            throughput:
              Math.round(
                (two.load.requestsPerS / one.load.requestsPerS) * 100,
              ) / 100,
            p95:
              Math.round(
                (two.load.latency.p95Ms / one.load.latency.p95Ms) * 100,
              ) / 100,
          }
        : undefined;
    const notes: string[] = [];
    for (const r of results) {
      const around = r.load.aroundSnapshots;
      const name = `${r.replicas} replica${r.replicas === 1 ? '' : 's'}`;
      notes.push(
        `${name}: per replica ${r.perReplica
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
        }%; the machine's CPU ${r.machineCpuPercent.busy}% of ${
          os.cpus().length * 100
        }% busy (replicas ${r.machineCpuPercent.replicas}%, this bench ${
          r.machineCpuPercent.bench
        }%, the rest ${
          r.machineCpuPercent.busy -
          r.machineCpuPercent.replicas -
          r.machineCpuPercent.bench
        }%); load average ${r.loadAverage1m.before} → ${
          r.loadAverage1m.after
        }; started in ${r.startupS.map(s => `${s} s`).join(', ')}${
          r.attempts > 1 ? `; attempt ${r.attempts}` : ''
        }`,
      );
      notes.push(
        r.load.snapshotsAtS.length
          ? `${name}: fleet snapshots made at ${r.load.snapshotsAtS
              .map(s => `+${s} s`)
              .join(
                ', ',
              )} (refresh every 30 s, on one replica); requests running from 3 s before to 1 s after one: ${
              around.requests
            }, p50/p95/p99 ${ms(around.latency.p50Ms)} / ${ms(
              around.latency.p95Ms,
            )} / ${ms(around.latency.p99Ms)}; the others: ${
              around.otherRequests
            }, ${ms(around.otherLatency.p50Ms)} / ${ms(
              around.otherLatency.p95Ms,
            )} / ${ms(around.otherLatency.p99Ms)}`
          : `${name}: no fleet snapshot was made during the window`,
      );
      if (r.warmup?.errors) {
        notes.push(
          `${name}: ${
            r.warmup.errors
          } errors in the warm-up (not counted): ${r.warmup.errorKinds
            .slice(0, 3)
            .map(e => `${e.count}x ${e.error}`)
            .join('; ')}`,
        );
      }
      for (const e of r.load.errorKinds.slice(0, 5)) {
        notes.push(
          `${name}: ERROR ${e.count}x (first at +${e.firstAtS} s): ${e.error}`,
        );
      }
    }
    const totalErrors = results.reduce((n, r) => n + r.load.errors, 0);
    process.stdout.write(
      `\nLoad bench — ${started.toISOString()} — ${os.cpus().length} CPUs, ${
        settings.users
      } users, ${settings.duration} s per scenario after ${
        settings.warmup
      } s of warm-up\n\n${table(rows)}\n\n${table(routeRows)}\n\n${notes.join(
        '\n',
      )}\n${
        ratios
          ? `\n2 replicas / 1 replica: throughput ${ratios.throughput.toFixed(
              2,
            )}x, p95 ${ratios.p95.toFixed(2)}x\n`
          : ''
      }${
        totalErrors ? `\n${totalErrors} requests FAILED\n` : '\nNo errors.\n'
      }`,
    );

    const out = {
      bench: 'load',
      date: started.toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        postgres: pg?.version ?? 'external (--pg-url)',
        redis: redis?.version ?? 'external (--redis-url)',
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
      ratios2to1: ratios,
    };
    fs.mkdirSync(path.dirname(settings.out), { recursive: true });
    fs.writeFileSync(settings.out, `${JSON.stringify(out, null, 2)}\n`);
    log(`wrote ${path.relative(process.cwd(), settings.out)}`);
    return totalErrors ? 1 : 0;
  } catch (error) {
    if (interrupted) await hang();
    throw error;
  } finally {
    if (!interrupted) await cleanup();
  }
}
