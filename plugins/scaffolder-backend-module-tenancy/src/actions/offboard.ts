import { InputError } from '@backstage/errors';
import { EventsService } from '@backstage/plugin-events-node';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { tenancyNamespaceOffboardPermission } from '@tenancy/plugin-tenancy-common';
import {
  AccessDeps,
  ClusterRegistry,
  deleteTenantNamespace,
  parseTenantRef,
  readClusterTimeoutMs,
  validateNamespaceName,
} from '@tenancy/plugin-tenancy-node';
import { authorizeNamespaceAction } from './authorize';
import {
  publishNamespaceChange,
  runOnClusters,
  summarize,
  targetClusters,
} from './clusters';
import { examples } from './offboard.examples';
import { clusterReportsOutput, namespaceInput, Zod } from './inputs';

/** @public */
export interface OffboardNamespaceActionOptions extends AccessDeps {
  config: Config;
  registry: ClusterRegistry;
  /** The catalog's namespace provider refreshes at once on what is published here. */
  events?: EventsService;
}

/** @public */
export const OFFBOARD_ACTION_ID = 'tenancy:namespace:offboard';

/** What offboarding's common fields say. */
export const offboardDescriptions = {
  tenant: 'The owning team: a Group entity ref',
  namespace: 'The namespace to remove',
  environment: 'The environment whose clusters lose it',
  clusters: 'Explicit cluster names instead',
};

/** Offboarding's own fields. */
export function offboardFields(z: Zod) {
  return {
    waitSeconds: z
      .number()
      .int()
      .min(1)
      .max(1800)
      .optional()
      .describe(
        'How long to wait for each cluster to finish deleting (default 300)',
      ),
    confirm: z
      .string()
      .optional()
      .describe(
        "A typed confirmation (a template's): when given, it must be the namespace's name, or nothing is done",
      ),
  };
}

const offboardInput = (z: Zod) =>
  namespaceInput(z, offboardDescriptions, offboardFields(z));

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
      input: offboardInput,
      output: { clusters: clusterReportsOutput },
    },
    async handler(ctx) {
      const tenant = parseTenantRef(ctx.input.tenant);
      const namespace = validateNamespaceName(ctx.input.namespace);
      if (ctx.input.confirm !== undefined && ctx.input.confirm !== namespace) {
        throw new InputError(
          `The confirmation "${ctx.input.confirm}" is not the namespace's name "${namespace}"; nothing was removed`,
        );
      }
      // Removing a namespace from named clusters needs no override: it takes
      // nothing past the team's limits, and only the team's own namespaces
      // are touched.
      await authorizeNamespaceAction(options, ctx, {
        eventId: 'tenancy-namespace-offboard',
        permission: tenancyNamespaceOffboardPermission,
        tenant,
        namespace,
      });
      const clusters = await targetClusters(options, ctx.input);
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
      if (!ctx.isDryRun && reports.some(r => r.outcome !== 'failed')) {
        await publishNamespaceChange(options.events, {
          namespace,
          clusters: reports.map(r => r.cluster),
        });
      }
      summarize(reports, `offboard ${namespace}`);
    },
  });
}
