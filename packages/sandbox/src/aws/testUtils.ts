import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { cacheDir } from '../paths';
import { freePort } from '../ports';
import { createFaultLayer, FaultLayer } from './faultLayer';
import { ensureMoto, startMoto, stopMoto } from './moto';
import { SANDBOX_REGION } from './organization';

/** moto plus a fault layer in front of it, for one test file. */
export interface AwsTestSandbox {
  motoUrl: string;
  /** The fault layer's URL: point SDK clients here. */
  url: string;
  layer: FaultLayer;
  /** What the layer logged (injected faults), newest last. */
  logLines: string[];
  /** Empties moto and forgets every rule and faked request. */
  reset(): Promise<void>;
  /** An SDK client signed with `accessKeyId`; `maxAttempts: 1` so errors surface. */
  client(accessKeyId?: string): OrganizationsClient;
  stop(): Promise<void>;
}

export { freePort };

/** Starts a private moto (installing it on first use) and a fault layer. */
export async function startAwsTestSandbox(): Promise<AwsTestSandbox> {
  const motoServer = await ensureMoto({
    cacheDir: cacheDir(),
    log: message => process.stderr.write(`${message}\n`),
  });
  const dir = await fs.promises.mkdtemp(
    path.join(os.tmpdir(), 'tenancy-moto-'),
  );
  const moto = await startMoto({
    motoServer,
    port: await freePort(),
    logFile: path.join(dir, 'moto.log'),
    detached: false,
  });
  const logLines: string[] = [];
  const layer = createFaultLayer({
    upstream: moto.url,
    log: line => logLines.push(line),
  });
  let url: string;
  try {
    url = await layer.listen();
  } catch (e) {
    await stopMoto(moto.pid);
    throw e;
  }
  const clients: OrganizationsClient[] = [];

  return {
    motoUrl: moto.url,
    url,
    layer,
    logLines,
    async reset() {
      const res = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
      logLines.length = 0;
    },
    client(accessKeyId = 'sandbox-test') {
      const client = new OrganizationsClient({
        endpoint: url,
        region: SANDBOX_REGION,
        credentials: { accessKeyId, secretAccessKey: 'sandbox' },
        maxAttempts: 1,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      clients.forEach(c => c.destroy());
      await layer.close();
      await stopMoto(moto.pid);
      await fs.promises.rm(dir, { recursive: true, force: true });
    },
  };
}
