/** bench/views' figures: the tables, notes and verdicts on stdout, the JSON results. */
import {
  heading,
  LoadAverage,
  machine,
  ms,
  table,
  writeResults,
} from '../lib/report';
import { ratio } from '../lib/stats';
import type { CaseA, CaseB, CaseFleet, Results } from './cases';
import { anomalies } from './checks';
import { ENTITY_REF, GOAL_A, ROUTES, Settings } from './settings';
import type { ViewsBench } from './setup';
import { stats, Stats, times } from './stats';

const p50p95 = (s: Pick<Stats, 'p50Ms' | 'p95Ms'>) =>
  `${ms(s.p50Ms)} / ${ms(s.p95Ms)}`;

function rowsB(b: CaseB): string[][] {
  const capText = `no answer in ${ms(b.capMs)}`;
  const { peer } = b.warm;
  return [
    [
      '(b) one cluster black-holed, cold (1st request after restart)',
      `${ms(b.cold.ours.ms)} (${b.cold.ours.snapshot})`,
      b.cold.peer.unanswered ? capText : ms(b.cold.peer.ms),
      b.cold.peer.unanswered
        ? times(ratio(b.cold.ours.ms, b.capMs), true)
        : times(ratio(b.cold.ours.ms, b.cold.peer.ms)),
    ],
    [
      '(b) cold, in-process get() on an empty cache',
      `${b.cold.oursInProcess.map(x => ms(x.ms)).join(', ')}`,
      '',
      '',
    ],
    [
      '(b) one cluster black-holed, warm',
      p50p95(b.warm.ours),
      peer.unanswered === peer.asked
        ? `${capText} (${peer.asked} of ${peer.asked})`
        : `${p50p95(stats(peer.samplesMs))} (${peer.unanswered} of ${
            peer.asked
          } unanswered)`,
      times(b.warm.ratioP50, b.warm.ratioP50IsUpperBound),
    ],
  ];
}

/** Each side's p50 / p95 per case, and the ratio. */
function caseRows({ a, b, fleet }: Results): string[][] {
  return [
    ['case', 'ours p50 / p95', 'peer p50 / p95', 'ours/peer (p50)'],
    ...(a
      ? [
          [
            '(a) all clusters healthy, warm',
            p50p95(a.ours),
            p50p95(a.peer),
            times(a.ratioP50),
          ],
        ]
      : []),
    ...(b ? rowsB(b) : []),
    ...(fleet
      ? [
          [
            `fleet: ${fleet.namespacesPerCluster} new namespaces/cluster, warm`,
            p50p95(fleet.withTheNamespaces.ours),
            p50p95(fleet.withTheNamespaces.peer),
            times(fleet.withTheNamespaces.ratioP50),
          ],
        ]
      : []),
  ];
}

function verdictA(a: CaseA): string {
  return `(a) ${
    a.ratioP50 <= GOAL_A ? 'meets' : 'MISSES'
  } the goal (ours <= ${GOAL_A}x the peer): ${a.ratioP50.toFixed(3)}x`;
}

function verdictB(b: CaseB, settings: Settings): string {
  const inProcess = `(in-process, empty cache: max ${ms(
    Math.max(...b.cold.oursInProcess.map(x => x.ms)),
  )})`;
  const bound = `${b.clusterTimeoutMs} + ${settings.marginMs} ms`;
  return b.oursBounded
    ? `(b) ours is bounded by the timeout: cold ${ms(
        b.cold.ours.ms,
      )} ${inProcess}, warm max ${ms(
        b.warm.ours.maxMs,
      )} <= ${bound}; the peer ${
        b.cold.peer.unanswered
          ? `did not answer within ${ms(b.capMs)}`
          : `answered in ${ms(b.cold.peer.ms)}`
      }`
    : `(b) ours is NOT bounded by the timeout: cold ${ms(
        b.cold.ours.ms,
      )} ${inProcess}, warm max ${ms(b.warm.ours.maxMs)} > ${bound}`;
}

/** Kube requests per cluster: one fleet refresh (ours), one request for one entity (each side). */
function requestRows({ a, fleet }: Results, healthy: string[]): string[][] {
  const rows: string[][] = [['kube requests', ...healthy, 'total']];
  const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
  const refresh = (label: string, f: CaseFleet['inProcess']['before']) =>
    rows.push([
      label,
      ...healthy.map(
        c =>
          `${[...new Set(f.clusters[c].requestsPerRefresh)].join('/')} (${
            f.clusters[c].namespaces
          } ns)`,
      ),
      String(sum(healthy.map(c => f.clusters[c].requestsPerRefresh[0]))),
    ]);
  if (fleet) {
    refresh('ours: one fleet refresh, before', fleet.inProcess.before);
    refresh(
      `ours: one fleet refresh, +${fleet.namespacesPerCluster} ns`,
      fleet.inProcess.after,
    );
  }
  if (a) {
    const per = a.kubeRequests.peerPerRequest.perCluster;
    rows.push([
      'peer: one entity, one request',
      ...healthy.map(c => String(per[c] ?? 0)),
      String(a.kubeRequests.peerPerRequest.median),
    ]);
    rows.push([
      'ours: one entity, one request',
      ...healthy.map(() => '0'),
      '0',
    ]);
  }
  if (fleet) {
    rows.push([
      `peer: one entity, +${fleet.namespacesPerCluster} ns`,
      ...healthy.map(() => ''),
      String(fleet.withTheNamespaces.peerKubeRequestsPerRequest.median),
    ]);
  }
  return rows;
}

function notes({ a, b }: Results, settings: Settings): string[] {
  return [
    `One portal backend process (packages/backend, yarn backstage-cli package start, NODE_ENV=development), user pat (platform team), entity ${ENTITY_REF}.`,
    `ours: GET ${ROUTES.ours} (from the fleet snapshot, refreshed in the background).`,
    `peer: POST ${ROUTES.peer} {entity, auth: {}} (what the Kubernetes tab sends, every 10 s while open).`,
    `${settings.iterations} requests per side after ${settings.warmup} warm-ups, sequential, alternating which side goes first; p50 = median, p95 nearest rank.`,
    a
      ? `(a) reference, not a side: the catalog lookup alone (GET /api/catalog/entities/by-name/…), which both sides make first: ${p50p95(
          a.catalogLookupReference,
        )}.`
      : '',
    b
      ? `(b): a fourth cluster on the sandbox's black hole, tenancy.clusterTimeoutMs ${
          b.clusterTimeoutMs
        }; the bench gives up on a request after ${ms(
          b.capMs,
        )}; cold = the first request after the restart.`
      : '',
    b
      ? `(b): the backend had ${
          b.socketsToTheBlackHole.atEnd ?? '?'
        } connections open to the black hole at the end (${
          b.socketsToTheBlackHole.afterCold ?? '?'
        } after the cold requests): the peer never gives up on a request; ours aborts its own at the timeout.`
      : '',
  ].filter(Boolean);
}

/** The figures on stdout and in the JSON results. */
export function report(
  bench: ViewsBench,
  results: Results,
  started: Date,
  load: LoadAverage,
): void {
  const { settings, healthy } = bench;
  load.end();
  const verdicts = [
    ...(results.a ? [verdictA(results.a)] : []),
    ...(results.b ? [verdictB(results.b, settings)] : []),
  ];
  const requests = requestRows(results, healthy);
  process.stdout.write(
    `${heading('Views', started, load.text())}${table(caseRows(results))}\n\n${
      requests.length > 1 ? `${table(requests)}\n\n` : ''
    }${notes(results, settings).join('\n')}\n\n${verdicts
      .map(v => `Verdict: ${v}`)
      .join('\n')}\n${
      anomalies.length
        ? `\nAnomalies (ours):\n${anomalies.map(x => `  ${x}`).join('\n')}\n`
        : ''
    }`,
  );

  writeResults(settings.out, {
    bench: 'views',
    date: started.toISOString(),
    machine: {
      ...machine(),
      kubernetes: bench.sandbox.state.kubernetesVersion,
      loadAverage1m: load.json(),
    },
    settings: {
      ...settings,
      out: undefined,
      entity: ENTITY_REF,
      clusters: healthy,
      ours: `GET ${ROUTES.ours}`,
      peer: `POST ${ROUTES.peer} {entity, auth: {}}`,
      backend:
        'packages/backend, yarn backstage-cli package start, one process for both',
      identity: 'pat (user:default/pat, platform-team)',
    },
    cases: results,
    goals: {
      a: `ours p50 <= ${GOAL_A}x the peer's, warm`,
      b: 'ours bounded by tenancy.clusterTimeoutMs + margin, cold and warm',
    },
    verdicts,
    anomalies,
  });
}
