import { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { packageRoot } from './paths';
import { SERVICES, TENANT_USERS } from './seedData';
import { nodeObjects, workloadObjects } from './seed';
import { CLUSTERS } from './seedData';

type Entity = {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { owner?: string; members?: string[] };
};

const entities: Entity[] = YAML.parseAllDocuments(
  fs.readFileSync(path.join(packageRoot, 'catalog', 'seed.yaml'), 'utf8'),
).map(d => d.toJSON());

describe('seed data', () => {
  it('has a catalog Component, owned by its team, for every seeded service', () => {
    for (const service of SERVICES) {
      const component = entities.find(
        e => e.kind === 'Component' && e.metadata.name === service.name,
      );
      expect(
        component?.metadata.annotations?.['backstage.io/kubernetes-id'],
      ).toBe(service.name);
      expect(component?.spec.owner).toBe(`group:default/${service.tenant}`);
    }
  });

  it('has a catalog Group for every tenant, the guest user in one of them', () => {
    const groups = entities.filter(e => e.kind === 'Group');
    for (const tenant of new Set([
      ...SERVICES.map(s => s.tenant),
      ...TENANT_USERS.flatMap(u => u.groups),
    ])) {
      expect(groups.map(g => g.metadata.name)).toContain(tenant);
    }
    expect(
      groups.find(g => g.metadata.name === 'team-payments')?.spec.members,
    ).toContain('guest');
  });

  it('shows every unhealthy behaviour somewhere and labels pods for the Kubernetes plugin', () => {
    const behaviours = new Set(
      SERVICES.flatMap(s => Object.values(s.placement)),
    );
    expect([...behaviours].sort()).toEqual([
      'crashloop',
      'healthy',
      'imagepull',
      'notready',
      'pending',
    ]);
    for (const cluster of CLUSTERS) {
      const deployments = workloadObjects(cluster).filter(
        (o: KubernetesObject): o is V1Deployment => o.kind === 'Deployment',
      );
      for (const d of deployments) {
        expect(
          d.spec?.template.metadata?.labels?.['backstage.io/kubernetes-id'],
        ).toBe(d.metadata?.name);
      }
      expect(nodeObjects(cluster)).toHaveLength(cluster.nodes);
    }
  });
});
