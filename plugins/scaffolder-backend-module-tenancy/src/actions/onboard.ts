import { EventsService } from '@backstage/plugin-events-node';
import { LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { tenancyNamespaceOnboardPermission } from '@tenancy/plugin-tenancy-common';
import {
  AccessDeps,
  applyTenantBaseline,
  BaselineOptions,
  checkNamespaceOwnership,
  ClusterRegistry,
  parseTenantRef,
  platformOnlyInputs,
  readBaselineOptions,
  readClusterTimeoutMs,
  renderTenantBaseline,
  tenantGroupSubject,
  validateLabels,
  validateNamespaceName,
  validatePodSecurity,
  withClusterTimeout,
} from '@tenancy/plugin-tenancy-node';
import { authorizeNamespaceAction } from './authorize';
import { examples } from './onboard.examples';
import {
  publishNamespaceChange,
  runOnClusters,
  summarize,
  targetClusters,
} from './clusters';
import {
  clusterReportsOutput,
  namespaceInput,
  presetQuota,
  Zod,
} from './inputs';

/** @public */
export interface OnboardNamespaceActionOptions extends AccessDeps {
  config: Config;
  registry: ClusterRegistry;
  logger?: LoggerService;
  /** The catalog's namespace provider refreshes at once on what is published here. */
  events?: EventsService;
}

/** @public */
export const ONBOARD_ACTION_ID = 'tenancy:namespace:onboard';

/** What onboarding's common fields say. */
export const onboardDescriptions = {
  tenant:
    'The owning team: a Group entity ref, e.g. group:default/team-payments',
  namespace: 'The namespace to create on every cluster',
  environment:
    'The environment whose clusters get the namespace (tenancy.environments)',
  clusters: 'Explicit cluster names instead of an environment',
};

/** Onboarding's own fields; their descriptions name the configured defaults. */
export function onboardFields(z: Zod, baseline: BaselineOptions) {
  return {
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
  };
}

/** The input schema. */
function onboardInput(baseline: BaselineOptions) {
  return (z: Zod) =>
    namespaceInput(z, onboardDescriptions, onboardFields(z, baseline));
}

const onboardOutput = {
  namespace: (z: Zod) => z.string().describe('The namespace'),
  tenant: (z: Zod) => z.string().describe('The owning group'),
  clusters: (z: Zod) =>
    clusterReportsOutput(z).describe('What happened on each cluster'),
};

/**
 * The input, checked in full before the first call to any cluster, so that
 * a bad name, preset, quota, Pod Security level or label changes nothing.
 * The quota is the preset's, with the values of `quota` over it.
 */
function readOnboardInput(
  input: {
    tenant: string;
    namespace: string;
    quotaPreset?: string;
    quota?: Record<string, string>;
    podSecurity?: string;
    labels?: Record<string, string>;
  },
  baseline: BaselineOptions,
) {
  const tenant = parseTenantRef(input.tenant);
  // A tenant whose Kubernetes group would be another team's is refused here.
  tenantGroupSubject(tenant, baseline.groupSubjectTemplate);
  const namespace = validateNamespaceName(input.namespace);
  const { preset, quota } = presetQuota(
    baseline,
    input.quotaPreset ?? baseline.defaultQuotaPreset,
    input.quota,
  );
  const podSecurity = validatePodSecurity(
    input.podSecurity ?? baseline.defaultPodSecurity,
  );
  const labels = validateLabels(input.labels);
  return { tenant, namespace, preset, quota, podSecurity, labels };
}

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
    schema: { input: onboardInput(baseline), output: onboardOutput },
    async handler(ctx) {
      const { tenant, namespace, preset, quota, podSecurity, labels } =
        readOnboardInput(ctx.input, baseline);
      // What goes past the team's own limits needs the platform's override.
      await authorizeNamespaceAction(options, ctx, {
        eventId: 'tenancy-namespace-onboard',
        permission: tenancyNamespaceOnboardPermission,
        tenant,
        namespace,
        overrides: platformOnlyInputs({
          podSecurity,
          defaultPodSecurity: baseline.defaultPodSecurity,
          preset,
          quota,
          clusters: ctx.input.clusters,
        }),
      });
      const clusters = await targetClusters(options, ctx.input);

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

      const reports = await runOnClusters(ctx, options.registry, clusters, {
        checkpointKey: cluster => `tenancy.onboard.${cluster}.${namespace}`,
        // Claimed on one cluster first, so that of two teams onboarding
        // the same new name, one gets it on every cluster, not some each.
        claimFirst: !ctx.isDryRun,
        // And a name another team holds on any cluster that answers is
        // claimed on none.
        precheck: {
          checkpointKey: `tenancy.onboard-check.${namespace}`,
          run: kc =>
            withClusterTimeout(kc, timeoutMs, bounded =>
              checkNamespaceOwnership(
                KubernetesObjectApi.makeApiClient(bounded),
                namespace,
                tenant,
              ),
            ),
        },
        run: kc =>
          applyTenantBaseline(kc, objects, {
            tenant,
            dryRun: ctx.isDryRun,
            timeoutMs,
          }),
      });

      ctx.output('namespace', namespace);
      ctx.output('tenant', stringifyEntityRef(tenant));
      ctx.output('clusters', reports);
      if (!ctx.isDryRun && reports.some(r => r.outcome !== 'failed')) {
        await publishNamespaceChange(options.events, {
          namespace,
          clusters: reports.map(r => r.cluster),
        });
      }
      summarize(reports, `onboard ${namespace}`);
    },
  });
}
