/**
 * The cases of bench/onboarding, side by side: (a) one new tenant, (c) the
 * same tenant again, (b) T new tenants in a row.
 */
import { alternating, log } from '../lib/process';
import type { OnboardingBench, Tenant } from './bench';
import { ms } from './report';
import type { Settings } from './settings';

/** The tenants of one round: ours' and kubectl's (separate namespaces). */
interface Pair {
  o: Tenant;
  k: Tenant;
}

/** What the cases measured, in ms. */
export interface Measured {
  a: { ours: number[]; kubectl: number[] };
  c: { ours: number[]; kubectl: number[] };
  b: { ours: number; kubectl: number };
}

/**
 * Warm-ups and then measured rounds of one case: the two sides on the
 * round's pair, the order alternating so that neither side always runs on a
 * quieter machine. The measured times and every round's pair.
 */
async function sideBySide(
  id: 'a' | 'c',
  { warmup, iterations }: Settings,
  pair: (i: number) => Pair,
  ours: (t: Tenant) => Promise<number>,
  kubectl: (t: Tenant) => Promise<number>,
) {
  const times = { ours: [] as number[], kubectl: [] as number[] };
  const pairs: Pair[] = [];
  for (let i = -warmup; i < iterations; i++) {
    const p = pair(i);
    const [o, k] = await alternating(
      i,
      () => ours(p.o),
      () => kubectl(p.k),
    );
    const tag = i < 0 ? 'warm-up' : `run ${i + 1}/${iterations}`;
    log(`(${id}) ${tag}: ours ${ms(o)}, kubectl ${ms(k)}`);
    if (i >= 0) {
      times.ours.push(o);
      times.kubectl.push(k);
    }
    pairs.push(p);
  }
  return { times, pairs };
}

/** (a), then (c) on (a)'s tenants, then (b). */
export async function runCases(
  bench: OnboardingBench,
  settings: Settings,
): Promise<Measured> {
  // (a) one new tenant on the three clusters.
  const round = (i: number) => (i < 0 ? `w${-i}` : `${i}`);
  const a = await sideBySide(
    'a',
    settings,
    i => ({
      o: bench.tenant(`ao-${round(i)}`),
      k: bench.tenant(`ak-${round(i)}`),
    }),
    t => bench.ours(t, 'created'),
    t => bench.kubectl(t),
  );

  // (c) the same tenants again: nothing changes.
  const c = await sideBySide(
    'c',
    settings,
    i => a.pairs[i + settings.warmup],
    t => bench.ours(t, 'unchanged'),
    t => bench.kubectlUnchanged(t),
  );

  // (b) T new tenants in a row, one after the other.
  const { tenants } = settings;
  const bOursTenants = Array.from({ length: tenants }, (_, i) =>
    bench.tenant(`bo-${i}`),
  );
  const bKubectlTenants = Array.from({ length: tenants }, (_, i) =>
    bench.tenant(`bk-${i}`),
  );
  let bOurs = 0;
  for (const t of bOursTenants) bOurs += await bench.ours(t, 'created');
  log(`(b) ours: ${tenants} tenants in ${ms(bOurs)}`);
  let bKubectl = 0;
  for (const t of bKubectlTenants) bKubectl += await bench.kubectl(t);
  log(`(b) kubectl: ${tenants} tenants in ${ms(bKubectl)}`);

  return {
    a: a.times,
    c: c.times,
    b: { ours: bOurs, kubectl: bKubectl },
  };
}
