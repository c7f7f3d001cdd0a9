import { TemplateActionOptions } from '@backstage/plugin-scaffolder-node';

/**
 * The `z` the scaffolder hands an action's schema callbacks (zod/v3), taken
 * from the scaffolder's own types: this package does not depend on zod.
 */
export type Zod = Parameters<
  NonNullable<NonNullable<TemplateActionOptions['schema']>['output']>[string]
>[0];

/** An input field: a 12-digit AWS account id. */
export function accountIdField(z: Zod, description: string) {
  return z
    .string()
    .regex(/^\d{12}$/)
    .describe(description);
}

/** The `tenant` input field: the owning team. */
export function tenantField(z: Zod) {
  return z
    .string()
    .min(1)
    .describe(
      'The owning team: a Group entity ref, e.g. group:default/team-payments',
    );
}

/** The `links` output: the account in the AWS console. */
export function consoleLinksOutput(z: Zod) {
  return z
    .array(z.object({ title: z.string(), url: z.string() }))
    .describe('The account in the AWS console');
}
