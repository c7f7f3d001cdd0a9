import { stringifyEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { tenancyNamespaceOffboardPermission } from '@tenancy/plugin-tenancy-common';
import {
  ClusterRegistry,
  deleteTenantNamespace,
  parseTenantRef,
  readClusterTimeoutMs,
  validateNamespaceName,
} from '@tenancy/plugin-tenancy-node';
import {
  AccessDeps,
  authorizeTenantAction,
} from '@tenancy/plugin-tenancy-node';
import {
  clusterNames,
  resolveClusters,
  runOnClusters,
  summarize,
} from './clusters';
import { examples } from './offboard.examples';

/** @public */
export interface OffboardNamespaceActionOptions extends AccessDeps {
  config: Config;
  registry: ClusterRegistry;
}

/** @public */
export const OFFBOARD_ACTION_ID = 'tenancy:namespace:offboard';

/**
 * `tenancy:namespace:offboard` — deletes a tenant's namespace on every
 * cluster of an environment (refusing one the tenant does not own) and waits
 * until each cluster has finished deleting it.
 * @public
 */
export function createOffboardNamespaceAction(
  options: OffboardNamespaceActionOptions,
) {
  const timeoutMs = readClusterTimeoutMs(options.config);
  return createTemplateAction({
    id: OFFBOARD_ACTION_ID,
    description:
      "Removes a tenant namespace the tenant owns from every cluster of an environment and waits for the deletion to finish; refuses other tenants' namespaces.",
    examples,
    supportsDryRun: true,
    schema: {
      input: z =>
        z
          .object({
            tenant: z
              .string()
              .min(1)
              .describe('The owning team: a Group entity ref'),
            namespace: z
              .string()
              .min(1)
              .max(63)
              .describe('The namespace to remove'),
            environment: z
              .string()
              .min(1)
              .optional()
              .describe('The environment whose clusters lose it'),
            clusters: z
              .array(z.string().min(1))
              .min(1)
              .optional()
              .describe('Explicit cluster names instead'),
            waitSeconds: z
              .number()
              .int()
              .min(1)
              .max(1800)
              .optional()
              .describe(
                'How long to wait for each cluster to finish deleting (default 300)',
              ),
          })
          .strict()
          .refine(
            v => (v.environment === undefined) !== (v.clusters === undefined),
            {
              message:
                'Give either environment or clusters, not both and not neither',
            },
          ),
      output: {
        clusters: z =>
          z.array(
            z.object({
              cluster: z.string(),
              outcome: z.string(),
              objects: z.array(
                z.object({ object: z.string(), change: z.string() }),
              ),
              error: z.string().optional(),
            }),
          ),
      },
    },
    async handler(ctx) {
      const tenant = parseTenantRef(ctx.input.tenant);
      const namespace = validateNamespaceName(ctx.input.namespace);
      // Authorized before anything else (S39). Removing a namespace
      // from named clusters needs no override: it takes nothing past the
      // team's limits, and only the team's own namespaces are touched.
      await authorizeTenantAction(options, {
        eventId: 'tenancy-namespace-offboard',
        credentials: await ctx.getInitiatorCredentials(),
        permission: tenancyNamespaceOffboardPermission,
        tenant,
        meta: {
          namespace,
          ...(ctx.input.environment
            ? { environment: ctx.input.environment }
            : { clusters: ctx.input.clusters ?? [] }),
          dryRun: Boolean(ctx.isDryRun),
        },
      });
      const clusters = await resolveClusters(
        options,
        clusterNames(options.config, ctx.input),
      );
      ctx.logger.info(
        `${
          ctx.isDryRun ? 'Dry run: would remove' : 'Removing'
        } ${namespace} of ${stringifyEntityRef(tenant)} from ${clusters
          .map(c => c.name)
          .join(', ')}`,
      );
      const reports = await runOnClusters(ctx, options.registry, clusters, {
        checkpointKey: cluster => `tenancy.offboard.${cluster}.${namespace}`,
        run: kc =>
          deleteTenantNamespace(kc, namespace, {
            tenant,
            timeoutMs,
            waitMs: (ctx.input.waitSeconds ?? 300) * 1000,
            dryRun: ctx.isDryRun,
          }),
      });
      ctx.output('clusters', reports);
      summarize(reports, `offboard ${namespace}`);
    },
  });
}
