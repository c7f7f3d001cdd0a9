import { TemplateActionOptions } from '@backstage/plugin-scaffolder-node';

/**
 * The `z` the scaffolder hands an action's schema callbacks (zod/v3), taken
 * from the scaffolder's own types: this package does not depend on zod.
 */
export type Zod = Parameters<
  NonNullable<NonNullable<TemplateActionOptions['schema']>['output']>[string]
>[0];

type ZodShape = Parameters<Zod['object']>[0];

/**
 * The input of an action on a tenant's namespace: `tenant`, `namespace`,
 * and as its target either an `environment` or explicit `clusters`, with
 * the action's `own` fields after them.
 */
export function namespaceInput<Own extends ZodShape>(
  z: Zod,
  describe: {
    tenant: string;
    namespace: string;
    environment: string;
    clusters: string;
  },
  own: Own,
) {
  return z
    .object({
      tenant: z.string().min(1).describe(describe.tenant),
      namespace: z.string().min(1).max(63).describe(describe.namespace),
      environment: z.string().min(1).optional().describe(describe.environment),
      clusters: z
        .array(z.string().min(1))
        .min(1)
        .optional()
        .describe(describe.clusters),
      ...own,
    })
    .strict()
    .refine(v => (v.environment === undefined) !== (v.clusters === undefined), {
      message: 'Give either environment or clusters, not both and not neither',
    });
}

/** The `clusters` output: a `ClusterReport` per cluster. */
export function clusterReportsOutput(z: Zod) {
  return z.array(
    z.object({
      cluster: z.string(),
      outcome: z.string(),
      objects: z.array(z.object({ object: z.string(), change: z.string() })),
      error: z.string().optional(),
    }),
  );
}
