import {
  AuditorService,
  BackstageCredentials,
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
import { tenancyNamespaceOverridePermission } from '@tenancy/plugin-tenancy-common';
import { authorizeTenant, TenantAccessDeps } from './authorizeTenant';

/** What the access check needs: core services of the calling plugin. @public */
export interface AccessDeps extends TenantAccessDeps {
  auditor: AuditorService;
}

/** Who is acting: a user's entity ref, or a service's subject. */
function initiatorOf(credentials: BackstageCredentials): string {
  const principal = credentials.principal as {
    type?: string;
    userEntityRef?: string;
    subject?: string;
  };
  if (principal?.type === 'user' && principal.userEntityRef) {
    return principal.userEntityRef;
  }
  if (principal?.type === 'service' && principal.subject) {
    return principal.subject;
  }
  return principal?.type ?? 'unknown';
}

/**
 * The access check of a scaffolder action taken for a team, made before any
 * remote call: a service (not a person) may only dry-run (`meta.dryRun`);
 * then {@link authorizeTenant}, then `tenancy.namespace.override`
 * when the request goes beyond a team's own limits. Every decision is
 * audited.
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
      // Outside an HTTP request (a scaffolder task, an actions-registry
      // call) the auditor names the plugin as the actor: name the person.
      initiator: initiatorOf(options.credentials),
      tenant: tenantRef,
      ...(options.overrides?.length ? { overrides: options.overrides } : {}),
    },
  });
  const deny = async (message: string) => {
    const error = new NotAllowedError(message);
    await event.fail({ error });
    throw error;
  };

  // A service token (CI checking templates, a script) passes every
  // permission (Backstage trusts service principals): it may plan a change
  // for a team, never make one. A person runs it.
  if (
    !deps.auth.isPrincipal(options.credentials, 'user') &&
    options.meta.dryRun !== true
  ) {
    await deny(
      `${initiatorOf(
        options.credentials,
      )} is not a person: a service may only dry-run a change for ${tenantRef}; sign in and run it yourself`,
    );
  }
  try {
    await authorizeTenant(deps, {
      credentials: options.credentials,
      permission: options.permission,
      tenant: tenantRef,
    });
  } catch (error) {
    await event.fail({ error: error as Error });
    throw error;
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
