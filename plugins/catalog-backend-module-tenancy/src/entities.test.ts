import { makeValidator } from '@backstage/catalog-model';
import {
  catalogModel,
  clusterEntityName,
  namespaceEntityName,
} from './entities';

const VALID_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

describe('entity names', () => {
  it('is <namespace>.<environment> when that is a valid name', () => {
    expect(namespaceEntityName('payments', 'prod')).toBe('payments.prod');
    expect(clusterEntityName('sandbox-a')).toBe('sandbox-a');
  });

  it('keeps the environment suffix of a name that must be shortened, and two long names apart', () => {
    const long = 'a'.repeat(63);
    const a = namespaceEntityName(long, 'prod');
    const b = namespaceEntityName(`${'a'.repeat(62)}b`, 'prod');
    for (const name of [a, b]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(VALID_NAME);
      expect(name.endsWith('.prod')).toBe(true);
    }
    expect(a).not.toBe(b);
  });

  it('makes valid, distinct names of names the catalog would refuse', () => {
    const upper = clusterEntityName('Prod_EU');
    const lower = clusterEntityName('prod_eu');
    expect(upper).toMatch(VALID_NAME);
    expect(upper).not.toBe(lower);
    expect(clusterEntityName('---')).toMatch(VALID_NAME);
    expect(namespaceEntityName('payments', 'Dev Env')).toMatch(VALID_NAME);
  });

  it('stays a name the catalog accepts when the environment is long', () => {
    // A cluster named by its EKS ARN and not in tenancy.environments, or a
    // long environment label: up to 63 characters of environment.
    const { isValidEntityName } = makeValidator();
    const arn = 'arn:aws:eks:eu-west-1:123456789012:cluster/prod';
    const names = [
      namespaceEntityName('payments', arn),
      namespaceEntityName('payments', `${arn}-x`),
      namespaceEntityName('payments', 'e'.repeat(63)),
      namespaceEntityName('n'.repeat(63), 'e'.repeat(63)),
    ];
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(isValidEntityName(name)).toBe(true);
    }
    expect(new Set(names).size).toBe(names.length);
    // A name that fits is left as it was: no entity is renamed.
    expect(namespaceEntityName('web', 'e'.repeat(40))).toBe(
      `web.${'e'.repeat(40)}`,
    );
  });
});

describe('catalogModel', () => {
  const cluster = (name: string, environment: string) => ({
    name,
    environment,
    fromCatalog: false,
  });
  const listing = (
    name: string,
    owner: string,
    workloads = [] as string[],
  ) => ({
    cluster: name,
    version: 'v1.34.1',
    namespaces: [{ name: 'shop', environment: 'prod', owner }],
    workloads: workloads.map(id => ({ namespace: 'shop', id })),
  });

  it('makes one namespace entity per environment, owned by the owner most clusters name', () => {
    const model = catalogModel(
      [
        {
          cluster: cluster('b', 'prod'),
          listing: listing('b', 'group:default/team-a', ['web']),
        },
        {
          cluster: cluster('c', 'prod'),
          listing: listing('c', 'group:default/team-a'),
        },
        {
          cluster: cluster('d', 'prod'),
          listing: listing('d', 'group:default/team-b'),
        },
      ],
      'group:default/platform-team',
    );
    const shop = model.entities.get('resource:default/shop.prod')!.entity;
    expect(shop.spec).toEqual({
      type: 'kubernetes-namespace',
      owner: 'group:default/team-a',
      dependsOn: [
        'resource:default/b',
        'resource:default/c',
        'resource:default/d',
      ],
    });
    expect(model.conflicts).toEqual(['prod/shop']);
    expect(model.workloads).toEqual({
      web: [
        {
          ref: 'resource:default/shop.prod',
          namespace: 'shop',
          owner: 'group:default/team-a',
        },
      ],
    });
    expect(model.entities.size).toBe(4); // 3 clusters, 1 namespace
  });

  it("has namespaces depend on a catalog cluster's own Resource, in its namespace and by its own name", () => {
    const model = catalogModel(
      [
        {
          cluster: {
            name: 'Prod-EU',
            environment: 'prod',
            fromCatalog: true,
            entityRef: 'resource:infra/prod-eu',
          },
          listing: listing('Prod-EU', 'group:default/team-a'),
        },
      ],
      'group:default/platform-team',
    );
    expect(
      model.entities.get('resource:default/shop.prod')!.entity.spec?.dependsOn,
    ).toEqual(['resource:infra/prod-eu']);
    // The catalog has that one already: no second entity for it.
    expect([...model.entities.keys()]).toEqual(['resource:default/shop.prod']);
  });

  it("changes an entity's fingerprint when and only when the entity changes", () => {
    const make = (owner: string) =>
      catalogModel(
        [{ cluster: cluster('b', 'prod'), listing: listing('b', owner) }],
        'group:default/platform-team',
      ).entities.get('resource:default/shop.prod')!.fingerprint;
    expect(make('group:default/team-a')).toBe(make('group:default/team-a'));
    expect(make('group:default/team-a')).not.toBe(make('group:default/team-b'));
  });
});
