/** bench/views' cases, as --cases chose them: (a) and fleet on one backend, then (b) on another. */
import { deleteNamespaces } from '../namespaces';
import type { ViewsBench } from '../setup';
import { CaseA, caseA } from './a';
import { caseB, CaseB } from './b';
import { retrying, startWithCatalog } from './common';
import { CaseFleet, caseFleet } from './fleet';

export type { CaseA, CaseB, CaseFleet };

/** The figures of the cases that ran. */
export interface Results {
  a?: CaseA;
  fleet?: CaseFleet;
  b?: CaseB;
}

export async function runCases(bench: ViewsBench): Promise<Results> {
  const { cases } = bench.settings;
  const { backendA, backendB, sandbox } = bench;
  const results: Results = {};
  let catalogReady = false;

  if (cases.includes('a') || cases.includes('fleet')) {
    await retrying(
      '(a) and fleet',
      async () => {
        const client = await startWithCatalog(backendA);
        catalogReady = true;
        if (cases.includes('a')) results.a = await caseA(bench, client);
        if (cases.includes('fleet')) results.fleet = await caseFleet(bench);
        await backendA.stop();
      },
      async () => {
        await backendA.stop();
        await deleteNamespaces(sandbox);
      },
    );
  }

  const deletion = await deleteNamespaces(sandbox);
  if (results.fleet) results.fleet.deleteMs = deletion.ms;

  if (cases.includes('b')) {
    if (!catalogReady) {
      // The cold request must find the catalog ready: ingest it first.
      await startWithCatalog(backendB);
      await backendB.stop();
    }
    await retrying(
      '(b)',
      async () => {
        results.b = await caseB(bench);
      },
      () => backendB.stop(),
    );
  }
  return results;
}
