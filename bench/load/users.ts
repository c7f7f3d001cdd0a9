/**
 * The users of bench/load: closed loops without think time, each on one
 * replica, going round the routes; and the warm-up that makes sure a replica
 * serves what they ask for.
 */
import { performance } from 'node:perf_hooks';
import { Interrupt, log, until } from '../lib/process';
import { nearestRank, round1 } from '../lib/stats';
import { ROUTES, SEEDED, SERVICE } from './settings';

/** A replica as the users see it. */
export interface Endpoint {
  index: number;
  baseUrl: string;
  /** pat's token on this replica. */
  token: string;
}

export interface Latency {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** p50, p95, p99 (nearest ranks), max and mean. */
function latency(samples: number[]): Latency {
  const all = Array.from(Float64Array.from(samples).sort());
  return {
    p50Ms: round1(nearestRank(all, 0.5)),
    p95Ms: round1(nearestRank(all, 0.95)),
    p99Ms: round1(nearestRank(all, 0.99)),
    maxMs: round1(all[all.length - 1] ?? NaN),
    meanMs: round1(all.reduce((x, y) => x + y, 0) / (all.length || 1)),
  };
}

// ------------------------------------------------------------------ warm-up

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
  r: Endpoint,
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

/** A complete answer of `route`: the fleet with every cluster and no error, the health with a cluster. */
function checkAnswer(
  route: (typeof ROUTES)[number],
  body: any,
  clusters: string[],
): void {
  if (route.id === 'fleet') {
    const names = (body.clusters ?? []).map((c: any) => c.name).sort();
    const failing = (body.clusters ?? []).filter((c: any) => c.error);
    if (names.join() !== [...clusters].sort().join() || failing.length) {
      throw new Error(`clusters ${JSON.stringify(body.clusters)}`);
    }
  }
  if (route.id === 'service-health' && !body.clusters?.length) {
    throw new Error(`no cluster runs ${SERVICE}: ${JSON.stringify(body)}`);
  }
}

/**
 * Until the replica serves what the users ask for: the seed in the catalog,
 * pat's token with its catalog memberships (the platform team), every route
 * 200 with a complete answer.
 */
export async function warmUpReplica(
  r: Endpoint,
  clusters: string[],
): Promise<void> {
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
        checkAnswer(route, body, clusters);
        return true;
      },
    );
  }
}

// --------------------------------------------------------------------- load

interface RouteFigures {
  requests: number;
  errors: number;
  latency: Latency;
}

export interface LoadFigures {
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

/** What the users' requests did in one window, as they answer. */
class Recorder {
  private readonly latencies: number[] = [];
  /** [start, end] of every request, ms into the window. */
  private readonly spans: Array<[number, number]> = [];
  private readonly byRoute = ROUTES.map(() => ({
    ms: [] as number[],
    errors: 0,
  }));
  private readonly byReplica: Array<{ ms: number[]; errors: number }>;
  private readonly perSecond: Array<{ ms: number[]; errors: number }> = [];
  private readonly errorKinds = new Map<
    string,
    { count: number; firstAtS: number }
  >();
  /** generatedAt of the fleet snapshots seen → ms into the window. */
  private readonly snapshots = new Map<string, number>();
  private errors = 0;
  private readonly cpuBefore = process.cpuUsage();
  private readonly startEpoch = Date.now();
  readonly start = performance.now();

  constructor(replicas: number, private readonly interrupt: Interrupt) {
    this.byReplica = Array.from({ length: replicas }, () => ({
      ms: [],
      errors: 0,
    }));
  }

  /** A fleet answer: the snapshot it came from. */
  fleetAnswer(text: string): void {
    const stamp = /"generatedAt":\s*"([^"]+)"/.exec(text)?.[1];
    if (stamp && !this.snapshots.has(stamp)) {
      this.snapshots.set(stamp, Date.parse(stamp) - this.startEpoch);
    }
  }

  request(
    r: Endpoint,
    routeIndex: number,
    t0: number,
    t1: number,
    error: string | undefined,
  ): void {
    const elapsed = t1 - t0;
    const second = Math.floor((t1 - this.start) / 1000);
    const bucket = (this.perSecond[second] ??= { ms: [], errors: 0 });
    this.latencies.push(elapsed);
    this.spans.push([t0 - this.start, t1 - this.start]);
    this.byRoute[routeIndex].ms.push(elapsed);
    this.byReplica[r.index].ms.push(elapsed);
    bucket.ms.push(elapsed);
    if (!error) return;
    this.errors++;
    this.byRoute[routeIndex].errors++;
    this.byReplica[r.index].errors++;
    bucket.errors++;
    const kind = this.errorKinds.get(error);
    if (kind) kind.count++;
    else {
      this.errorKinds.set(error, { count: 1, firstAtS: round1(second) });
      if (this.errorKinds.size <= 5 && !this.interrupt.interrupted) {
        log(`error: ${r.baseUrl} ${error}`);
      }
    }
  }

  figures(): LoadFigures {
    const elapsedS = (performance.now() - this.start) / 1000;
    const cpu = process.cpuUsage(this.cpuBefore);
    const { latencies, spans } = this;
    // Those made before the window began are not counted.
    const snapshotsAt = [...this.snapshots.values()]
      .filter(at => at >= 0)
      .sort((a, b) => a - b);
    const near = (i: number) =>
      snapshotsAt.some(
        at => spans[i][0] <= at + 1000 && spans[i][1] >= at - 3000,
      );
    const inside = latencies.filter((_, i) => near(i));
    const outside = latencies.filter((_, i) => !near(i));
    const counts = (x: { ms: number[]; errors: number }) => ({
      requests: x.ms.length,
      errors: x.errors,
      latency: latency(x.ms),
    });
    return {
      elapsedS: round1(elapsedS),
      requests: latencies.length,
      requestsPerS: round1(latencies.length / elapsedS),
      errors: this.errors,
      latency: latency(latencies),
      perRoute: Object.fromEntries(
        ROUTES.map((route, i) => [route.id, counts(this.byRoute[i])]),
      ),
      perReplica: this.byReplica.map(counts),
      timeline: Array.from(this.perSecond, (b, s) => ({
        s,
        requests: b?.ms.length ?? 0,
        errors: b?.errors ?? 0,
        p95Ms: b ? latency(b.ms).p95Ms : NaN,
      })),
      errorKinds: [...this.errorKinds.entries()]
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
}

/** One request of a user: an error text, or undefined when it answered 2xx. */
async function ask(
  r: Endpoint,
  route: (typeof ROUTES)[number],
  timeoutMs: number,
  recorder: Recorder,
): Promise<string | undefined> {
  try {
    const res = await fetch(`${r.baseUrl}${route.path}`, {
      headers: { Authorization: `Bearer ${r.token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) return `${route.id}: HTTP ${res.status} ${text.slice(0, 160)}`;
    if (route.id === 'fleet') recorder.fleetAnswer(text);
    return undefined;
  } catch (e) {
    const err = e as Error & {
      cause?: { code?: string; message?: string };
    };
    return `${route.id}: ${err.name}: ${err.message}${
      err.cause ? ` (${err.cause.code ?? err.cause.message})` : ''
    }`;
  }
}

/**
 * `users` closed loops for `seconds`: user u asks replica u mod R, going
 * round the routes from route u mod 3. No new request starts after the end
 * (or Ctrl-C); those running then are waited for and counted.
 */
export async function runLoad(
  replicas: Endpoint[],
  users: number,
  seconds: number,
  timeoutMs: number,
  interrupt: Interrupt,
): Promise<LoadFigures> {
  const recorder = new Recorder(replicas.length, interrupt);
  const end = recorder.start + seconds * 1000;
  const user = async (u: number) => {
    const r = replicas[u % replicas.length];
    let k = u % ROUTES.length;
    while (!interrupt.interrupted && performance.now() < end) {
      const routeIndex = k;
      k = (k + 1) % ROUTES.length;
      const t0 = performance.now();
      const error = await ask(r, ROUTES[routeIndex], timeoutMs, recorder);
      recorder.request(r, routeIndex, t0, performance.now(), error);
    }
  };
  await Promise.all(Array.from({ length: users }, (_, u) => user(u)));
  return recorder.figures();
}
