import { InputError } from '@backstage/errors';
import { TemplateActionOptions } from '@backstage/plugin-scaffolder-node';
import { BaselineOptions, validateQuota } from '@tenancy/plugin-tenancy-node';

/**
 * The `z` the scaffolder hands an action's schema callbacks (zod/v3), taken
 * from the scaffolder's own types: this package does not depend on zod.
 */
export type Zod = Parameters<
  NonNullable<NonNullable<TemplateActionOptions['schema']>['output']>[string]
>[0];

type ZodShape = Parameters<Zod['object']>[0];

/** What the common fields of an action on a tenant's namespace say about themselves. */
export interface NamespaceInputDescriptions {
  tenant: string;
  namespace: string;
  environment: string;
  clusters: string;
}

/**
 * The fields of an action on a tenant's namespace: `tenant`, `namespace`,
 * and as its target an `environment` or explicit `clusters`, with the
 * action's `own` fields after them.
 */
export function namespaceShape<Own extends ZodShape>(
  z: Zod,
  describe: NamespaceInputDescriptions,
  own: Own,
) {
  return {
    tenant: z.string().min(1).describe(describe.tenant),
    namespace: z.string().min(1).max(63).describe(describe.namespace),
    environment: z.string().min(1).optional().describe(describe.environment),
    clusters: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(describe.clusters),
    ...own,
  };
}

/** Whether an input names exactly one target: an environment or clusters. */
export function hasOneTarget(v: {
  environment?: string;
  clusters?: string[];
}): boolean {
  return (v.environment === undefined) !== (v.clusters === undefined);
}

export const ONE_TARGET =
  'Give either environment or clusters, not both and not neither';

/**
 * The input of an action on a tenant's namespace ({@link namespaceShape}),
 * with exactly one target.
 */
export function namespaceInput<Own extends ZodShape>(
  z: Zod,
  describe: NamespaceInputDescriptions,
  own: Own,
) {
  return z
    .object(namespaceShape(z, describe, own))
    .strict()
    .refine(hasOneTarget, { message: ONE_TARGET });
}

/** The `clusters` output: a `ClusterReport` per cluster. */
export function clusterReportsOutput(z: Zod) {
  return z.array(
    z.object({
      cluster: z.string(),
      outcome: z.string(),
      objects: z.array(
        z.object({
          object: z.string(),
          change: z.string(),
          detail: z.string().optional(),
        }),
      ),
      error: z.string().optional(),
    }),
  );
}

/**
 * A quota preset by name and the quota it gives: the preset's, with the
 * valid `overrides` over it. An unknown preset is an input error naming the
 * configured ones.
 */
export function presetQuota(
  baseline: BaselineOptions,
  presetName: string,
  overrides: Record<string, string> = {},
) {
  // Own presets only: "constructor" or "__proto__" must not find what every
  // object inherits (a preset with no limits, above which nothing is raised).
  const preset = Object.hasOwn(baseline.quotaPresets, presetName)
    ? baseline.quotaPresets[presetName]
    : undefined;
  if (!preset) {
    throw new InputError(
      `Quota preset "${presetName}" does not exist; use one of ${Object.keys(
        baseline.quotaPresets,
      ).join(', ')}`,
    );
  }
  return { preset, quota: { ...preset, ...validateQuota(overrides) } };
}
