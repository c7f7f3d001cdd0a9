import {
  PermissionCondition,
  PermissionCriteria,
  PermissionRuleParams,
} from '@backstage/plugin-permission-common';
import {
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
  PermissionRuleset,
} from '@backstage/plugin-permission-node';
import { TENANCY_NAMESPACE_RESOURCE_TYPE } from '@tenancy/plugin-tenancy-common';
import { z } from 'zod';

/**
 * A tenant namespace as permission rules see it: its name, the cluster it is
 * on, and the entity ref of the group that owns it (undefined when no team
 * does).
 * @public
 */
export interface TenancyNamespaceResource {
  name: string;
  cluster?: string;
  tenant?: string;
}

/**
 * What a rule's query narrows namespaces to: the owning teams allowed.
 * @public
 */
export interface TenancyNamespaceQuery {
  tenants: string[];
}

/**
 * The `tenancy-namespace` permission resource type of the `tenancy` plugin.
 * @public
 */
export const tenancyNamespaceResourceRef = createPermissionResourceRef<
  TenancyNamespaceResource,
  TenancyNamespaceQuery
>().with({
  pluginId: 'tenancy',
  resourceType: TENANCY_NAMESPACE_RESOURCE_TYPE,
});

/**
 * `IS_TENANT_MEMBER`: the namespace belongs to one of the given teams —
 * for a user, pass the ownership refs of their identity (`claims`), as the
 * catalog's `IS_ENTITY_OWNER` does.
 * @public
 */
export const isTenantMember = createPermissionRule({
  name: 'IS_TENANT_MEMBER',
  description: 'Allow namespaces owned by one of the given teams',
  resourceRef: tenancyNamespaceResourceRef,
  paramsSchema: z.object({
    claims: z
      .array(z.string())
      .describe(
        'Entity refs of the teams (typically the user\u2019s ownership refs)',
      ),
  }),
  apply: (resource, { claims }) =>
    resource.tenant !== undefined && claims.includes(resource.tenant),
  toQuery: ({ claims }) => ({ tenants: claims }),
});

/** Every rule of the `tenancy-namespace` resource type. @public */
export const tenancyNamespaceRules = { isTenantMember };

const namespaceConditionExports = createConditionExports({
  resourceRef: tenancyNamespaceResourceRef,
  rules: tenancyNamespaceRules,
});

/**
 * Conditions for policies, e.g. `isTenantMember` with the user's ownership
 * refs as its `claims`.
 * @public
 */
export const tenancyNamespaceConditions = namespaceConditionExports.conditions;

/**
 * Returns {@link tenancyNamespaceConditions} as a policy decision.
 * @public
 */
export const createTenancyNamespaceConditionalDecision =
  namespaceConditionExports.createConditionalDecision;

/**
 * The rules of the `tenancy-namespace` resource type, as the permissions
 * registry gives them (`getPermissionRuleset(tenancyNamespaceResourceRef)`).
 * @public
 */
export type TenancyNamespaceRuleset = Pick<
  PermissionRuleset<TenancyNamespaceResource, TenancyNamespaceQuery>,
  'getRuleByName'
>;

/**
 * Whether a namespace meets a conditional decision's criteria, with the
 * rules registered for the resource type (the suite's and any an adopter
 * added).
 * @public
 */
export function namespaceMatches(
  criteria: PermissionCriteria<
    PermissionCondition<string, PermissionRuleParams>
  >,
  namespace: TenancyNamespaceResource,
  ruleset: TenancyNamespaceRuleset,
): boolean {
  if ('allOf' in criteria) {
    return criteria.allOf.every(c => namespaceMatches(c, namespace, ruleset));
  }
  if ('anyOf' in criteria) {
    return criteria.anyOf.some(c => namespaceMatches(c, namespace, ruleset));
  }
  if ('not' in criteria) {
    return !namespaceMatches(criteria.not, namespace, ruleset);
  }
  return ruleset
    .getRuleByName(criteria.rule)
    .apply(namespace, criteria.params as never);
}
