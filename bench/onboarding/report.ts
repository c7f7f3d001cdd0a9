/** bench/onboarding's figures: the table and verdict on stdout, the JSON results. */
import {
  heading,
  LoadAverage,
  machine,
  ms as duration,
  table,
  writeResults,
} from '../lib/report';
import { ratio, Timings, timings } from '../lib/stats';
import type { OnboardingBench } from './bench';
import type { Measured } from './cases';
import { GOAL, KUBECTL_FIELD_MANAGER, Settings } from './settings';

/** Durations in whole ms (seconds from 10 s). */
export const ms = (x: number) => duration(x, false);

/** Median and p90 (nearest rank: with 5 samples, the slowest). */
type Stats = Timings<'medianMs', 'p90Ms'>;
const stats = (samples: number[]): Stats =>
  timings(samples, 'medianMs', 'p90Ms', 0.9);

interface SampledCase {
  id: 'a' | 'c';
  title: string;
  ours: Stats;
  kubectl: Stats;
  /** ours / kubectl, on medians. */
  ratio: number;
}

interface TotalCase {
  id: 'b';
  title: string;
  tenants: number;
  ours: { totalMs: number; perTenantMs: number };
  kubectl: { totalMs: number; perTenantMs: number };
  /** ours / kubectl, on totals. */
  ratio: number;
}

export interface Run {
  bench: OnboardingBench;
  settings: Settings;
  /** kubectl's version. */
  kubectl: string;
  objectCount: number;
  started: Date;
  load: LoadAverage;
}

function sampled(
  id: SampledCase['id'],
  title: string,
  times: Measured['a'],
): SampledCase {
  const ours = stats(times.ours);
  const kubectl = stats(times.kubectl);
  return {
    id,
    title,
    ours,
    kubectl,
    ratio: ratio(ours.medianMs, kubectl.medianMs),
  };
}

function total(tenants: number, times: Measured['b']): TotalCase {
  const side = (x: number) => ({
    totalMs: Math.round(x),
    perTenantMs: Math.round((x / tenants) * 10) / 10,
  });
  return {
    id: 'b',
    title: `${tenants} new tenants in a row`,
    tenants,
    ours: side(times.ours),
    kubectl: side(times.kubectl),
    ratio: ratio(times.ours, times.kubectl),
  };
}

function verdictOf(cases: Array<SampledCase | TotalCase>) {
  const failing = cases.filter(x => x.ratio > GOAL);
  const verdict = failing.length
    ? `MISSES the goal (ours <= ${GOAL}x kubectl) in ${failing
        .map(x => `(${x.id}) ${x.ratio.toFixed(2)}x`)
        .join(', ')}`
    : `meets the goal (ours <= ${GOAL}x kubectl) in every case: worst ${Math.max(
        ...cases.map(x => x.ratio),
      ).toFixed(2)}x`;
  return { verdict, meetsGoal: failing.length === 0 };
}

function printed(
  run: Run,
  { a, b, c }: { a: SampledCase; b: TotalCase; c: SampledCase },
  verdict: string,
): string {
  const medianP90 = (s: Stats) => `${ms(s.medianMs)} / ${ms(s.p90Ms)}`;
  const totals = (x: TotalCase['ours']) =>
    `${ms(x.totalMs)} total (${ms(x.perTenantMs)}/tenant)`;
  const rows = [
    ['case', 'ours', 'kubectl', 'ours/kubectl'],
    ...[a, b, c].map(x => [
      `(${x.id}) ${x.title}`,
      x.id === 'b' ? totals(x.ours) : medianP90(x.ours),
      x.id === 'b' ? totals(x.kubectl) : medianP90(x.kubectl),
      `${x.ratio.toFixed(2)}x`,
    ]),
  ];
  const { iterations, warmup } = run.settings;
  const clusters = run.bench.clusterNames.length;
  const notes = [
    `(a) and (c): median / p90 of ${iterations} runs after ${warmup} warm-up; ratio on medians. (b): totals.`,
    `ours: render + applyTenantBaseline (field manager tenancy) on the ${clusters} clusters in parallel, in one process.`,
    `kubectl ${run.kubectl}: apply --server-side --field-manager=${KUBECTL_FIELD_MANAGER} -f <same objects as YAML>, once per cluster, sequentially;`,
    '  one --cache-dir for all its runs (warm discovery cache, as in real use), filled by the warm-up.',
    `Same identity (the platform's token, from the cluster registry), same clusters, ${run.objectCount} objects per cluster.`,
  ];
  return `${heading('Onboarding', run.started, run.load.text())}${table(
    rows,
  )}\n\n${notes.join('\n')}\n\nVerdict: ${verdict}\n`;
}

/** The figures on stdout and in the JSON results. */
export function report(run: Run, measured: Measured): void {
  const { bench, settings } = run;
  const a = sampled(
    'a',
    `one new tenant on ${bench.clusterNames.length} clusters`,
    measured.a,
  );
  const c = sampled('c', 'same tenant again (nothing changes)', measured.c);
  const b = total(settings.tenants, measured.b);
  const { verdict, meetsGoal } = verdictOf([a, b, c]);
  run.load.end();
  process.stdout.write(printed(run, { a, b, c }, verdict));

  writeResults(settings.out, {
    bench: 'onboarding',
    date: run.started.toISOString(),
    machine: {
      ...machine(),
      kubectl: run.kubectl,
      kubernetes: bench.sandbox.state.kubernetesVersion,
      loadAverage1m: run.load.json(),
    },
    settings: {
      iterations: settings.iterations,
      warmup: settings.warmup,
      tenants: settings.tenants,
      clusters: bench.clusterNames,
      objectsPerCluster: run.objectCount,
      ours: 'renderTenantBaseline + applyTenantBaseline, clusters in parallel, one process',
      kubectl: `kubectl apply --server-side --field-manager=${KUBECTL_FIELD_MANAGER} -f file, once per cluster, sequentially`,
      kubectlDiscoveryCache:
        'one --cache-dir for all runs (warm after the warm-up)',
      identity: 'platform (tenancy-portal)',
      ratio: 'ours / kubectl; medians for (a) and (c), totals for (b)',
    },
    cases: { a, b, c },
    goal: GOAL,
    meetsGoal,
    verdict,
  });
}
