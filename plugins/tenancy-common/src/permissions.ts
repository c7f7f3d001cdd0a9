import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Held by the platform team: act on any tenant — onboard or offboard a
 * namespace for a team one is not a member of.
 * @public
 */
export const tenancyPlatformAdminPermission = createPermission({
  name: 'tenancy.platform.admin',
  attributes: { action: 'update' },
});

/**
 * Onboard a namespace (apply the tenant baseline) for a team. Members of the
 * team hold it for their own team; see the onboarding action.
 * @public
 */
export const tenancyNamespaceOnboardPermission = createPermission({
  name: 'tenancy.namespace.onboard',
  attributes: { action: 'create' },
});

/** Remove a tenant namespace. @public */
export const tenancyNamespaceOffboardPermission = createPermission({
  name: 'tenancy.namespace.offboard',
  attributes: { action: 'delete' },
});

/**
 * Give a tenant namespace another quota (a preset). Members of the team
 * hold it for their own team; past the preset needs
 * {@link tenancyNamespaceOverridePermission}.
 * @public
 */
export const tenancyNamespaceResizePermission = createPermission({
  name: 'tenancy.namespace.resize',
  attributes: { action: 'update' },
});

/** See every cluster of the fleet (the platform team). @public */
export const tenancyFleetReadPermission = createPermission({
  name: 'tenancy.fleet.read',
  attributes: { action: 'read' },
});

/**
 * Read a tenant's namespaces, quotas and health. Members of the team may read
 * their own tenant; holders of {@link tenancyFleetReadPermission} any.
 * @public
 */
export const tenancyTenantReadPermission = createPermission({
  name: 'tenancy.tenant.read',
  attributes: { action: 'read' },
});

/**
 * Inputs that reach past a team's own limits when onboarding a namespace:
 * Pod Security weaker than the platform's default (e.g. `privileged`), quota
 * above the chosen preset, and explicit clusters instead of an environment.
 * The platform team's by default; checked before any remote call.
 * @public
 */
export const tenancyNamespaceOverridePermission = createPermission({
  name: 'tenancy.namespace.override',
  attributes: { action: 'update' },
});

/**
 * The permission resource type of tenant namespaces: policies can answer
 * reads of them with conditions (e.g. `IS_TENANT_MEMBER`) instead of a yes
 * or no. @public
 */
export const TENANCY_NAMESPACE_RESOURCE_TYPE = 'tenancy-namespace';

/**
 * Read a tenant namespace — its quota, policies, workloads, health and
 * events. The shipped policy allows the platform team everything and
 * everyone else the namespaces of their own teams (`IS_TENANT_MEMBER`).
 * @public
 */
export const tenancyNamespaceReadPermission = createPermission({
  name: 'tenancy.namespace.read',
  attributes: { action: 'read' },
  resourceType: TENANCY_NAMESPACE_RESOURCE_TYPE,
});

/**
 * Sign in to tenant clusters as oneself: get a short-lived token the
 * clusters trust (`POST /api/tenancy/cluster-access/token`) and read the
 * kubeconfig of one's teams. What the token may do on a cluster is that
 * cluster's RBAC (the tenant baseline's RoleBinding of the person's teams).
 * @public
 */
export const tenancyClusterAccessPermission = createPermission({
  name: 'tenancy.cluster.access',
  // It makes a credential: not something a blanket "allow reads" grants.
  attributes: { action: 'create' },
});

/** Every permission of the suite, for registration with the permissions registry. @public */
export const tenancyPermissions = [
  tenancyPlatformAdminPermission,
  tenancyNamespaceOnboardPermission,
  tenancyNamespaceOffboardPermission,
  tenancyNamespaceResizePermission,
  tenancyNamespaceOverridePermission,
  tenancyFleetReadPermission,
  tenancyTenantReadPermission,
  tenancyNamespaceReadPermission,
  tenancyClusterAccessPermission,
];
