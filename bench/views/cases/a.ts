/**
 * (a) all clusters healthy, warm: `--warmup` then `--iterations` requests
 * per side, sequential, the order alternating; the catalog lookup alone as a
 * reference; the kube requests of each side.
 */
import { alternating, log, sleep } from '../../lib/process';
import { ms } from '../../lib/report';
import { ratio, round1 } from '../../lib/stats';
import { checkOurs, checkPeer } from '../checks';
import type { Client } from '../client';
import {
  oursRequests,
  perCluster,
  peerRequests,
  refreshSizes,
} from '../requests';
import type { ViewsBench } from '../setup';
import { median, spread, stats, Stats } from '../stats';
import { roundTag } from './common';

export interface CaseA {
  title: string;
  ours: Stats;
  peer: Stats;
  ratioP50: number;
  ratioP95: number;
  /** GET /api/catalog/entities/by-name/…: the lookup both sides make first. */
  catalogLookupReference: Stats;
  warmups: Array<{ ours: number; peer: number }>;
  answers: { ours: string; peer: string };
  responseBytes: { ours: number; peer: number };
  kubeRequests: {
    peerPerRequest: {
      median: number;
      min: number;
      max: number;
      perCluster: Record<string, number>;
    };
    oursRequestsOverlappingARefresh: number;
    oursFromAnExistingSnapshot: number;
    oursBackgroundRefreshes: Record<string, number[]>;
    /** Every kube request while (a) ran, by side. */
    window: { peer: Record<string, number>; ours: Record<string, number> };
  };
}

/** What the rounds of (a) measured. */
class Samples {
  ours: number[] = [];
  peer: number[] = [];
  catalogLookup: number[] = [];
  peerCounts: number[] = [];
  peerPerCluster: Array<Record<string, number>> = [];
  oursWithKube = 0;
  warmCacheHits = 0;
  bytes = { ours: [] as number[], peer: [] as number[] };
  warmups: Array<{ ours: number; peer: number }> = [];
  oursSummary = '';
  peerSummary = '';
}

/** One request of one side in round i (measured from 0): checked, its kube requests counted. */
async function ask(
  bench: ViewsBench,
  client: Client,
  side: 'ours' | 'peer',
  i: number,
  s: Samples,
): Promise<number> {
  const { requestLog, healthy, settings } = bench;
  const m = requestLog.mark();
  const answer =
    side === 'ours'
      ? await client.ours(settings.peerCapMs)
      : await client.peer(settings.peerCapMs);
  await sleep(20); // let the logger's last lines land
  const kube = requestLog.since(m);
  if (answer.unanswered) {
    throw new Error(`(a) ${side}: no answer within ${ms(settings.peerCapMs)}`);
  }
  if (side === 'ours') {
    s.oursSummary = checkOurs(answer, healthy, [], '(a)');
    if (i >= 0) {
      if (oursRequests(kube).length) s.oursWithKube++;
      if (Date.parse(answer.body.generatedAt) < answer.startedAt) {
        s.warmCacheHits++;
      }
      s.bytes.ours.push(answer.bytes!);
    }
  } else {
    s.peerSummary = checkPeer(answer, healthy);
    if (i >= 0) {
      s.peerCounts.push(peerRequests(kube).length);
      s.peerPerCluster.push(perCluster(peerRequests(kube)));
      s.bytes.peer.push(answer.bytes!);
    }
  }
  return answer.ms;
}

export async function caseA(bench: ViewsBench, client: Client): Promise<CaseA> {
  const { requestLog, healthy, settings } = bench;
  const { warmup, iterations } = settings;
  const check = bench.backendA.guard('(a)');
  const mark = requestLog.mark();
  const s = new Samples();
  for (let i = -warmup; i < iterations; i++) {
    const [o, p] = await alternating(
      i,
      () => ask(bench, client, 'ours', i, s),
      () => ask(bench, client, 'peer', i, s),
    );
    const ref = await client.catalog(settings.peerCapMs);
    if (ref.status !== 200) {
      throw new Error(`catalog lookup: ${ref.status}`);
    }
    log(
      `(a) ${roundTag(i, warmup, iterations)}: ours ${ms(o)}, peer ${ms(
        p,
      )} (catalog lookup ${ms(ref.ms)})`,
    );
    if (i >= 0) {
      s.ours.push(o);
      s.peer.push(p);
      s.catalogLookup.push(ref.ms);
    } else {
      s.warmups.push({ ours: round1(o), peer: round1(p) });
    }
  }
  check();
  const window = requestLog.since(mark);
  const ours = stats(s.ours);
  const peer = stats(s.peer);
  log(
    `(a) ours ${ms(ours.p50Ms)} / ${ms(ours.p95Ms)}, peer ${ms(
      peer.p50Ms,
    )} / ${ms(peer.p95Ms)}: ${ratio(ours.p50Ms, peer.p50Ms)}x`,
  );
  return {
    title: 'all clusters healthy, warm',
    ours,
    peer,
    ratioP50: ratio(ours.p50Ms, peer.p50Ms),
    ratioP95: ratio(ours.p95Ms, peer.p95Ms),
    catalogLookupReference: stats(s.catalogLookup),
    warmups: s.warmups,
    answers: { ours: s.oursSummary, peer: s.peerSummary },
    responseBytes: { ours: median(s.bytes.ours), peer: median(s.bytes.peer) },
    kubeRequests: {
      peerPerRequest: {
        ...spread(s.peerCounts),
        perCluster: s.peerPerCluster[0],
      },
      oursRequestsOverlappingARefresh: s.oursWithKube,
      oursFromAnExistingSnapshot: s.warmCacheHits,
      oursBackgroundRefreshes: Object.fromEntries(
        healthy.map(c => [c, refreshSizes(window, c)]),
      ),
      window: {
        peer: perCluster(peerRequests(window)),
        ours: perCluster(oursRequests(window)),
      },
    },
  };
}
