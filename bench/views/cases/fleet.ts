/**
 * fleet: `--namespaces` new namespaces per cluster. In-process, the kube
 * requests of one FleetSnapshotService refresh per cluster before and after
 * creating them; then, in the backend, its own refreshes with them and
 * `--fleet-iterations` requests per side.
 */
import { performance } from 'node:perf_hooks';
import { alternating, log, sleep } from '../../lib/process';
import { ms } from '../../lib/report';
import { ratio } from '../../lib/stats';
import { benchLogger, portalConfig } from '../../lib/sandbox';
import { checkOurs, checkPeer } from '../checks';
import { Client } from '../client';
import { fleetService, RefreshFigures, refreshFigures } from '../inProcess';
import { createNamespaces } from '../namespaces';
import { peerRequests, refreshSizes } from '../requests';
import type { ViewsBench } from '../setup';
import { median, spread, stats, Stats } from '../stats';

interface Point {
  clusters: Record<
    string,
    { namespaces: number; requestsPerRefresh: number[] }
  >;
  refreshMs: Stats;
  fleetViewBytes: number;
  snapshotBytes: number;
}

export interface CaseFleet {
  title: string;
  namespacesPerCluster: number;
  pageSize: number;
  createMs: number;
  inProcess: { before: Point; after: Point };
  backendRefreshesAfter: Record<string, number[]>;
  withTheNamespaces: {
    /** Answers from a snapshot made after the namespaces existed. */
    oursFromTheNewSnapshot: number;
    ours: Stats;
    peer: Stats;
    ratioP50: number;
    peerKubeRequestsPerRequest: { median: number; min: number; max: number };
  };
  /** Set after the case: how long deleting the namespaces took. */
  deleteMs?: number;
}

/** `sandbox-a 507 namespaces, 12/12/12 requests; …` */
const describe = (bench: ViewsBench, f: RefreshFigures) =>
  bench.healthy
    .map(
      c =>
        `${c} ${f.namespaces[c]} namespaces, ${f.requests[c].join(
          '/',
        )} requests`,
    )
    .join('; ');

function point(bench: ViewsBench, f: RefreshFigures): Point {
  return {
    clusters: Object.fromEntries(
      bench.healthy.map(c => [
        c,
        { namespaces: f.namespaces[c], requestsPerRefresh: f.requests[c] },
      ]),
    ),
    refreshMs: f.refreshMs,
    fleetViewBytes: f.fleetViewBytes,
    snapshotBytes: f.snapshotBytes,
  };
}

/**
 * In-process, with the portal's own configuration (as in
 * FleetSnapshotService.test.ts, but with the configured page size):
 * refreshes before and after the namespaces are made.
 */
async function inProcess(bench: ViewsBench) {
  const { settings, sandbox, requestLog, healthy } = bench;
  const config = portalConfig(sandbox);
  const say = (m: string) => log(`fleet: ${m}`);
  const counts: Record<string, number> = {};
  const service = fleetService(
    config,
    benchLogger({ error: say, warn: say }),
    name => {
      counts[name] = (counts[name] ?? 0) + 1;
    },
  );
  const fleet = config.getOptionalConfig('tenancy.fleet');
  const pageSize = fleet?.getOptionalNumber('pageSize') ?? 500;

  const before = await refreshFigures(service, counts, settings.refreshes);
  log(`fleet: before: ${describe(bench, before)}`);
  log(`fleet: creating ${settings.namespaces} namespaces on each cluster…`);
  const createStart = performance.now();
  await createNamespaces(sandbox, bench.runId, settings.namespaces);
  const createdAt = Date.now();
  const createdMark = requestLog.mark();
  const createMs = performance.now() - createStart;
  log(
    `fleet: created ${settings.namespaces * healthy.length} in ${ms(createMs)}`,
  );
  const after = await refreshFigures(service, counts, settings.refreshes);
  log(
    `fleet: after: ${describe(bench, after)}; snapshot ${Math.round(
      after.snapshotBytes / 1024,
    )} KiB (before ${Math.round(before.snapshotBytes / 1024)} KiB)`,
  );
  return { pageSize, before, after, createdAt, createdMark, createMs };
}

/**
 * The same with the portal backend: the backend's own refreshes since the
 * namespaces exist (once each cluster has had a complete one), then both
 * sides' latency and the peer's requests for one entity.
 */
async function inTheBackend(
  bench: ViewsBench,
  createdAt: number,
  createdMark: number,
) {
  const { settings, requestLog, healthy } = bench;
  const client = new Client(bench.backendA);
  await client.signIn();
  await client.waitForEntity(60_000);
  const deadline = Date.now() + 150_000;
  const backendRefreshes = () => {
    const since = requestLog.since(createdMark);
    return Object.fromEntries(healthy.map(c => [c, refreshSizes(since, c)]));
  };
  log('fleet: waiting for a complete refresh of the backend…');
  while (
    !Object.values(backendRefreshes()).every(x => x.length > 0) &&
    Date.now() < deadline
  ) {
    await sleep(1000);
  }
  const ours: number[] = [];
  const peer: number[] = [];
  const peerCounts: number[] = [];
  let fromNewSnapshot = 0;
  for (let i = 0; i < settings.fleetIterations; i++) {
    await alternating(
      i,
      async () => {
        const answer = await client.ours(settings.peerCapMs);
        checkOurs(answer, healthy, [], 'fleet');
        if (Date.parse(answer.body.generatedAt) > createdAt) fromNewSnapshot++;
        ours.push(answer.ms);
      },
      async () => {
        const m = requestLog.mark();
        const answer = await client.peer(settings.peerCapMs);
        checkPeer(answer, healthy);
        peer.push(answer.ms);
        await sleep(20);
        peerCounts.push(peerRequests(requestLog.since(m)).length);
      },
    );
  }
  return { ours, peer, peerCounts, fromNewSnapshot, sizes: backendRefreshes() };
}

export async function caseFleet(bench: ViewsBench): Promise<CaseFleet> {
  const { settings } = bench;
  const check = bench.backendA.guard('fleet');
  const p = await inProcess(bench);
  const b = await inTheBackend(bench, p.createdAt, p.createdMark);
  check();
  const ours = stats(b.ours);
  const peer = stats(b.peer);
  log(
    `fleet: with the namespaces: ours ${ms(ours.p50Ms)}, peer ${ms(
      peer.p50Ms,
    )} (${median(
      b.peerCounts,
    )} kube requests per request); backend refreshes ${JSON.stringify(
      b.sizes,
    )}`,
  );
  return {
    title: `${settings.namespaces} new namespaces per cluster`,
    namespacesPerCluster: settings.namespaces,
    pageSize: p.pageSize,
    createMs: Math.round(p.createMs),
    inProcess: { before: point(bench, p.before), after: point(bench, p.after) },
    backendRefreshesAfter: b.sizes,
    withTheNamespaces: {
      oursFromTheNewSnapshot: b.fromNewSnapshot,
      ours,
      peer,
      ratioP50: ratio(ours.p50Ms, peer.p50Ms),
      peerKubeRequestsPerRequest: spread(b.peerCounts),
    },
  };
}
