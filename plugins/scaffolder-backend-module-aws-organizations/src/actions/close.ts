import {
  AccountAlreadyClosedException,
  AccountNotFoundException,
  ConflictException,
  ConstraintViolationException,
} from '@aws-sdk/client-organizations';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { EventsService } from '@backstage/plugin-events-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { parseTenantRef } from '@tenancy/plugin-tenancy-node';
import { OrganizationsClientProvider } from '../aws/config';
import { accountConsoleUrl } from '../aws/links';
import {
  describeAwsError,
  OrganizationsApi,
  toActionError,
} from '../aws/OrganizationsApi';
import { resolveTiming, VendingTimingOverrides } from '../aws/timing';
import { TAG_KEYS, validateAccountId } from '../aws/validation';
import { AWS_ACCOUNT_EVENT_TOPIC } from '../catalog/entity';
import { awsAccountClosePermission } from '../permissions';
import {
  AccessDeps,
  authorizeTenantAction,
} from '@tenancy/plugin-tenancy-node';
import { examples } from './close.examples';

/** @public */
export interface CloseAwsAccountActionOptions extends AccessDeps {
  clients: OrganizationsClientProvider;
  /** Tells the catalog's account provider to refresh the account. */
  events?: EventsService;
  timing?: VendingTimingOverrides;
}

export const CLOSE_ACTION_ID = 'aws:organizations:account:close';

const CLOSED_STATES = new Set(['SUSPENDED', 'PENDING_CLOSURE', 'CLOSED']);

/**
 * `aws:organizations:account:close` — day-2 offboarding: closes an account
 * the tenant owns (its `tenant` tag), after the caller repeats the account
 * id in `confirm`.
 * @public
 */
export function createCloseAwsAccountAction(
  options: CloseAwsAccountActionOptions,
) {
  const timing = resolveTiming(options.timing);

  return createTemplateAction({
    id: CLOSE_ACTION_ID,
    description:
      "Closes a team's AWS account through AWS Organizations once `confirm` repeats the account id. Only the owning team (the account's tenant tag) may close it; the management account never. Reports SUSPENDED or PENDING_CLOSURE.",
    examples,
    supportsDryRun: true,
    schema: {
      input: z =>
        z
          .object({
            accountId: z
              .string()
              .regex(/^\d{12}$/)
              .describe('The 12-digit id of the account to close'),
            tenant: z
              .string()
              .min(1)
              .describe(
                'The owning team: a Group entity ref, e.g. group:default/team-payments',
              ),
            confirm: z
              .string()
              .min(1)
              .describe(
                'Must repeat accountId: the explicit confirmation that this account is to be closed',
              ),
          })
          .strict(),
      output: {
        accountId: z => z.string().describe('The account id'),
        status: z =>
          z
            .string()
            .describe(
              'The account state afterwards: SUSPENDED or PENDING_CLOSURE (ACTIVE in a dry run)',
            ),
        links: z =>
          z
            .array(z.object({ title: z.string(), url: z.string() }))
            .describe('The account in the AWS console'),
      },
    },
    async handler(ctx) {
      const accountId = validateAccountId(ctx.input.accountId);
      const tenantRef = parseTenantRef(ctx.input.tenant);
      const tenant = stringifyEntityRef(tenantRef);
      if (ctx.input.confirm !== accountId) {
        throw new InputError(
          `To close account ${accountId}, set confirm to the account id itself; nothing was closed`,
        );
      }
      await authorizeTenantAction(options, {
        eventId: 'tenancy-aws-account-close',
        credentials: await ctx.getInitiatorCredentials(),
        permission: awsAccountClosePermission,
        tenant: tenantRef,
        meta: { accountId, dryRun: Boolean(ctx.isDryRun) },
      });

      try {
        const api = new OrganizationsApi(
          await options.clients.getClient(),
          timing,
          (level, message) => ctx.logger[level](message),
        );
        const organization = await api.describeOrganization();
        if (organization.MasterAccountId === accountId) {
          throw new NotAllowedError(
            `Account ${accountId} is the organization's management account; it cannot be closed from the portal`,
          );
        }
        const describe = async () => {
          try {
            return await api.describeAccount(accountId);
          } catch (error) {
            if (error instanceof AccountNotFoundException) {
              throw new NotFoundError(
                `Account ${accountId} is not in this organization`,
              );
            }
            throw describeAwsError('DescribeAccount', error);
          }
        };
        const account = await describe();
        const owner = (await api.tagsOf(accountId))[TAG_KEYS.tenant];
        if (owner !== tenant) {
          throw new NotAllowedError(
            `Account ${accountId} is not owned by ${tenant} (its ${
              TAG_KEYS.tenant
            } tag is ${
              owner ? `"${owner}"` : 'missing'
            }); only the owning team may close it`,
          );
        }
        const links = [
          {
            title: 'AWS Organizations console',
            url: accountConsoleUrl(account.Arn ?? '', accountId),
          },
        ];
        ctx.output('accountId', accountId);
        ctx.output('links', links);

        const before = account.State ?? account.Status ?? 'UNKNOWN';
        if (CLOSED_STATES.has(before)) {
          ctx.logger.info(
            `Account ${accountId} ("${account.Name}") is already ${before}; nothing to do`,
          );
          ctx.output('status', before);
          return;
        }
        if (ctx.isDryRun) {
          ctx.logger.info(
            `Dry run: would close account ${accountId} ("${account.Name}") of ${tenant}; nothing was closed`,
          );
          ctx.output('status', before);
          return;
        }

        await ctx.checkpoint({
          key: `aws.organizations.closeAccount.${accountId}`,
          fn: async () => {
            try {
              await api.closeAccount(accountId);
            } catch (error) {
              if (
                error instanceof AccountAlreadyClosedException ||
                error instanceof ConflictException
              ) {
                // Closed, or being closed, by an earlier run: the same outcome.
                return;
              }
              if (error instanceof ConstraintViolationException) {
                throw new ConflictError(
                  `AWS refused to close account ${accountId} because of a limit: ${
                    error.Reason ?? 'ConstraintViolationException'
                  } (AWS: ${
                    error.message
                  }). An organization may close only a share of its accounts per 30 days; the account stays open`,
                );
              }
              throw describeAwsError('CloseAccount', error);
            }
          },
        });
        const after = await describe();
        const status = after.State ?? after.Status ?? 'UNKNOWN';
        ctx.logger.info(
          `Closed account ${accountId} ("${account.Name}") of ${tenant}: it is ${status}; AWS deletes it after the post-closure period`,
        );
        ctx.output('status', status);
        await options.events?.publish({
          topic: AWS_ACCOUNT_EVENT_TOPIC,
          eventPayload: { accountId },
        });
      } catch (error) {
        throw toActionError(error);
      }
    },
  });
}
