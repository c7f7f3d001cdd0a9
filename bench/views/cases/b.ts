/**
 * (b) a fourth cluster on the sandbox's black hole (accepts TCP, never
 * answers), tenancy.clusterTimeoutMs `--cluster-timeout`: cold (get() on an
 * empty cache in-process, then the first request to the restarted backend),
 * then warm as (a). The peer never answers: the bench gives up on a request
 * after `--peer-cap` and asks it at most `--peer-hangs` more times.
 */
import { ConfigReader } from '@backstage/config';
import { alternating, log, sleep } from '../../lib/process';
import { ms } from '../../lib/report';
import { ratio, round1 } from '../../lib/stats';
import { benchLogger, readYaml } from '../../lib/sandbox';
import { checkOurs, checkPeer } from '../checks';
import { Answer, Client } from '../client';
import { coldGets } from '../inProcess';
import { oursRequests, perCluster, peerRequests, socketsTo } from '../requests';
import { BLACKHOLE } from '../settings';
import type { ViewsBench } from '../setup';
import { stats, Stats } from '../stats';
import { roundTag } from './common';

export interface CaseB {
  title: string;
  clusterTimeoutMs: number;
  boundMs: number;
  capMs: number;
  cold: {
    /** FleetSnapshotService.get() on an empty cache, in the bench's process. */
    oursInProcess: Array<{ ms: number; clusters: string }>;
    ours: {
      ms: number;
      snapshotAgeMs?: number;
      snapshot: string;
      answer: string;
      /** Ours' kube requests from the start of the backend to the cold answer. */
      kubeRequestsSinceStart: Record<string, number>;
      versionRequestsSinceStart: Record<string, number>;
    };
    peer: {
      ms: number;
      unanswered: boolean;
      answer: string;
      kubeRequests: Record<string, number>;
    };
  };
  warm: {
    ours: Stats;
    oursAnswer: string;
    peer: {
      asked: number;
      unanswered: number;
      samplesMs: number[];
      answer: string;
      kubeRequestsPerRequest: number[];
    };
    /** An upper bound when the peer never answered: its time is > cap. */
    ratioP50: number;
    ratioP50IsUpperBound: boolean;
  };
  /**
   * Open TCP connections from the backend to the black hole: after the cold
   * requests, and after the last request (before the stop).
   */
  socketsToTheBlackHole: {
    afterCold: number | undefined;
    atEnd: number | undefined;
  };
  oursBounded: boolean;
}

/**
 * How old the snapshot was when the request began: negative when it was
 * finished while the request waited (the start-up refresh or the request's
 * own; versionRequestsSinceStart tells how many refreshes had started).
 */
const snapshotText = (age?: number) =>
  age === undefined
    ? 'no answer'
    : age < 0
    ? `snapshot finished ${ms(-age)} into the request`
    : `snapshot ${ms(age)} old`;

/**
 * Cold for sure, in-process: FleetSnapshotService.get() on an empty cache
 * with (b)'s configuration.
 */
function coldInProcess(bench: ViewsBench) {
  const config = ConfigReader.fromConfigs([
    {
      context: bench.sandbox.state.overlay,
      data: readYaml(bench.sandbox.state.overlay),
    },
    { context: bench.blackholeOverlay, data: readYaml(bench.blackholeOverlay) },
  ]);
  const logger = benchLogger({ error: m => log(`(b) in-process: ${m}`) });
  return coldGets(config, logger, bench.settings.refreshes);
}

/** The first request to the restarted backend, as soon as it listens, for each side. */
async function coldRequests(bench: ViewsBench, client: Client, mark: number) {
  const { settings, requestLog, healthy } = bench;
  await client.signIn();
  const ours = await client.ours(settings.peerCapMs);
  const oursSummary = checkOurs(ours, healthy, [BLACKHOLE], '(b) cold');
  const sinceStart = requestLog.since(mark);
  const snapshotAgeMs = ours.unanswered
    ? undefined
    : ours.startedAt - Date.parse(ours.body.generatedAt);
  log(
    `(b) cold: ours ${ms(ours.ms)} (${oursSummary}; ${snapshotText(
      snapshotAgeMs,
    )})`,
  );
  await client.waitForEntity(60_000);
  const pm = requestLog.mark();
  const peer = await client.peer(settings.peerCapMs);
  await sleep(20);
  const peerKube = peerRequests(requestLog.since(pm));
  const socketsAfterCold = socketsTo(bench.blackholePort);
  const peerSummary = checkPeer(peer, healthy);
  log(
    `(b) cold: peer ${
      peer.unanswered
        ? `no answer within ${ms(settings.peerCapMs)}`
        : `${ms(peer.ms)} (${peerSummary})`
    }; ${peerKube.length} kube requests`,
  );
  return {
    ours,
    oursSummary,
    sinceStart,
    snapshotAgeMs,
    peer,
    peerSummary,
    peerKube,
    socketsAfterCold,
  };
}

type Cold = Awaited<ReturnType<typeof coldRequests>>;

/** Warm, as (a); the peer asked while it answers, or at most --peer-hangs more times. */
async function warmRequests(bench: ViewsBench, client: Client, cold: Cold) {
  const { settings, requestLog, healthy } = bench;
  const { warmup, iterations } = settings;
  const ours: number[] = [];
  const peer: Answer[] = [];
  const peerKube: number[] = [];
  let unanswered = cold.peer.unanswered ? 1 : 0;
  let oursSummary = '';
  let peerSummary = cold.peerSummary;
  const askPeer = () =>
    !cold.peer.unanswered || unanswered < 1 + settings.peerHangs;
  for (let i = -warmup; i < iterations; i++) {
    const askOurs = async () => {
      const answer = await client.ours(settings.peerCapMs);
      oursSummary = checkOurs(answer, healthy, [BLACKHOLE], '(b)');
      if (i >= 0) ours.push(answer.ms);
      return ms(answer.ms);
    };
    const askThePeer = async () => {
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
    const [o, p] = await alternating(i, askOurs, askThePeer);
    log(`(b) ${roundTag(i, warmup, iterations)}: ours ${o}, peer ${p}`);
  }
  return { ours, peer, peerKube, oursSummary, peerSummary };
}

type Warm = Awaited<ReturnType<typeof warmRequests>>;

function result(
  bench: ViewsBench,
  inProcessCold: CaseB['cold']['oursInProcess'],
  cold: Cold,
  warm: Warm,
  socketsAtEnd: number | undefined,
): CaseB {
  const { settings } = bench;
  const bound = settings.clusterTimeoutMs + settings.marginMs;
  const ours = stats(warm.ours);
  const peerAnswered = warm.peer.filter(x => !x.unanswered).map(x => x.ms);
  const peer = stats(warm.peer.map(x => x.ms));
  const coldOk =
    !cold.ours.unanswered &&
    cold.ours.ms <= bound &&
    inProcessCold.every(x => x.ms <= bound);
  const oursSinceStart = oursRequests(cold.sinceStart);
  return {
    title: `one cluster black-holed (${BLACKHOLE}), tenancy.clusterTimeoutMs ${settings.clusterTimeoutMs}`,
    clusterTimeoutMs: settings.clusterTimeoutMs,
    boundMs: bound,
    capMs: settings.peerCapMs,
    cold: {
      oursInProcess: inProcessCold,
      ours: {
        ms: round1(cold.ours.ms),
        snapshotAgeMs: cold.snapshotAgeMs,
        snapshot: snapshotText(cold.snapshotAgeMs),
        answer: cold.oursSummary,
        kubeRequestsSinceStart: perCluster(oursSinceStart),
        versionRequestsSinceStart: perCluster(
          oursSinceStart.filter(r => r.path.startsWith('/version')),
        ),
      },
      peer: {
        ms: round1(cold.peer.ms),
        unanswered: cold.peer.unanswered,
        answer: cold.peerSummary,
        kubeRequests: perCluster(cold.peerKube),
      },
    },
    warm: {
      ours,
      oursAnswer: warm.oursSummary,
      peer: {
        asked: warm.peer.length,
        unanswered: warm.peer.length - peerAnswered.length,
        samplesMs: peer.samplesMs,
        answer: warm.peerSummary,
        kubeRequestsPerRequest: warm.peerKube,
      },
      ratioP50: ratio(ours.p50Ms, peer.p50Ms),
      ratioP50IsUpperBound: warm.peer.length > 0 && peerAnswered.length === 0,
    },
    socketsToTheBlackHole: {
      afterCold: cold.socketsAfterCold,
      atEnd: socketsAtEnd,
    },
    oursBounded: coldOk && ours.maxMs <= bound,
  };
}

/** (b), on the backend with the black hole (restarted on the same SQLite: the catalog is there). */
export async function caseB(bench: ViewsBench): Promise<CaseB> {
  const { backendB, requestLog } = bench;
  const inProcessCold = await coldInProcess(bench);
  const mark = requestLog.mark();
  await backendB.start();
  const check = backendB.guard('(b)');
  const client = new Client(backendB);
  const cold = await coldRequests(bench, client, mark);
  const warm = await warmRequests(bench, client, cold);
  check();
  const socketsAtEnd = socketsTo(bench.blackholePort);
  await backendB.stop();
  const b = result(bench, inProcessCold, cold, warm, socketsAtEnd);
  log(
    `(b) warm: ours ${ms(b.warm.ours.p50Ms)} / ${ms(
      b.warm.ours.p95Ms,
    )} (max ${ms(b.warm.ours.maxMs)}); peer ${b.warm.peer.unanswered} of ${
      b.warm.peer.asked
    } unanswered`,
  );
  return b;
}
