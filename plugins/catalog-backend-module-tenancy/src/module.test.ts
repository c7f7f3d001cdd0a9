import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import catalogBackend from '@backstage/plugin-catalog-backend';
import { eventsServiceFactory } from '@backstage/plugin-events-node';
import { CoreV1Api } from '@kubernetes/client-node';
import { connectSandbox } from '@tenancy/sandbox';
import { eventually } from '@tenancy/test-utils';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import YAML from 'yaml';
import { catalogModuleTenancy } from './module';

jest.setTimeout(120_000);

const sandbox = connectSandbox();
afterEach(() => sandbox.cleanup());

const seed = path.resolve(
  __dirname,
  '../../../packages/sandbox/catalog/seed.yaml',
);

/** The portal's catalog on the sandbox's clusters, with this module and the seed's teams and services. */
async function startCatalog(frequency: object = { seconds: 2 }) {
  const overlay = YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8'));
  const backend = await startTestBackend({
    features: [
      catalogBackend,
      catalogModuleTenancy,
      eventsServiceFactory,
      // The real scheduler: the mock runs each task once, at startup.
      schedulerServiceFactory,
      mockServices.rootConfig.factory({
        data: {
          kubernetes: overlay.kubernetes,
          tenancy: {
            ...overlay.tenancy,
            catalog: {
              schedule: {
                frequency,
                timeout: { minutes: 1 },
                initialDelay: { seconds: 0 },
              },
            },
          },
          catalog: {
            rules: [
              { allow: ['Component', 'Group', 'User', 'System', 'Resource'] },
            ],
            locations: [{ type: 'file', target: seed }],
            processingInterval: { seconds: 1 },
          },
        },
      }),
    ],
  });
  const user = mockCredentials.user.header('user:default/alice');
  const get = async (p: string) =>
    request(backend.server).get(p).set('Authorization', user);
  const entity = async (ref: string) => {
    const [kind, rest] = ref.split(':');
    const res = await get(`/api/catalog/entities/by-name/${kind}/${rest}`);
    return res.status === 200 ? (res.body as Entity) : undefined;
  };
  return { backend, get, entity };
}

const targets = (e: Entity | undefined, type: string) =>
  (e?.relations ?? [])
    .filter(r => r.type === type)
    .map(r => r.targetRef)
    .sort();

describe('the tenancy catalog module on the sandbox', () => {
  it('puts clusters and namespaces in the catalog, owned by their teams, with service → namespace → cluster relations and no credential or URL', async () => {
    const { backend, get, entity } = await startCatalog();
    try {
      const paymentsApi = await eventually(
        'payments-api related to its namespaces',
        async () => {
          const e = await entity('component:default/payments-api');
          return targets(e, 'dependsOn').length === 2 ? e : undefined;
        },
      );
      expect(targets(paymentsApi, 'dependsOn')).toEqual([
        'resource:default/payments.dev',
        'resource:default/payments.prod',
      ]);
      const prod = await eventually(
        'payments.prod with its relations',
        async () => {
          const e = await entity('resource:default/payments.prod');
          return targets(e, 'dependencyOf').length === 2 ? e : undefined;
        },
      );
      expect(targets(prod, 'ownedBy')).toEqual(['group:default/team-payments']);
      expect(targets(prod, 'dependsOn')).toEqual([
        'resource:default/sandbox-b',
        'resource:default/sandbox-c',
      ]);
      expect(targets(prod, 'dependencyOf')).toEqual([
        'component:default/ledger-worker',
        'component:default/payments-api',
      ]);
      const cluster = await eventually('the cluster sandbox-b', async () => {
        const e = await entity('resource:default/sandbox-b');
        return targets(e, 'dependencyOf').length ? e : undefined;
      });
      expect(cluster?.spec).toMatchObject({
        type: 'kubernetes-cluster',
        owner: 'group:default/platform-team',
      });
      expect(targets(cluster, 'dependencyOf')).toContain(
        'resource:default/payments.prod',
      );
      // search-indexer (team-search) runs only in team-search's namespace.
      const indexer = await entity('component:default/search-indexer');
      expect(targets(indexer, 'dependsOn')).toEqual([
        'resource:default/search.dev',
        'resource:default/search.prod',
      ]);

      // The team's "Owned" list: its namespaces, by kind and type.
      const owned = await get(
        '/api/catalog/entities/by-query?filter=kind=resource,spec.type=kubernetes-namespace,relations.ownedBy=group:default/team-payments',
      );
      // (Other tests' namespaces may be there too: the sandbox is shared.)
      const ownedItems = owned.body.items as Entity[];
      expect(ownedItems.map(e => e.metadata.name)).toEqual(
        expect.arrayContaining(['payments.dev', 'payments.prod']),
      );
      for (const e of ownedItems) {
        expect(e.spec?.owner).toBe('group:default/team-payments');
      }

      // Nothing this module emits holds a credential or an address.
      const all = await get(
        '/api/catalog/entities/by-query?filter=metadata.annotations.tenancy.dev/environment',
      );
      const emitted = (all.body.items as Entity[]).filter(e =>
        e.metadata.annotations?.[
          'backstage.io/managed-by-location'
        ]?.startsWith('tenancy-kubernetes:'),
      );
      expect(emitted.length).toBeGreaterThanOrEqual(9); // 3 clusters, 6 seeded namespaces
      const text = JSON.stringify(emitted);
      const secrets = sandbox.clusters.flatMap(c => [
        c.caData,
        c.url,
        ...Object.values(c.identities).map(i => i.token),
      ]);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/https?:\/\/|127\.0\.0\.1|localhost/);
      expect(text).not.toMatch(/"[^"]*(token|secret|password)[^"]*":/i);
    } finally {
      await backend.stop();
    }
  });

  it('shows a namespace made on a cluster within seconds, and removes it once it is gone, through the watch', async () => {
    // One scheduled run at the start, the next in 10 minutes: only the
    // namespace watch can bring these changes in time.
    const { backend, entity } = await startCatalog({ minutes: 10 });
    try {
      await eventually('the first ingestion', () =>
        entity('resource:default/payments.dev'),
      );
      const name = sandbox.uniqueName('onb');
      await sandbox.createNamespace(sandbox.cluster('sandbox-a'), {
        name,
        labels: {
          'tenancy.dev/tenant': 'team-checkout',
          'tenancy.dev/environment': 'dev',
        },
      });
      const ns = await eventually('the new namespace', () =>
        entity(`resource:default/${name}.dev`),
      );
      expect(ns.spec?.owner).toBe('group:default/team-checkout');

      await sandbox
        .cluster('sandbox-a')
        .kubeConfig('admin')
        .makeApiClient(CoreV1Api)
        .deleteNamespace({ name });
      await eventually('the namespace to leave the catalog', async () =>
        (await entity(`resource:default/${name}.dev`)) ? undefined : true,
      );
    } finally {
      await backend.stop();
    }
  });
});
