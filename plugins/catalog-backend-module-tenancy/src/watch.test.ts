import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { KubeConfig } from '@kubernetes/client-node';
import {
  ClusterRegistry,
  DefaultClusterRegistry,
  TenancyCluster,
} from '@tenancy/plugin-tenancy-node';
import { connectSandbox } from '@tenancy/sandbox';
import { eventually } from '@tenancy/test-utils';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import YAML from 'yaml';
import { NamespaceWatches } from './watch';

jest.setTimeout(60_000);

const sandbox = connectSandbox();

describe('NamespaceWatches', () => {
  it('keeps watching a cluster without a gap when the API server ends its watch', async () => {
    const overlay = YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8'));
    const registry = DefaultClusterRegistry.fromConfig(
      new ConfigReader(overlay),
      { logger: mockServices.logger.mock() },
    );
    const cluster = (await registry.listClusters()).find(
      c => c.name === 'sandbox-a',
    );
    const logger = mockServices.logger.mock();
    // The API server ends each watch after 1 s (25 s outside this test).
    const watches = new NamespaceWatches({
      clusters: registry,
      logger,
      onChange: () => {},
      watchSeconds: 1,
    });
    try {
      watches.sync([cluster!]);
      const since = await eventually('the watch to be up', async () =>
        watches.watchingSince('sandbox-a'),
      );
      const ends = () =>
        logger.debug.mock.calls.filter(([message]) =>
          String(message).includes('Watching sandbox-a again: the watch ended'),
        ).length;
      await eventually('three ends of the watch', async () =>
        ends() >= 3 ? true : undefined,
      );
      // Each time it resumed from the last resourceVersion it saw: no gap,
      // so what was listed before the first end is still known current.
      const after = await eventually('the watch to be up again', async () =>
        watches.watchingSince('sandbox-a'),
      );
      expect(after).toBe(since);
    } finally {
      watches.stop();
    }
    // Stopped: nothing is seen any more.
    expect(watches.watchingSince('sandbox-a')).toBeUndefined();
    expect(watches.unchangedSince('sandbox-a', 0)).toBe(false);
  });

  it('pauses before watching again when streams are dropped as soon as they open', async () => {
    // A stand-in for a proxy that answers 200 and closes every stream at
    // once: no real API server can be made to do that. Without the pause
    // the watch would reconnect in a tight loop.
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end();
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cluster: TenancyCluster = {
      name: 'dropping',
      url,
      source: 'config',
      authProvider: 'serviceAccount',
    };
    const registry: ClusterRegistry = {
      listClusters: async () => [cluster],
      getCluster: async () => cluster,
      kubeConfig: async () => {
        const kc = new KubeConfig();
        kc.loadFromOptions({
          // client-node refuses plain http unless told not to verify TLS.
          clusters: [{ name: 'dropping', server: url, skipTLSVerify: true }],
          users: [{ name: 'nobody' }],
          contexts: [{ name: 'c', cluster: 'dropping', user: 'nobody' }],
          currentContext: 'c',
        });
        return kc;
      },
    };
    const watches = new NamespaceWatches({
      clusters: registry,
      logger: mockServices.logger.mock(),
      onChange: () => {},
      retryMs: 1_000,
    });
    try {
      watches.sync([cluster]);
      await new Promise(resolve => setTimeout(resolve, 2_500));
      // The first stream and one or two more after a 1 s pause each.
      expect(requests).toBeGreaterThanOrEqual(2);
      expect(requests).toBeLessThanOrEqual(3);
      expect(watches.watchingSince('dropping')).toBeUndefined();
    } finally {
      watches.stop();
      server.close();
    }
  });
});
