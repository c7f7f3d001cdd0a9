import { Entity } from '@backstage/catalog-model';
import { permissionRules } from '@backstage/plugin-catalog-backend/alpha';
import {
  catalogEntityDeletePermission,
  catalogEntityReadPermission,
  catalogEntityRefreshPermission,
  catalogLocationCreatePermission,
  catalogLocationDeletePermission,
} from '@backstage/plugin-catalog-common/alpha';
import {
  AuthorizeResult,
  Permission,
  PermissionCondition,
  PermissionCriteria,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { createConditionTransformer } from '@backstage/plugin-permission-node';
import {
  kubernetesProxyPermission,
  kubernetesResourcesReadPermission,
} from '@backstage/plugin-kubernetes-common';
import { TENANT_USERS } from '@tenancy/sandbox';
import { TenancyPermissionPolicy } from './policy';

// The policy's decisions per persona, its catalog conditions evaluated by
// the catalog's own rules. The same policy on the real portal, signed in as
// these personas, is tenantEscape.process.test.ts's.
const MEMBERSHIP: Record<string, string[]> = {
  ...Object.fromEntries(TENANT_USERS.map(u => [u.user, u.groups])),
  pat: ['platform-team'],
};

/** The sandbox's teams as the user info service gives them. */
const userInfo = {
  async getUserInfo(credentials: any) {
    const ref: string = credentials.principal.userEntityRef;
    const groups = MEMBERSHIP[ref.split('/').pop()!] ?? [];
    return {
      userEntityRef: ref,
      ownershipEntityRefs: [ref, ...groups.map(g => `group:default/${g}`)],
    };
  },
};

const policy = new TenancyPermissionPolicy(
  ['group:default/platform-team'],
  userInfo,
);

function decide(who: string | undefined, permission: Permission) {
  return policy.handle(
    { permission },
    who
      ? {
          credentials: {
            $$type: '@backstage/BackstageCredentials',
            principal: { type: 'user', userEntityRef: `user:default/${who}` },
          },
          info: {} as any,
        }
      : undefined,
  );
}

/** A catalog entity owned by `owner`, with the relation the catalog stitches. */
const owned = (name: string, owner: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default' },
  spec: { owner },
  relations: [{ type: 'ownedBy', targetRef: owner }],
});

/** Whether a catalog condition holds for `entity`, by the catalog's rules. */
function holds(
  criteria: PermissionCriteria<PermissionCondition>,
  entity: Entity,
): boolean {
  if ('allOf' in criteria) return criteria.allOf.every(c => holds(c, entity));
  if ('anyOf' in criteria) return criteria.anyOf.some(c => holds(c, entity));
  if ('not' in criteria) return !holds(criteria.not, entity);
  const rule = Object.values(permissionRules).find(
    r => r.name === criteria.rule,
  )!;
  expect(rule).toBeTruthy();
  // The rule's own schema accepts the policy's params (Standard Schema).
  const parsed = (rule.paramsSchema as any)['~standard'].validate(
    criteria.params,
  );
  expect(parsed.issues).toBeUndefined();
  return (rule.apply as any)(entity, parsed.value);
}

const payments = owned('payments-api', 'group:default/team-payments');
const search = owned('search-api', 'group:default/team-search');

function expectConditional(decision: PolicyDecision) {
  expect(decision).toMatchObject({
    result: AuthorizeResult.CONDITIONAL,
    pluginId: 'catalog',
    resourceType: 'catalog-entity',
  });
  return (decision as any).conditions;
}

describe('TenancyPermissionPolicy: the catalog', () => {
  it('lets a member delete their own teams’ entities only, the platform team any', async () => {
    const alice = expectConditional(
      await decide('alice', catalogEntityDeletePermission),
    );
    expect(holds(alice, payments)).toBe(true);
    expect(holds(alice, search)).toBe(false);
    const bob = expectConditional(
      await decide('bob', catalogEntityDeletePermission),
    );
    expect(holds(bob, search)).toBe(true);
    expect(holds(bob, payments)).toBe(false);
    // The same conditions as a database filter: the catalog's own transformer.
    const transform = createConditionTransformer(
      Object.values(permissionRules) as any,
    );
    expect(JSON.stringify(transform(alice))).toContain('team-payments');
    expect(JSON.stringify(transform(alice))).not.toContain('team-search');

    expect(await decide('pat', catalogEntityDeletePermission)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(await decide(undefined, catalogEntityDeletePermission)).toEqual({
      result: AuthorizeResult.DENY,
    });
  });

  it('keeps unregistering locations to the platform team', async () => {
    for (const who of ['alice', 'bob', 'carol']) {
      expect(await decide(who, catalogLocationDeletePermission)).toEqual({
        result: AuthorizeResult.DENY,
      });
    }
    expect(await decide('pat', catalogLocationDeletePermission)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
  });

  it('leaves reading, refreshing and registering to everyone', async () => {
    for (const permission of [
      catalogEntityReadPermission,
      catalogEntityRefreshPermission,
      catalogLocationCreatePermission,
    ]) {
      expect(await decide('alice', permission)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
  });
});

describe('TenancyPermissionPolicy: Backstage’s Kubernetes plugin', () => {
  it('keeps its proxy and resources routes to the platform team', async () => {
    for (const permission of [
      kubernetesProxyPermission,
      kubernetesResourcesReadPermission,
    ]) {
      expect(await decide('alice', permission)).toEqual({
        result: AuthorizeResult.DENY,
      });
      expect(await decide('pat', permission)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
  });
});
