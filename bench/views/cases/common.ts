/** What bench/views' cases share: the backend with the catalog ready, retries, round labels. */
import { againIfRestarted, Backend } from '../../lib/backend';
import { log } from '../../lib/process';
import { ms } from '../../lib/report';
import { anomalies } from '../checks';
import { Client } from '../client';

/** `warm-up 2/3` or `run 7/30`: round i of `warmup` warm-ups and n runs. */
export const roundTag = (i: number, warmup: number, n: number) =>
  i < 0 ? `warm-up ${i + warmup + 1}/${warmup}` : `run ${i + 1}/${n}`;

/**
 * Runs a phase again (up to 3 times) when backstage-cli restarted the
 * backend in it; what it recorded as anomalies goes, `cleanup` undoes the
 * rest.
 */
export async function retrying(
  what: string,
  phase: () => Promise<void>,
  cleanup: () => Promise<void>,
): Promise<void> {
  let anomalyCount = anomalies.length;
  await againIfRestarted(
    `${what}: `,
    () => {
      anomalyCount = anomalies.length;
      return phase();
    },
    async () => {
      anomalies.length = anomalyCount;
      await cleanup();
    },
  );
}

/**
 * Starts `backend` and waits until the catalog has ingested the seed; a
 * client signed in as pat (the platform team), with its catalog memberships.
 */
export async function startWithCatalog(backend: Backend): Promise<Client> {
  await backend.start();
  const client = new Client(backend);
  await client.signIn();
  log('waiting for the catalog to ingest the seed…');
  const t0 = Date.now();
  await client.waitForEntity(600_000);
  await client.signIn(); // now with pat's catalog memberships
  log(`catalog ready after ${ms(Date.now() - t0)}`);
  return client;
}
