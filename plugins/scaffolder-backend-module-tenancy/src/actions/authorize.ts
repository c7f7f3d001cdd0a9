import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  AccessDeps,
  authorizeTenantAction,
} from '@tenancy/plugin-tenancy-node';

type TenantActionRequest = Parameters<typeof authorizeTenantAction>[1];

/**
 * The access check of an action on a tenant's namespace, audited with the
 * namespace and its target clusters. It comes before anything else: clusters
 * and environments are looked up only for a caller who may act, so that
 * nobody else learns which exist.
 */
export async function authorizeNamespaceAction(
  options: AccessDeps,
  ctx: {
    input: { environment?: string; clusters?: string[] };
    isDryRun?: boolean;
    getInitiatorCredentials(): Promise<BackstageCredentials>;
  },
  request: Pick<
    TenantActionRequest,
    'eventId' | 'permission' | 'tenant' | 'overrides'
  > & { namespace: string },
): Promise<void> {
  await authorizeTenantAction(options, {
    eventId: request.eventId,
    credentials: await ctx.getInitiatorCredentials(),
    permission: request.permission,
    tenant: request.tenant,
    meta: {
      namespace: request.namespace,
      ...(ctx.input.environment
        ? { environment: ctx.input.environment }
        : { clusters: ctx.input.clusters ?? [] }),
      dryRun: Boolean(ctx.isDryRun),
    },
    overrides: request.overrides,
  });
}
