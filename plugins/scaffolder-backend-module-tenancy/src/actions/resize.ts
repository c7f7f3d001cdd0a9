import { EventsService } from '@backstage/plugin-events-node';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { tenancyNamespaceResizePermission } from '@tenancy/plugin-tenancy-common';
import {
  AccessDeps,
  BaselineOptions,
  ClusterRegistry,
  parseTenantRef,
  platformOnlyInputs,
  readBaselineOptions,
  readClusterTimeoutMs,
  renderTenantQuota,
  resizeTenantQuota,
  validateNamespaceName,
} from '@tenancy/plugin-tenancy-node';
import { authorizeNamespaceAction } from './authorize';
import {
  publishNamespaceChange,
  runOnClusters,
  summarize,
  targetClusters,
} from './clusters';
import { examples } from './resize.examples';
import {
  clusterReportsOutput,
  namespaceInput,
  presetQuota,
  Zod,
} from './inputs';

/** @public */
export interface ResizeNamespaceActionOptions extends AccessDeps {
  config: Config;
  registry: ClusterRegistry;
  /** The catalog's namespace provider refreshes at once on what is published here. */
  events?: EventsService;
}

/** @public */
export const RESIZE_ACTION_ID = 'tenancy:namespace:resize';

/** What resizing's common fields say. */
export const resizeDescriptions = {
  tenant: 'The owning team: a Group entity ref',
  namespace: 'The namespace whose quota changes',
  environment: 'The environment whose clusters have the namespace',
  clusters: 'Explicit cluster names instead',
};

/** Resizing's own fields; their descriptions name the configured presets. */
export function resizeFields(z: Zod, baseline: BaselineOptions) {
  return {
    quotaPreset: z
      .string()
      .min(1)
      .describe(
        `The new size, a quota preset: ${Object.keys(
          baseline.quotaPresets,
        ).join(', ')}`,
      ),
    quota: z
      .record(z.string(), z.string())
      .optional()
      .describe(
        'ResourceQuota hard values that override the preset, e.g. { "pods": "40" } (above the preset: the platform team only)',
      ),
  };
}

const resizeInput = (baseline: BaselineOptions) => (z: Zod) =>
  namespaceInput(z, resizeDescriptions, resizeFields(z, baseline));

/**
 * The new quota, checked in full before any cluster is called: the preset's,
 * with the values of `quota` over it.
 */
function readResizeInput(
  input: {
    tenant: string;
    namespace: string;
    quotaPreset: string;
    quota?: Record<string, string>;
  },
  baseline: BaselineOptions,
) {
  const tenant = parseTenantRef(input.tenant);
  const namespace = validateNamespaceName(input.namespace);
  const { preset, quota } = presetQuota(
    baseline,
    input.quotaPreset,
    input.quota,
  );
  return { tenant, namespace, preset, quota };
}

/**
 * `tenancy:namespace:resize` — gives a tenant's namespace another quota
 * (a preset, with overrides) on every cluster of an environment: its
 * ResourceQuota is server-side applied; nothing else of the namespace
 * changes. The dry run says, per cluster, what changes and where the
 * namespace already uses more than a new limit. A namespace another team
 * owns is refused, one that is missing is reported, never created.
 * @public
 */
export function createResizeNamespaceAction(
  options: ResizeNamespaceActionOptions,
) {
  const baseline = readBaselineOptions(options.config);
  const timeoutMs = readClusterTimeoutMs(options.config);
  return createTemplateAction({
    id: RESIZE_ACTION_ID,
    description:
      "Gives a tenant namespace the tenant owns another quota preset on every cluster of an environment (its ResourceQuota only), idempotently; the dry run shows each cluster's change.",
    examples,
    supportsDryRun: true,
    schema: {
      input: resizeInput(baseline),
      output: { clusters: clusterReportsOutput },
    },
    async handler(ctx) {
      const { tenant, namespace, preset, quota } = readResizeInput(
        ctx.input,
        baseline,
      );
      // Any preset is the team's to choose; past it needs the platform's
      // override, as when onboarding.
      await authorizeNamespaceAction(options, ctx, {
        eventId: 'tenancy-namespace-resize',
        permission: tenancyNamespaceResizePermission,
        tenant,
        namespace,
        overrides: platformOnlyInputs({
          podSecurity: baseline.defaultPodSecurity,
          defaultPodSecurity: baseline.defaultPodSecurity,
          preset,
          quota,
          clusters: ctx.input.clusters,
        }),
      });
      const clusters = await targetClusters(options, ctx.input);
      ctx.logger.info(
        `${
          ctx.isDryRun ? 'Dry run: would resize' : 'Resizing'
        } ${namespace} of ${stringifyEntityRef(tenant)} to ${
          ctx.input.quotaPreset
        } on ${clusters.map(c => c.name).join(', ')}`,
      );
      const object = renderTenantQuota({ tenant, namespace, quota });
      const reports = await runOnClusters(ctx, options.registry, clusters, {
        checkpointKey: cluster => `tenancy.resize.${cluster}.${namespace}`,
        run: kc =>
          resizeTenantQuota(kc, object, {
            tenant,
            timeoutMs,
            dryRun: ctx.isDryRun,
          }),
      });
      for (const report of reports) {
        for (const o of report.objects) {
          if (o.detail) ctx.logger.info(`${report.cluster}: ${o.detail}`);
        }
      }
      ctx.output('clusters', reports);
      if (!ctx.isDryRun && reports.some(r => r.outcome === 'updated')) {
        await publishNamespaceChange(options.events, {
          namespace,
          clusters: reports.map(r => r.cluster),
        });
      }
      summarize(reports, `resize ${namespace}`);
    },
  });
}
