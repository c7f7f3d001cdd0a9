/**
 * bench/onboarding — onboarding a tenant with Tenancy's server-side apply
 * (renderTenantBaseline + applyTenantBaseline, the three clusters in
 * parallel) against the same objects applied with `kubectl apply
 * --server-side`, once per cluster, one cluster after the other.
 *
 * Cases, run side by side on the running sandbox as the platform identity:
 *   (a) one new tenant on the three clusters, N times (median, p90);
 *   (c) the same tenant again, nothing changes (median, p90);
 *   (b) T new tenants in a row (total).
 *
 * Every namespace it makes carries the label `tenancy-bench/run`; they are all
 * deleted (as admin) at the end, and leftovers of an interrupted run at the
 * start. Figures go to stdout and to var/bench/onboarding.json.
 *
 *   settings.ts  the flags      bench.ts   the two sides, the tenants
 *   cases.ts     (a), (c), (b)  report.ts  the table, the verdict, the JSON
 */
import fs from 'node:fs';
import { parseArgs, printUsage } from '../lib/args';
import { log, onInterrupt } from '../lib/process';
import { LoadAverage } from '../lib/report';
import { OnboardingBench } from './bench';
import { runCases } from './cases';
import { report } from './report';
import { command, WORK_DIR } from './settings';

export async function main(argv: string[]): Promise<number> {
  const settings = parseArgs(command, argv);
  if (!settings) return printUsage(command);

  const { bench, kubectl } = await OnboardingBench.create(settings);
  const interrupt = onInterrupt(
    'interrupted: deleting the bench namespaces (Ctrl-C again to leave them)…',
    () => bench.cleanup(),
  );
  await bench.cleanup(); // leftovers of an interrupted run
  await bench.prepare();
  const objectCount = bench.tenant('probe').objects.length;
  const { iterations, warmup, tenants } = settings;
  log(
    `${bench.clusterNames.length} clusters (${bench.clusterNames.join(
      ', ',
    )}), ${objectCount} objects per cluster; kubectl ${kubectl}; ${warmup} warm-up + ${iterations} runs; ${tenants} tenants in a row`,
  );

  const started = new Date();
  const load = new LoadAverage();
  try {
    const measured = await runCases(bench, settings);
    report({ bench, settings, kubectl, objectCount, started, load }, measured);
  } finally {
    if (!interrupt.interrupted) {
      await bench.cleanup();
      fs.rmSync(WORK_DIR, { recursive: true, force: true });
    }
  }
  return 0;
}
