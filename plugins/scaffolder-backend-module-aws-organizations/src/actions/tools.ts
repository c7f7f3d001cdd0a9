import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { InputError } from '@backstage/errors';
import {
  HandlerOnlyAction,
  runActionOutsideTask,
} from '@tenancy/plugin-tenancy-node';
import { createInput } from './create';

/** The template that requests an account as a task (templates/request-aws-account). */
const REQUEST_TEMPLATE = 'template:default/request-aws-account';

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
      const { dryRun, ...rest } = input;
      if (dryRun === false) {
        throw new InputError(
          `This tool only plans; create the account with the template ${REQUEST_TEMPLATE}`,
        );
      }
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
}
