/**
 * bench/views — one entity's health through Tenancy's backend
 * (`GET /api/tenancy/entities/:kind/:namespace/:name/health`, served from the
 * fleet snapshot) and through Backstage's own Kubernetes backend
 * (`POST /api/kubernetes/services/:entityName`, what the Kubernetes tab
 * calls), side by side in ONE portal backend process (packages/backend,
 * started with `yarn backstage-cli package start`), as pat (the platform
 * team: the shipped policy keeps the peer's route to it):
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
 * logger (bench/lib/requestLog.js). Namespaces it makes carry the label
 * `tenancy-bench/views`; they are deleted (as admin) before (b), at the end,
 * and leftovers of an interrupted run at the start. Figures go to stdout and
 * to var/bench/views.json.
 *
 *   settings.ts  the flags                 setup.ts     sandbox, overlays, backends
 *   cases/       a.ts, fleet.ts, b.ts       report.ts    the tables, the verdicts, the JSON
 *   client.ts    both sides' requests       checks.ts    what their answers must say
 *   requests.ts  the backend's kube requests  inProcess.ts FleetSnapshotService in-process
 */
import { parseArgs, printUsage } from '../lib/args';
import { LoadAverage } from '../lib/report';
import { runCases } from './cases';
import { report } from './report';
import { command } from './settings';
import { setUp, tearDown } from './setup';

export async function main(argv: string[]): Promise<number> {
  const settings = parseArgs(command, argv);
  if (!settings) return printUsage(command);

  const bench = await setUp(settings);
  const started = new Date();
  const load = new LoadAverage();
  try {
    const results = await runCases(bench);
    report(bench, results, started, load);
  } finally {
    await tearDown(bench);
  }
  return 0;
}
