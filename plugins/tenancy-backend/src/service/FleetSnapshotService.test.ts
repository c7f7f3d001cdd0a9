import { CacheManager } from '@backstage/backend-defaults/cache';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { CoreV1Api } from '@kubernetes/client-node';
import { DefaultClusterRegistry } from '@tenancy/plugin-tenancy-node';
import { connectSandbox } from '@tenancy/sandbox';
import fs from 'node:fs';
import YAML from 'yaml';
import { FleetSnapshotService } from './FleetSnapshotService';

jest.setTimeout(300_000);

describe('FleetSnapshotService', () => {
  const sandbox = connectSandbox();
  const created: string[] = [];
  const cluster = sandbox.cluster('sandbox-c');
  const core = cluster.kubeConfig('admin').makeApiClient(CoreV1Api);

  afterAll(async () => {
    // Deleting 500 namespaces is left to the cluster; no need to wait.
    await Promise.all(
      created.map(name =>
        core.deleteNamespace({ name }).catch(() => undefined),
      ),
    );
  });

  async function createNamespaces(n: number) {
    for (let i = 0; i < n; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, n - i) }, async () => {
          const name = sandbox.uniqueName('scale');
          await core.createNamespace({
            body: {
              metadata: {
                name,
                labels: { 'tenancy.dev/tenant': 'team-scale' },
              },
            },
          });
          created.push(name);
        }),
      );
    }
  }

  it('makes the same number of kube requests per refresh with 50 and with 500 namespaces', async () => {
    const overlay = YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8'));
    // Pages large enough that paging is not what is measured here (collect.test.ts covers it).
    overlay.tenancy.fleet = { pageSize: 5000 };
    const config = new ConfigReader(overlay);
    const counts: Record<string, number> = {};
    const service = new FleetSnapshotService({
      config,
      cache: mockServices.cache.mock(),
      logger: mockServices.logger.mock(),
      registry: DefaultClusterRegistry.fromConfig(config, {
        logger: mockServices.logger.mock(),
      }),
      onRequest: name => {
        counts[name] = (counts[name] ?? 0) + 1;
      },
    });
    const requestsPerRefresh = async () => {
      for (const key of Object.keys(counts)) delete counts[key];
      const snapshot = await service.refresh();
      const c = snapshot.clusters.find(s => s.name === 'sandbox-c')!;
      expect(c.error).toBeUndefined();
      return {
        requests: counts['sandbox-c'],
        // Only this test's namespaces: other tests add and remove their own.
        namespaces: c.namespaces!.filter(n => created.includes(n.name)).length,
      };
    };

    await createNamespaces(50);
    const fifty = await requestsPerRefresh();
    await createNamespaces(450);
    const fiveHundred = await requestsPerRefresh();

    expect(fifty.namespaces).toBe(50);
    expect(fiveHundred.namespaces).toBe(500);
    expect(fiveHundred.requests).toBe(fifty.requests);
    // One call for /version and one list per kind: far fewer than namespaces.
    expect(fifty.requests).toBe(11);
  });

  describe('replicas sharing one cache', () => {
    function replica(
      cache: ReturnType<CacheManager['forPlugin']>,
      counts: Record<string, number>,
    ) {
      const config = new ConfigReader(
        YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8')),
      );
      return new FleetSnapshotService({
        config,
        cache,
        logger: mockServices.logger.mock(),
        registry: DefaultClusterRegistry.fromConfig(config, {
          logger: mockServices.logger.mock(),
        }),
        onRequest: name => {
          counts[name] = (counts[name] ?? 0) + 1;
        },
      });
    }
    const newCache = () =>
      CacheManager.fromConfig(
        new ConfigReader({ backend: { cache: { store: 'memory' } } }),
      ).forPlugin('tenancy');

    it('lets requests that arrive before the first snapshot share one refresh', async () => {
      const counts: Record<string, number> = {};
      const service = replica(newCache(), counts);
      const snapshots = await Promise.all([
        service.get(),
        service.get(),
        service.get(),
      ]);
      expect(new Set(snapshots.map(s => s.generatedAt)).size).toBe(1);
      // One refresh: 11 requests to each cluster, not 33.
      expect(counts['sandbox-a']).toBe(11);
    });

    it("serves its own parsed copy while it is current, and another replica's newer snapshot once there is one", async () => {
      const cache = newCache();
      const one = replica(cache, {});
      const two = replica(cache, {});
      const first = await one.refresh();
      // The same object: not read back and parsed from the cache again.
      await expect(one.get()).resolves.toBe(first);
      // The other replica reads the shared snapshot once, then keeps it.
      const seenByTwo = await two.get();
      expect(seenByTwo.generatedAt).toBe(first.generatedAt);
      await expect(two.get()).resolves.toBe(seenByTwo);

      await new Promise(resolve => setTimeout(resolve, 5));
      const second = await two.refresh();
      expect(second.generatedAt).not.toBe(first.generatedAt);
      await expect(one.get()).resolves.toMatchObject({
        generatedAt: second.generatedAt,
      });
    });
  });
});
