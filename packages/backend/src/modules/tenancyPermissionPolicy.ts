import {
  coreServices,
  createBackendModule,
  UserInfoService,
} from '@backstage/backend-plugin-api';
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
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { tenancyPlatformAdminPermission } from '@tenancy/plugin-tenancy-common';

/**
 * The portal's policy: everything is allowed except acting as the platform
 * team (`tenancy.platform.admin`: onboarding or offboarding for a team one
 * is not in), which only members of `tenancy.platformTeams` may do.
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
    if (request.permission.name !== tenancyPlatformAdminPermission.name) {
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

export const permissionModuleTenancyPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'tenancy-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        userInfo: coreServices.userInfo,
      },
      async init({ policy, config, userInfo }) {
        policy.setPolicy(TenancyPermissionPolicy.fromConfig(config, userInfo));
      },
    });
  },
});
