import {
  AccountNotFoundException,
  TargetNotFoundException,
} from '@aws-sdk/client-organizations';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { EventsService } from '@backstage/plugin-events-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { awsAccountCreatePermission } from '../permissions';
import {
  AccessDeps,
  authorizeTenantAction,
} from '@tenancy/plugin-tenancy-node';
import { examples } from './register.examples';
import {
  AWS_ACCOUNT_EVENT_TOPIC,
  awsAccountEntityRef,
  Deadline,
  describeAwsError,
  OrganizationsApi,
  OrganizationsClientProvider,
  parseTenantRef,
  resolveTiming,
  TAG_KEYS,
  toActionError,
  validateAccountId,
  VendingTimingOverrides,
} from '@tenancy/plugin-tenancy-node';

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
      "Registers a team's AWS account in the catalog as a Resource of type aws-account owned by the team, through the AWS accounts entity provider, and waits until the catalog has it.",
    examples,
    supportsDryRun: true,
    schema: {
      input: z =>
        z
          .object({
            accountId: z
              .string()
              .regex(/^\d{12}$/)
              .describe('The 12-digit account id'),
            tenant: z
              .string()
              .min(1)
              .describe(
                'The owning team: a Group entity ref, e.g. group:default/team-payments',
              ),
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
          .strict(),
      output: {
        entityRef: z =>
          z
            .string()
            .describe(
              'The Resource, e.g. resource:default/aws-account-123456789012',
            ),
      },
    },
    async handler(ctx) {
      const accountId = validateAccountId(ctx.input.accountId);
      const tenantRef = parseTenantRef(ctx.input.tenant);
      const tenant = stringifyEntityRef(tenantRef);
      const credentials = await ctx.getInitiatorCredentials();
      await authorizeTenantAction(options, {
        eventId: 'tenancy-aws-account-register',
        credentials,
        permission: awsAccountCreatePermission,
        tenant: tenantRef,
        meta: { accountId, dryRun: Boolean(ctx.isDryRun) },
      });

      try {
        // The catalog takes ownership from AWS, not from this input: check
        // that they agree before announcing anything.
        const api = new OrganizationsApi(
          await options.clients.getClient(),
          timing,
          (level, message) => ctx.logger[level](message),
        );
        let owner: string | undefined;
        try {
          owner = (await api.tagsOf(accountId))[TAG_KEYS.tenant];
        } catch (error) {
          if (
            error instanceof AccountNotFoundException ||
            error instanceof TargetNotFoundException
          ) {
            throw new NotFoundError(
              `Account ${accountId} is not in this organization`,
            );
          }
          throw describeAwsError('ListTagsForResource', error);
        }
        if (owner !== tenant) {
          throw new NotAllowedError(
            `Account ${accountId} is not tagged as ${tenant}'s (its ${
              TAG_KEYS.tenant
            } tag is ${
              owner ? `"${owner}"` : 'missing'
            }); the catalog would not list it as theirs`,
          );
        }

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
