import { CacheManager } from '@backstage/backend-defaults/cache';
import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { CatalogProcessorResult } from '@backstage/plugin-catalog-node';
import { WorkloadIndexStore } from './state';
import { WorkloadNamespaceProcessor } from './WorkloadNamespaceProcessor';

const location = {
  type: 'url',
  target: 'https://example.com/catalog-info.yaml',
};

async function relationsOf(entity: Entity) {
  const cache = CacheManager.fromConfig(
    new ConfigReader({ backend: { cache: { store: 'memory' } } }),
  ).forPlugin('catalog');
  const index = new WorkloadIndexStore(cache);
  await index.write({
    'payments-api': [
      {
        ref: 'resource:default/payments.dev',
        namespace: 'payments',
        owner: 'group:default/team-payments',
      },
      {
        ref: 'resource:default/payments-canary.dev',
        namespace: 'payments-canary',
        owner: 'group:default/team-payments',
      },
    ],
  });
  const emitted: CatalogProcessorResult[] = [];
  await new WorkloadNamespaceProcessor(index).postProcessEntity(
    entity,
    location,
    r => emitted.push(r),
  );
  return emitted.flatMap(r => {
    if (r.type === 'relation') {
      return [`${r.relation.type} ${r.relation.target.name}`];
    }
    return r.type === 'refresh' ? [`refresh ${r.key}`] : [];
  });
}

const component = (
  owner: string,
  annotations: Record<string, string> = {},
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-api',
    annotations: {
      'backstage.io/kubernetes-id': 'payments-api',
      ...annotations,
    },
  },
  spec: { type: 'service', owner, lifecycle: 'production' },
});

describe('WorkloadNamespaceProcessor', () => {
  it("relates a Component to the namespaces its owner's workloads run in, both ways", async () => {
    expect(await relationsOf(component('team-payments'))).toEqual([
      'refresh tenancy-kubernetes-id:payments-api',
      'dependsOn payments.dev',
      'dependencyOf payments-api',
      'dependsOn payments-canary.dev',
      'dependencyOf payments-api',
    ]);
  });

  it('narrows to the namespace of backstage.io/kubernetes-namespace', async () => {
    expect(
      await relationsOf(
        component('group:default/team-payments', {
          'backstage.io/kubernetes-namespace': 'payments-canary',
        }),
      ),
    ).toEqual([
      'refresh tenancy-kubernetes-id:payments-api',
      'dependsOn payments-canary.dev',
      'dependencyOf payments-api',
    ]);
  });

  it("gives a Component that names another team's workloads no relation to that team's namespaces", async () => {
    expect(await relationsOf(component('group:default/team-search'))).toEqual([
      'refresh tenancy-kubernetes-id:payments-api',
    ]);
  });
});
