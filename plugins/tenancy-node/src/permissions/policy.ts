import { UserInfoService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  AuthorizeResult,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  catalogEntityDeletePermission,
  catalogLocationDeletePermission,
  RESOURCE_TYPE_CATALOG_ENTITY,
} from '@backstage/plugin-catalog-common/alpha';
import {
  kubernetesProxyPermission,
  kubernetesResourcesReadPermission,
} from '@backstage/plugin-kubernetes-common';
import {
  RESOURCE_TYPE_SCAFFOLDER_TASK,
  RESOURCE_TYPE_SCAFFOLDER_TEMPLATE,
  templateParameterReadPermission,
  templateStepReadPermission,
} from '@backstage/plugin-scaffolder-common/alpha';
import {
  TENANCY_NAMESPACE_RESOURCE_TYPE,
  tenancyFleetReadPermission,
  tenancyNamespaceOverridePermission,
  tenancyPlatformAdminPermission,
} from '@tenancy/plugin-tenancy-common';
import {
  createTenancyNamespaceConditionalDecision,
  tenancyNamespaceConditions,
} from './namespaces';

/**
 * The tag (`backstage:permissions: { tags: [platform] }` on a template's
 * parameters and steps) that keeps them to the platform team: "New
 * software template" publishes templates to everyone, which is the
 * platform team's job.
 * @public
 */
export const PLATFORM_TEMPLATE_TAG = 'platform';

/** The scaffolder's per-parameter and per-step template permissions. */
const TEMPLATE_PARTS = new Set([
  templateParameterReadPermission.name,
  templateStepReadPermission.name,
]);

/**
 * What only the platform team may do. Backstage's own Kubernetes plugin
 * reaches every cluster with the portal's identity, whoever asks: its proxy
 * (`kubernetes.proxy`) would let any signed-in user send that identity's
 * requests (delete or re-own another team's namespace), and its resources
 * routes (`kubernetes.resources.read`) answer with any entity's workloads,
 * another team's included. Neither permission can be narrowed to a team's
 * own namespaces, so both are the platform team's; team members read their
 * own services through Tenancy's health views, which can.
 */
const PLATFORM_ONLY = new Set([
  tenancyPlatformAdminPermission.name,
  tenancyFleetReadPermission.name,
  tenancyNamespaceOverridePermission.name,
  kubernetesProxyPermission.name,
  kubernetesResourcesReadPermission.name,
  // Unregistering a location removes every entity it produced, whoever owns
  // them, and the permission names no location: the platform team's.
  // Tenancy's catalog module (catalogModuleTenancyLocations) unregisters a
  // member's location for them when their teams own all it produced.
  catalogLocationDeletePermission.name,
]);

/**
 * The suite's permission policy: everything is allowed except what only the
 * platform team may do — act for any team (`tenancy.platform.admin`), see
 * the whole fleet (`tenancy.fleet.read`) and onboard past a team's own limits
 * (`tenancy.namespace.override`: privileged Pod Security, quota above the
 * preset, explicit clusters) and use Backstage's Kubernetes proxy and
 * resources routes (`kubernetes.proxy`, `kubernetes.resources.read`: the
 * portal's identity on every cluster) — which only members of
 * `tenancy.platformTeams` may. Reads of namespaces
 * (`tenancy.namespace.read`, resource type `tenancy-namespace`) are allowed
 * to the platform team and conditional for everyone else: `IS_TENANT_MEMBER`
 * with their own teams. Onboarding for a team one is not a member of is
 * checked by the actions (`authorizeTenantAction`). A template's parameters
 * and steps tagged {@link PLATFORM_TEMPLATE_TAG} are the platform team's
 * (the scaffolder's `HAS_TAG` rule); everyone else's templates are
 * everyone's. Scaffolder tasks (`scaffolder.task.read`,
 * `scaffolder.task.cancel`) are their creator's (`IS_TASK_OWNER`) and the
 * platform team's. Catalog entities may be deleted (`catalog.entity.delete`)
 * by their owners (`IS_ENTITY_OWNER`) and the platform team; locations
 * (`catalog.location.delete`) only by the platform team, or for a member
 * through Tenancy's catalog module when their teams own all it produced.
 * @public
 */
export class TenancyPermissionPolicy implements PermissionPolicy {
  constructor(
    private readonly platformTeams: string[],
    private readonly userInfo: UserInfoService,
  ) {}

  static fromConfig(config: Config, userInfo: UserInfoService) {
    return new TenancyPermissionPolicy(
      config.getOptionalStringArray('tenancy.platformTeams') ?? [
        'group:default/platform-team',
      ],
      userInfo,
    );
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    if (isResourcePermission(permission, TENANCY_NAMESPACE_RESOURCE_TYPE)) {
      // Namespaces: all for the platform team, their own teams' for
      // everyone else — a condition the router applies to each namespace.
      return this.platformOr(user, (_, teams) =>
        createTenancyNamespaceConditionalDecision(
          permission,
          tenancyNamespaceConditions.isTenantMember({ claims: teams }),
        ),
      );
    }
    if (
      isResourcePermission(permission, RESOURCE_TYPE_CATALOG_ENTITY) &&
      permission.name === catalogEntityDeletePermission.name
    ) {
      // Deleting an entity: the platform team any, everyone else their own
      // teams' (the catalog's IS_ENTITY_OWNER) — not another team's service
      // or namespace, which delta mutations would not bring back.
      return this.platformOr(user, (_, teams) => ({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
        conditions: {
          rule: 'IS_ENTITY_OWNER',
          resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
          params: { claims: teams },
        },
      }));
    }
    if (
      isResourcePermission(permission, RESOURCE_TYPE_SCAFFOLDER_TEMPLATE) &&
      TEMPLATE_PARTS.has(permission.name)
    ) {
      // The scaffolder applies it to each parameter and step.
      return this.platformOr(user, () => ({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'scaffolder',
        resourceType: RESOURCE_TYPE_SCAFFOLDER_TEMPLATE,
        conditions: {
          not: {
            rule: 'HAS_TAG',
            resourceType: RESOURCE_TYPE_SCAFFOLDER_TEMPLATE,
            params: { tag: PLATFORM_TEMPLATE_TAG },
          },
        },
      }));
    }
    if (isResourcePermission(permission, RESOURCE_TYPE_SCAFFOLDER_TASK)) {
      // Reading and cancelling scaffolder tasks (scaffolder.task.read,
      // scaffolder.task.cancel): a task's parameters and log are its
      // team's, and cancelling another team's onboarding would leave it
      // half-made. Everyone their own tasks (the scaffolder's IS_TASK_OWNER,
      // which also filters the task list); the platform team all.
      return this.platformOr(user, member => ({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'scaffolder',
        resourceType: RESOURCE_TYPE_SCAFFOLDER_TASK,
        conditions: {
          rule: 'IS_TASK_OWNER',
          resourceType: RESOURCE_TYPE_SCAFFOLDER_TASK,
          params: { createdBy: [member.info.userEntityRef] },
        },
      }));
    }
    if (!PLATFORM_ONLY.has(permission.name)) {
      return { result: AuthorizeResult.ALLOW };
    }
    return this.platformOr(user, () => ({ result: AuthorizeResult.DENY }));
  }

  /**
   * ALLOW for the platform team, DENY for no user, and `otherwise` for
   * everyone else (with their teams).
   */
  private async platformOr(
    user: PolicyQueryUser | undefined,
    otherwise: (user: PolicyQueryUser, teams: string[]) => PolicyDecision,
  ): Promise<PolicyDecision> {
    if (!user) return { result: AuthorizeResult.DENY };
    const teams = await this.teamsOf(user);
    if (teams.some(ref => this.platformTeams.includes(ref))) {
      return { result: AuthorizeResult.ALLOW };
    }
    return otherwise(user, teams);
  }

  private async teamsOf(user: PolicyQueryUser): Promise<string[]> {
    return (await this.userInfo.getUserInfo(user.credentials))
      .ownershipEntityRefs;
  }
}
