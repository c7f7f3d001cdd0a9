import { UserInfoService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  tenancyFleetReadPermission,
  tenancyNamespaceOverridePermission,
  tenancyPlatformAdminPermission,
} from '@tenancy/plugin-tenancy-common';

/** What only the platform team may do. */
const PLATFORM_ONLY = new Set([
  tenancyPlatformAdminPermission.name,
  tenancyFleetReadPermission.name,
  tenancyNamespaceOverridePermission.name,
]);

/**
 * The suite's permission policy: everything is allowed except what only the
 * platform team may do — act for any team (`tenancy.platform.admin`), see
 * the whole fleet (`tenancy.fleet.read`) and onboard past a team's own limits
 * (`tenancy.namespace.override`: privileged Pod Security, quota above the
 * preset, explicit clusters) — which only members of
 * `tenancy.platformTeams` may. Team-level checks (a member reads their own
 * tenant, onboards for their own team) are made by the routes and actions.
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
    if (!PLATFORM_ONLY.has(request.permission.name)) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (!user) {
      return { result: AuthorizeResult.DENY };
    }
    const { ownershipEntityRefs } = await this.userInfo.getUserInfo(
      user.credentials,
    );
    return {
      result: ownershipEntityRefs.some(ref => this.platformTeams.includes(ref))
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
    };
  }
}
