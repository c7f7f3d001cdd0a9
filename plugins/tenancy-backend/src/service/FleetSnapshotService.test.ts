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
});
