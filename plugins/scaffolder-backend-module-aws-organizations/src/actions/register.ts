import { ServiceUnavailableError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { EventsService } from '@backstage/plugin-events-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { awsAccountCreatePermission } from '../permissions';
import { examples } from './register.examples';
import {
  AccessDeps,
  AWS_ACCOUNT_EVENT_TOPIC,
  awsAccountEntityRef,
  Deadline,
  OrganizationsClientProvider,
  resolveTiming,
  toActionError,
  VendingTimingOverrides,
} from '@tenancy/plugin-tenancy-node';
import { accountIdField, tenantField, Zod } from './inputs';
import {
  authorizeAccountAction,
  checkTenantTag,
  organizationsApi,
  readTenantAccount,
} from './tenantAccount';

/** @public */
export interface RegisterAwsAccountActionOptions extends AccessDeps {
  clients: OrganizationsClientProvider;
  catalog: CatalogService;
  events: EventsService;
  timing?: VendingTimingOverrides;
  /** How often the catalog is checked for the entity. Default 1000 ms. */
  catalogPollMs?: number;
}

/** @public */
export const REGISTER_ACTION_ID = 'aws:organizations:account:register';

const registerInput = (z: Zod) =>
  z
    .object({
      accountId: accountIdField(z, 'The 12-digit account id'),
      tenant: tenantField(z),
      waitSeconds: z
        .number()
        .int()
        .min(1)
        .max(600)
        .optional()
        .describe(
          'How long to wait for the catalog to serve the entity (default 120)',
        ),
    })
    .strict();

const registerOutput = {
  entityRef: (z: Zod) =>
    z
      .string()
      .describe('The Resource, e.g. resource:default/aws-account-123456789012'),
};

/**
 * `aws:organizations:account:register` — makes a tenant's account appear in
 * the catalog now rather than at the account provider's next scheduled read:
 * checks in AWS that the account is the tenant's, announces it on the events
 * service (the catalog module's `AwsAccountEntityProvider` applies it as a
 * delta) and waits until the catalog serves the Resource.
 * @public
 */
export function createRegisterAwsAccountAction(
  options: RegisterAwsAccountActionOptions,
) {
  const timing = resolveTiming(options.timing);

  return createTemplateAction({
    id: REGISTER_ACTION_ID,
    description:
      "Registers a team's AWS account in the catalog as a Resource of type cloud-account owned by the team, through the AWS accounts entity provider, and waits until the catalog has it.",
    examples,
    supportsDryRun: true,
    schema: { input: registerInput, output: registerOutput },
    async handler(ctx) {
      const target = readTenantAccount(ctx.input);
      const { accountId, tenant } = target;
      const credentials = await authorizeAccountAction(options, ctx, target, {
        eventId: 'tenancy-aws-account-register',
        permission: awsAccountCreatePermission,
      });

      try {
        // The catalog takes ownership from AWS, not from this input: check
        // that they agree before announcing anything.
        const api = await organizationsApi(options.clients, timing, ctx.logger);
        await checkTenantTag(api, accountId, tenant);

        const entityRef = awsAccountEntityRef(accountId);
        ctx.output('entityRef', entityRef);
        if (ctx.isDryRun) {
          ctx.logger.info(
            `Dry run: would register account ${accountId} as ${entityRef}, owned by ${tenant}`,
          );
          return;
        }

        await options.events.publish({
          topic: AWS_ACCOUNT_EVENT_TOPIC,
          eventPayload: { accountId },
        });
        const deadline = new Deadline((ctx.input.waitSeconds ?? 120) * 1000);
        for (;;) {
          const entity = await options.catalog.getEntityByRef(entityRef, {
            credentials,
          });
          if (entity?.spec?.owner === tenant) break;
          if (deadline.passed()) {
            throw new ServiceUnavailableError(
              `The catalog did not list ${entityRef} within ${deadline.describe()}. Is the catalog module @tenancy/plugin-catalog-backend-module-aws-organizations installed? Its scheduled read adds the account later in any case`,
            );
          }
          await deadline.sleep(options.catalogPollMs ?? 1000);
        }
        ctx.logger.info(
          `Account ${accountId} is in the catalog as ${entityRef}, owned by ${tenant}`,
        );
      } catch (error) {
        throw toActionError(error);
      }
    },
  });
}
