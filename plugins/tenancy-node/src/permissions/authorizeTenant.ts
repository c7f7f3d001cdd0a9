import {
  AuthService,
  BackstageCredentials,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import { tenancyPlatformAdminPermission } from '@tenancy/plugin-tenancy-common';

/** The core services the tenant check needs. @public */
export interface TenantAccessDeps {
  auth: AuthService;
  permissions: PermissionsService;
  userInfo: UserInfoService;
}

/**
 * Whether the caller may act for a team: a member of the group (it is among
 * their ownership refs), or the platform team (`tenancy.platform.admin`).
 * The one place the suite decides "member of the team or platform team".
 * @public
 */
export async function isTenantMemberOrPlatform(
  deps: TenantAccessDeps,
  credentials: BackstageCredentials,
  tenant: CompoundEntityRef | string,
): Promise<boolean> {
  const tenantRef =
    typeof tenant === 'string' ? tenant : stringifyEntityRef(tenant);
  if (deps.auth.isPrincipal(credentials, 'user')) {
    const info = await deps.userInfo.getUserInfo(credentials);
    if (info.ownershipEntityRefs.includes(tenantRef)) return true;
  }
  const [admin] = await deps.permissions.authorize(
    [{ permission: tenancyPlatformAdminPermission }],
    { credentials },
  );
  return admin.result === AuthorizeResult.ALLOW;
}

/**
 * The suite's access check for anything done or read for a team, made before
 * any remote call: the caller must hold `permission` and be a member of the
 * team or the platform team ({@link isTenantMemberOrPlatform}). Throws a
 * NotAllowedError saying which of the two failed.
 * @public
 */
export async function authorizeTenant(
  deps: TenantAccessDeps,
  options: {
    credentials: BackstageCredentials;
    permission: BasicPermission;
    tenant: CompoundEntityRef | string;
  },
): Promise<void> {
  const tenantRef =
    typeof options.tenant === 'string'
      ? options.tenant
      : stringifyEntityRef(options.tenant);
  const [decision] = await deps.permissions.authorize(
    [{ permission: options.permission }],
    { credentials: options.credentials },
  );
  if (decision.result !== AuthorizeResult.ALLOW) {
    throw new NotAllowedError(
      `You are not allowed to use ${options.permission.name}`,
    );
  }
  if (!(await isTenantMemberOrPlatform(deps, options.credentials, tenantRef))) {
    throw new NotAllowedError(
      `Only members of ${tenantRef} (or the platform team) may do this; you are not a member of ${tenantRef}`,
    );
  }
}
