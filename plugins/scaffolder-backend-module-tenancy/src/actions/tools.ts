import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { InputError } from '@backstage/errors';
import {
  BaselineOptions,
  HandlerOnlyAction,
  runActionOutsideTask,
} from '@tenancy/plugin-tenancy-node';
import {
  clusterReportsOutput,
  hasOneTarget,
  namespaceShape,
  ONE_TARGET,
  Zod,
} from './inputs';
import { offboardDescriptions, offboardFields } from './offboard';
import { onboardDescriptions, onboardFields } from './onboard';
import { resizeDescriptions, resizeFields } from './resize';

/** How long the offboarding tool waits per cluster unless told (`waitSeconds`). */
const OFFBOARD_TOOL_WAIT_SECONDS = 45;

/** A step that failed on some clusters has reported on each: answer those reports. */
const keepOnFailure = (outputs: Record<string, unknown>) =>
  outputs.clusters !== undefined;

/**
 * Registers onboarding, offboarding and resizing in Backstage's actions
 * registry (MCP tools and CLI actions), as `tenancy-namespace-onboard`,
 * `tenancy-namespace-offboard` and `tenancy-namespace-resize` of the
 * scaffolder plugin. They run the
 * scaffolder actions' own handlers, and dry-run unless told `dryRun: false`:
 * the answer is then the per-cluster plan (each object and what would
 * change). A caller who may not act for the team is refused, and the refusal
 * is audited, exactly as in a template.
 */
export function registerNamespaceTools(options: {
  actionsRegistry: ActionsRegistryService;
  baseline: BaselineOptions;
  onboard: HandlerOnlyAction;
  offboard: HandlerOnlyAction;
  resize: HandlerOnlyAction;
}) {
  const { actionsRegistry, baseline } = options;
  const dryRunField = (z: Zod) =>
    z
      .boolean()
      .optional()
      .describe(
        'Only show what would change on each cluster (default true); false to do it',
      );
  const checkTarget = (input: {
    environment?: string;
    clusters?: string[];
  }) => {
    if (!hasOneTarget(input)) throw new InputError(ONE_TARGET);
  };
  /** Runs a namespace action's handler for a tool: a dry run unless told. */
  const runTool = async (
    action: HandlerOnlyAction,
    input: { environment?: string; clusters?: string[]; dryRun?: boolean },
    context: Pick<
      Parameters<typeof runActionOutsideTask>[1],
      'credentials' | 'logger'
    >,
    defaults: Record<string, unknown> = {},
  ) => {
    checkTarget(input);
    const { dryRun = true, ...rest } = input;
    const result = await runActionOutsideTask(action, {
      ...context,
      input: { ...defaults, ...rest },
      dryRun,
      keepOnFailure,
    });
    return { dryRun, ...result };
  };
  /** What a tool answers: the per-cluster plan or outcome, and the log. */
  const clustersOutput = (z: Zod, errorDescription: string) =>
    z.object({
      dryRun: z.boolean(),
      clusters: clusterReportsOutput(z),
      log: z.array(z.string()),
      error: z.string().optional().describe(errorDescription),
    });

  actionsRegistry.register({
    name: 'tenancy-namespace-onboard',
    title: 'Onboard a team namespace',
    description:
      "Creates a team's namespace with the tenant baseline (Pod Security, ResourceQuota from a preset, LimitRange, default-deny NetworkPolicies, the team's RoleBinding, a deploy ServiceAccount) on every cluster of an environment. Dry-runs by default and answers the per-cluster plan; only members of the team (or the platform team) may, and anything past the team's own limits needs the platform team.",
    attributes: { destructive: false, idempotent: true },
    schema: {
      input: z =>
        z
          .object({
            ...namespaceShape(
              z,
              onboardDescriptions,
              onboardFields(z, baseline),
            ),
            dryRun: dryRunField(z),
          })
          .strict(),
      output: z =>
        z.object({
          dryRun: z.boolean(),
          namespace: z.string(),
          tenant: z.string(),
          clusters: clusterReportsOutput(z),
          log: z.array(z.string()),
          error: z
            .string()
            .optional()
            .describe('Why the step failed on some clusters (see clusters)'),
        }),
    },
    action: async ({ input, credentials, logger }) => {
      const { dryRun, outputs, log, error } = await runTool(
        options.onboard,
        input,
        { credentials, logger },
      );
      return {
        output: {
          dryRun,
          namespace: String(outputs.namespace),
          tenant: String(outputs.tenant),
          clusters: outputs.clusters as any,
          log,
          error,
        },
      };
    },
  });

  actionsRegistry.register({
    name: 'tenancy-namespace-offboard',
    title: 'Offboard a team namespace',
    description:
      "Deletes a team's namespace (only one the team owns) on every cluster of an environment and waits until each cluster has finished. Dry-runs by default and answers what would be deleted; only members of the team (or the platform team) may.",
    attributes: { destructive: true, idempotent: true },
    schema: {
      input: z =>
        z
          .object({
            ...namespaceShape(z, offboardDescriptions, offboardFields(z)),
            waitSeconds: offboardFields(z).waitSeconds.describe(
              `How long to wait for each cluster to finish deleting (default ${OFFBOARD_TOOL_WAIT_SECONDS} here: an MCP client gives up on a call after about a minute; a longer deletion goes on and the answer says so)`,
            ),
            dryRun: dryRunField(z),
          })
          .strict(),
      output: z =>
        clustersOutput(
          z,
          'Why the step failed on some clusters (see clusters), e.g. a deletion still in progress',
        ),
    },
    action: async ({ input, credentials, logger }) => {
      // An MCP client gives up on a call after about a minute; a deletion
      // that takes longer goes on, and the answer says it is in progress.
      const { dryRun, outputs, log, error } = await runTool(
        options.offboard,
        input,
        { credentials, logger },
        { waitSeconds: OFFBOARD_TOOL_WAIT_SECONDS },
      );
      return {
        output: { dryRun, clusters: outputs.clusters as any, log, error },
      };
    },
  });

  actionsRegistry.register({
    name: 'tenancy-namespace-resize',
    title: "Resize a team namespace's quota",
    description:
      "Gives a team's namespace (only one the team owns) another quota preset on every cluster of an environment: its ResourceQuota only. Dry-runs by default and answers, per cluster, what changes (e.g. requests.cpu 2 → 4) and where the namespace already uses more than a new limit; only members of the team (or the platform team) may, and a quota above the preset needs the platform team.",
    attributes: { destructive: false, idempotent: true },
    schema: {
      input: z =>
        z
          .object({
            ...namespaceShape(z, resizeDescriptions, resizeFields(z, baseline)),
            dryRun: dryRunField(z),
          })
          .strict(),
      output: z =>
        clustersOutput(
          z,
          'Why the step failed on some clusters (see clusters)',
        ),
    },
    action: async ({ input, credentials, logger }) => {
      const { dryRun, outputs, log, error } = await runTool(
        options.resize,
        input,
        { credentials, logger },
      );
      return {
        output: { dryRun, clusters: outputs.clusters as any, log, error },
      };
    },
  });
}
