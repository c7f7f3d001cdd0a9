import {
  AuditorService,
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
import { JsonObject } from '@backstage/types';
import { tenancyPlatformAdminPermission } from '@tenancy/plugin-tenancy-common';

/** What the access check needs: core services of the calling plugin. @public */
export interface AccessDeps {
  auth: AuthService;
  permissions: PermissionsService;
  userInfo: UserInfoService;
  auditor: AuditorService;
}

/**
 * The suite's access check for actions taken for a team (S6, S27), made
 * before any remote call: the initiator must hold `permission`, and must be a
 * member of the tenant group unless they hold the platform admin permission.
 * Every decision is audited.
 * @public
 */
export async function authorizeTenantAction(
  deps: AccessDeps,
  options: {
    eventId: string;
    credentials: BackstageCredentials;
    permission: BasicPermission;
    tenant: CompoundEntityRef;
    meta: JsonObject;
  },
): Promise<void> {
  const tenantRef = stringifyEntityRef(options.tenant);
  const event = await deps.auditor.createEvent({
    eventId: options.eventId,
    severityLevel: 'medium',
    meta: { ...options.meta, tenant: tenantRef },
  });
  const deny = async (message: string) => {
    const error = new NotAllowedError(message);
    await event.fail({ error });
    throw error;
  };

  const [decision] = await deps.permissions.authorize(
    [{ permission: options.permission }],
    {
      credentials: options.credentials,
    },
  );
  if (decision.result !== AuthorizeResult.ALLOW) {
    await deny(`You are not allowed to use ${options.permission.name}`);
  }

  let member = false;
  if (deps.auth.isPrincipal(options.credentials, 'user')) {
    const info = await deps.userInfo.getUserInfo(options.credentials);
    member = info.ownershipEntityRefs.includes(tenantRef);
  }
  if (!member) {
    const [admin] = await deps.permissions.authorize(
      [{ permission: tenancyPlatformAdminPermission }],
      {
        credentials: options.credentials,
      },
    );
    if (admin.result !== AuthorizeResult.ALLOW) {
      await deny(
        `Only members of ${tenantRef} (or the platform team) may do this; you are not a member of ${tenantRef}`,
      );
    }
  }
  await event.success();
}
