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
import { performance } from 'node:perf_hooks';
import { connectionKey, NamespaceWatches } from './watch';

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
    expect(watches.unchangedSince(cluster!, 0)).toBe(false);
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

      // Gone from the registry while it waits to watch again: it is not
      // watched again (it used to be, every pause, for good).
      watches.sync([]);
      const after = requests;
      await new Promise(resolve => setTimeout(resolve, 2_500));
      expect(requests).toBe(after);
    } finally {
      watches.stop();
      server.close();
    }
  });

  it('watches a cluster anew when its name comes to stand for another server', async () => {
    const overlay = YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8'));
    const inner = DefaultClusterRegistry.fromConfig(new ConfigReader(overlay), {
      logger: mockServices.logger.mock(),
    });
    const listed = await inner.listClusters();
    const a = listed.find(c => c.name === 'sandbox-a')!;
    const b = listed.find(c => c.name === 'sandbox-b')!;
    // The name sandbox-a moved to sandbox-b's API server, as when a catalog
    // cluster's URL is edited or a cluster is replaced by a new one.
    const moved: TenancyCluster = { ...b, name: 'sandbox-a' };
    const registry: ClusterRegistry = {
      listClusters: async () => listed,
      getCluster: async name => listed.find(c => c.name === name)!,
      kubeConfig: cluster =>
        inner.kubeConfig(cluster.url === b.url ? b : cluster),
    };
    expect(connectionKey(moved)).not.toBe(connectionKey(a));
    expect(connectionKey({ ...a })).toBe(connectionKey(a));
    let changes = 0;
    const watches = new NamespaceWatches({
      clusters: registry,
      logger: mockServices.logger.mock(),
      onChange: () => changes++,
      debounceMs: 100,
    });
    /**
     * Waits until the watch of `cluster` has been up and quiet for a second
     * (it first reports every namespace there is); returns that moment.
     */
    const quiet = (cluster: TenancyCluster) =>
      eventually(`the watch of ${cluster.url} to settle`, async () => {
        const t = performance.now() - 1_000;
        return watches.unchangedSince(cluster, t) ? t : undefined;
      });
    try {
      watches.sync([a]);
      const first = await eventually('the watch of sandbox-a', async () =>
        watches.watchingSince('sandbox-a'),
      );
      await quiet(a);

      watches.sync([moved]);
      // What the old watch saw says nothing of the new server.
      expect(watches.unchangedSince(moved, performance.now())).toBe(false);
      const second = await eventually('the watch of the moved name', async () =>
        watches.watchingSince('sandbox-a'),
      );
      expect(second).toBeGreaterThan(first);
      const since = await quiet(moved);
      expect(watches.unchangedSince(a, since)).toBe(false);

      // A change on sandbox-b's server is seen under the name sandbox-a.
      changes = 0;
      await sandbox.createNamespace(sandbox.cluster('sandbox-b'), {
        name: sandbox.uniqueName('moved'),
        labels: { 'tenancy.dev/tenant': 'team-search' },
      });
      await eventually('the change on the new server', async () =>
        watches.unchangedSince(moved, since) ? undefined : true,
      );
      await eventually('the change to be reported', async () =>
        changes > 0 ? true : undefined,
      );
    } finally {
      watches.stop();
      await sandbox.cleanup();
    }
  });
});
