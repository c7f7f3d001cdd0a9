import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { InputError } from '@backstage/errors';
import {
  HandlerOnlyAction,
  runActionOutsideTask,
} from '@tenancy/plugin-tenancy-node';
import { createInput } from './create';
import { CLOSE_ACTION_ID, CLOSED_STATES } from './close';
import { accountIdField, tenantField } from './inputs';

/** The template that requests an account as a task (templates/request-aws-account). */
const REQUEST_TEMPLATE = 'template:default/request-aws-account';

/** What closes an account, as a scaffolder task (it waits for AWS, checkpointed). */
const CLOSE_ACTION = CLOSE_ACTION_ID;

/**
 * A tool's input without `dryRun`, which may only ask for a plan: these
 * tools never change anything, and say what does (`instead`).
 */
function planOnly<T extends { dryRun?: boolean }>(
  input: T,
  instead: string,
): Omit<T, 'dryRun'> {
  const { dryRun, ...rest } = input;
  if (dryRun === false) {
    throw new InputError(`This tool only plans; ${instead}`);
  }
  return rest;
}

/**
 * Registers account vending's plan in Backstage's actions registry, as
 * `scaffolder:tenancy-aws-account-request` (MCP tool
 * `scaffolder.tenancy-aws-account-request`): the create action's own dry
 * run, with its checks and audit event — the OU resolved, whether the team
 * already has the account, what would be created. Creating an account takes
 * minutes of polling AWS, longer than an MCP client waits, and must survive
 * a restart: that is a scaffolder task, which the scaffolder's own
 * `execute-template` tool starts from the Request AWS account template.
 */
export function registerAccountTools(options: {
  actionsRegistry: ActionsRegistryService;
  create: HandlerOnlyAction;
  close?: HandlerOnlyAction;
}) {
  options.actionsRegistry.register({
    name: 'tenancy-aws-account-request',
    title: 'Plan an AWS account for a team',
    description: `Checks a request for a team's AWS account exactly as the account vending action does (member of the team or the platform team, valid name, address, OU and tags) and answers what would happen: the OU it would go into, and whether the team already has an account for that address. It creates nothing. To create the account, run the template ${REQUEST_TEMPLATE} (the scaffolder's execute-template tool): creation takes minutes and runs as a task that survives a restart.`,
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z =>
        createInput(z).extend({
          dryRun: z
            .boolean()
            .optional()
            .describe(
              `Always a dry run; create the account with the template ${REQUEST_TEMPLATE}`,
            ),
        }),
      output: z =>
        z.object({
          dryRun: z.literal(true),
          email: z.string(),
          tenant: z.string(),
          ou: z.object({ id: z.string(), path: z.string() }),
          existingAccountId: z
            .string()
            .optional()
            .describe("The team's account for this address, if it exists"),
          log: z.array(z.string()),
          next: z.string(),
        }),
    },
    action: async ({ input, credentials, logger }) => {
      const rest = planOnly(
        input,
        `create the account with the template ${REQUEST_TEMPLATE}`,
      );
      const { outputs, log } = await runActionOutsideTask(options.create, {
        input: rest,
        credentials,
        logger,
        dryRun: true,
      });
      return {
        output: {
          dryRun: true as const,
          email: String(outputs.email),
          tenant: String(outputs.tenant),
          ou: outputs.ou as { id: string; path: string },
          existingAccountId: outputs.accountId as string | undefined,
          log,
          next: `To create it, run ${REQUEST_TEMPLATE} with these values (the scaffolder's execute-template tool, or the Create page).`,
        },
      };
    },
  });
  if (options.close) registerClosePlan(options.actionsRegistry, options.close);
}

/**
 * `scaffolder:tenancy-aws-account-close` (MCP tool
 * `scaffolder.tenancy-aws-account-close`): the close action's own dry run —
 * the same permission check, ownership check (the account's tenant tag) and
 * audit event — answering whether the account would be closed or is
 * already. The TenancyDryRunPreview field can show it in a form. Closing
 * runs only as a scaffolder task of the close action: it waits for AWS to
 * report the account closed, and is checkpointed.
 */
function registerClosePlan(
  actionsRegistry: ActionsRegistryService,
  close: HandlerOnlyAction,
) {
  actionsRegistry.register({
    name: 'tenancy-aws-account-close',
    title: "Plan closing a team's AWS account",
    description: `Checks a request to close a team's AWS account exactly as the close action does (member of the team or the platform team; the account is in the organization, is not its management account, and its tenant tag names the team) and answers what would happen: the account's state now, and whether it would be closed. It closes nothing. Closing runs as a scaffolder task of the action ${CLOSE_ACTION}, whose confirm input must repeat the account id.`,
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z
          .object({
            accountId: accountIdField(z, 'The 12-digit id of the account'),
            tenant: tenantField(z),
            dryRun: z
              .boolean()
              .optional()
              .describe(
                `Always a dry run; the account is closed by a scaffolder task of ${CLOSE_ACTION}`,
              ),
          })
          .strict(),
      output: z =>
        z.object({
          dryRun: z.literal(true),
          accountId: z.string(),
          tenant: z.string(),
          state: z
            .string()
            .describe('The account state now, as AWS Organizations reports it'),
          wouldClose: z
            .boolean()
            .describe('False when the account is already closed'),
          log: z.array(z.string()),
          next: z.string(),
        }),
    },
    action: async ({ input, credentials, logger }) => {
      const rest = planOnly(
        input,
        `the account is closed by a scaffolder task of ${CLOSE_ACTION}`,
      );
      const { outputs, log } = await runActionOutsideTask(close, {
        // The typed confirmation is the template's; a plan changes nothing.
        input: { ...rest, confirm: rest.accountId },
        credentials,
        logger,
        dryRun: true,
      });
      const state = String(outputs.status);
      // As the action decides: it closes only what it does not count closed.
      const wouldClose = !CLOSED_STATES.has(state);
      return {
        output: {
          dryRun: true as const,
          accountId: String(outputs.accountId),
          tenant: rest.tenant,
          state,
          wouldClose,
          log,
          next: wouldClose
            ? `To close it, run a scaffolder task of ${CLOSE_ACTION} with these values and confirm set to the account id.`
            : 'Nothing to do: the account is already closed.',
        },
      };
    },
  });
}
