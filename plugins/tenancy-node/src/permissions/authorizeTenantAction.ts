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
import {
  tenancyNamespaceOverridePermission,
  tenancyPlatformAdminPermission,
} from '@tenancy/plugin-tenancy-common';

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
    /**
     * Why the request needs `tenancy.namespace.override` (privileged Pod
     * Security, quota above the preset, explicit clusters): empty when it
     * stays within a team's own limits.
     */
    overrides?: string[];
  },
): Promise<void> {
  const tenantRef = stringifyEntityRef(options.tenant);
  const event = await deps.auditor.createEvent({
    eventId: options.eventId,
    severityLevel: 'medium',
    meta: {
      ...options.meta,
      tenant: tenantRef,
      ...(options.overrides?.length ? { overrides: options.overrides } : {}),
    },
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
  if (options.overrides?.length) {
    const [override] = await deps.permissions.authorize(
      [{ permission: tenancyNamespaceOverridePermission }],
      { credentials: options.credentials },
    );
    if (override.result !== AuthorizeResult.ALLOW) {
      await deny(
        `Only the platform team may ${options.overrides.join('; ')} (${
          tenancyNamespaceOverridePermission.name
        }). Use the platform's defaults or ask the platform team.`,
      );
    }
  }
  await event.success();
}
