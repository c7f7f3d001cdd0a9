import { LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { tenancyNamespaceOnboardPermission } from '@tenancy/plugin-tenancy-common';
import {
  applyTenantBaseline,
  ClusterRegistry,
  parseTenantRef,
  platformOnlyInputs,
  readBaselineOptions,
  readClusterTimeoutMs,
  renderTenantBaseline,
  validateLabels,
  validateNamespaceName,
  validatePodSecurity,
  validateQuota,
} from '@tenancy/plugin-tenancy-node';
import {
  AccessDeps,
  authorizeTenantAction,
} from '@tenancy/plugin-tenancy-node';
import { examples } from './onboard.examples';
import {
  ClusterReport,
  clusterNames,
  resolveClusters,
  runOnClusters,
  summarize,
} from './clusters';

/** @public */
export interface OnboardNamespaceActionOptions extends AccessDeps {
  config: Config;
  registry: ClusterRegistry;
  logger?: LoggerService;
}

/** @public */
export const ONBOARD_ACTION_ID = 'tenancy:namespace:onboard';

/**
 * `tenancy:namespace:onboard` — the tenant baseline (namespace, quota,
 * limits, network policies, team RoleBinding, deploy identity) on every
 * cluster of an environment, with server-side apply, in parallel.
 * @public
 */
export function createOnboardNamespaceAction(
  options: OnboardNamespaceActionOptions,
) {
  const baseline = readBaselineOptions(options.config);
  const timeoutMs = readClusterTimeoutMs(options.config);

  return createTemplateAction({
    id: ONBOARD_ACTION_ID,
    description:
      'Onboards a tenant namespace — Namespace with Pod Security labels, ResourceQuota, LimitRange, default-deny NetworkPolicies with DNS/same-namespace/ingress allowed, the team RoleBinding and a deploy ServiceAccount — on every cluster of an environment, idempotently.',
    examples,
    supportsDryRun: true,
    schema: {
      input: z =>
        z
          .object({
            tenant: z
              .string()
              .min(1)
              .describe(
                'The owning team: a Group entity ref, e.g. group:default/team-payments',
              ),
            namespace: z
              .string()
              .min(1)
              .max(63)
              .describe('The namespace to create on every cluster'),
            environment: z
              .string()
              .min(1)
              .optional()
              .describe(
                'The environment whose clusters get the namespace (tenancy.environments)',
              ),
            clusters: z
              .array(z.string().min(1))
              .min(1)
              .optional()
              .describe('Explicit cluster names instead of an environment'),
            quotaPreset: z
              .string()
              .min(1)
              .optional()
              .describe(
                `Quota preset: ${Object.keys(baseline.quotaPresets).join(
                  ', ',
                )} (default ${baseline.defaultQuotaPreset})`,
              ),
            quota: z
              .record(z.string(), z.string())
              .optional()
              .describe(
                'ResourceQuota hard values that override the preset, e.g. { "pods": "40" }',
              ),
            podSecurity: z
              .enum(['privileged', 'baseline', 'restricted'])
              .optional()
              .describe(
                `Pod Security Admission level (default ${baseline.defaultPodSecurity})`,
              ),
            labels: z
              .record(z.string(), z.string())
              .optional()
              .describe('Extra namespace labels'),
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
        namespace: z => z.string().describe('The namespace'),
        tenant: z => z.string().describe('The owning group'),
        clusters: z =>
          z
            .array(
              z.object({
                cluster: z.string(),
                outcome: z.string(),
                objects: z.array(
                  z.object({ object: z.string(), change: z.string() }),
                ),
                error: z.string().optional(),
              }),
            )
            .describe('What happened on each cluster'),
      },
    },
    async handler(ctx) {
      // Everything is checked before the first call to any cluster (S8, S20, S24).
      const tenant = parseTenantRef(ctx.input.tenant);
      const namespace = validateNamespaceName(ctx.input.namespace);
      const presetName = ctx.input.quotaPreset ?? baseline.defaultQuotaPreset;
      const preset = baseline.quotaPresets[presetName];
      if (!preset) {
        throw new InputError(
          `Quota preset "${presetName}" does not exist; use one of ${Object.keys(
            baseline.quotaPresets,
          ).join(', ')}`,
        );
      }
      const quota = { ...preset, ...validateQuota(ctx.input.quota ?? {}) };
      const podSecurity = validatePodSecurity(
        ctx.input.podSecurity ?? baseline.defaultPodSecurity,
      );
      const labels = validateLabels(ctx.input.labels);
      // Authorized before anything else — clusters and environments are
      // looked up only for a caller who may act (S38, S39).
      await authorizeTenantAction(options, {
        eventId: 'tenancy-namespace-onboard',
        credentials: await ctx.getInitiatorCredentials(),
        permission: tenancyNamespaceOnboardPermission,
        tenant,
        meta: {
          namespace,
          ...(ctx.input.environment
            ? { environment: ctx.input.environment }
            : { clusters: ctx.input.clusters ?? [] }),
          dryRun: Boolean(ctx.isDryRun),
        },
        overrides: platformOnlyInputs({
          podSecurity,
          defaultPodSecurity: baseline.defaultPodSecurity,
          preset,
          quota,
          clusters: ctx.input.clusters,
        }),
      });
      const clusters = await resolveClusters(
        options,
        clusterNames(options.config, ctx.input),
      );

      const objects = renderTenantBaseline(
        {
          tenant,
          namespace,
          environment: ctx.input.environment,
          quota,
          podSecurity,
          labels,
        },
        baseline,
      );
      ctx.logger.info(
        `${
          ctx.isDryRun ? 'Dry run: would onboard' : 'Onboarding'
        } ${namespace} for ${stringifyEntityRef(tenant)} on ${clusters
          .map(c => c.name)
          .join(', ')} (${objects.length} objects each)`,
      );

      const reports: ClusterReport[] = await runOnClusters(
        ctx,
        options.registry,
        clusters,
        {
          checkpointKey: cluster => `tenancy.onboard.${cluster}.${namespace}`,
          // One team gets a new name on every cluster, not some each (S36).
          claimFirst: !ctx.isDryRun,
          run: kc =>
            applyTenantBaseline(kc, objects, {
              tenant,
              dryRun: ctx.isDryRun,
              timeoutMs,
            }),
        },
      );

      ctx.output('namespace', namespace);
      ctx.output('tenant', stringifyEntityRef(tenant));
      ctx.output('clusters', reports);
      summarize(reports, `onboard ${namespace}`);
    },
  });
}
