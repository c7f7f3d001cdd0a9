import {
  Account,
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
import { awsAccountClosePermission } from '../permissions';
import {
  AccessDeps,
  authorizeTenantAction,
} from '@tenancy/plugin-tenancy-node';
import { examples } from './close.examples';
import {
  accountConsoleUrl,
  AWS_ACCOUNT_EVENT_TOPIC,
  Deadline,
  describeAwsError,
  OrganizationsApi,
  OrganizationsClientProvider,
  parseTenantRef,
  resolveTiming,
  TAG_KEYS,
  toActionError,
  validateAccountId,
  VendingTiming,
  VendingTimingOverrides,
} from '@tenancy/plugin-tenancy-node';

/** @public */
export interface CloseAwsAccountActionOptions extends AccessDeps {
  clients: OrganizationsClientProvider;
  /** Tells the catalog's account provider to refresh the account. */
  events?: EventsService;
  timing?: VendingTimingOverrides;
  /**
   * How long, after CloseAccount, the account is read back until AWS reports
   * it SUSPENDED or PENDING_CLOSURE; past this the step fails and the catalog
   * is not told. Reads back off as `timing.poll` says. Default 120.
   */
  closeWaitSeconds?: number;
}

/** @public */
export const CLOSE_ACTION_ID = 'aws:organizations:account:close';

const CLOSED_STATES = new Set(['SUSPENDED', 'PENDING_CLOSURE', 'CLOSED']);

const DEFAULT_CLOSE_WAIT_SECONDS = 120;

function stateOf(account: Account): string {
  return account.State ?? account.Status ?? 'UNKNOWN';
}

/**
 * What AWS answered CloseAccount — or, `recorded`, that this task saw the
 * account closed in an earlier run — for the message if the account is then
 * not seen closed.
 */
type CloseAnswer =
  | { kind: 'accepted' }
  | { kind: 'refused' | 'already-closed'; exception: string; message: string }
  | { kind: 'recorded' };

/**
 * Reads the account until AWS reports it closed or the deadline passes,
 * backing off as `timing.poll` says; returns the last state read. A failed
 * read is thrown.
 */
async function readUntilClosed(
  api: OrganizationsApi,
  accountId: string,
  poll: VendingTiming['poll'],
  deadline: Deadline,
): Promise<string> {
  let delay = poll.initialMs;
  for (;;) {
    const state = stateOf(await api.describeAccount(accountId));
    if (CLOSED_STATES.has(state) || deadline.passed()) return state;
    await deadline.sleep(delay);
    delay = Math.min(delay * 2, poll.maxMs);
  }
}

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
  const closeWaitSeconds =
    options.closeWaitSeconds ?? DEFAULT_CLOSE_WAIT_SECONDS;

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

        const before = stateOf(account);
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

        const consoleUrl = links[0].url;
        /**
         * The account is closed only once AWS says so: after CloseAccount —
         * whatever it answered — the account is read back until it is
         * SUSPENDED or PENDING_CLOSURE. If it is not within
         * `closeWaitSeconds`, or cannot be read, the step fails here, before
         * the catalog is told anything.
         */
        const confirmClosed = async (answer: CloseAnswer): Promise<string> => {
          const deadline = new Deadline(closeWaitSeconds * 1000);
          let said: string;
          let todo: string;
          switch (answer.kind) {
            case 'refused':
              said = `AWS refused to close account ${accountId} (${answer.exception}: ${answer.message})`;
              todo = `Another change to the account may be under way in AWS Organizations (a closure or an update from the console or another task): check the account in the AWS console (${consoleUrl}) and, once that change is over, run this task again — it asks AWS to close the account again`;
              break;
            case 'already-closed':
              said = `AWS answered CloseAccount for account ${accountId} with ${answer.exception} (${answer.message})`;
              todo = `Check the account in the AWS console (${consoleUrl}) and run this task again — it asks AWS to close the account again if it is still open`;
              break;
            case 'accepted':
              said = `AWS accepted CloseAccount for account ${accountId}`;
              todo = `AWS may still be closing it: check the account in the AWS console (${consoleUrl}) and run this task again later — it reports the account's state, and asks AWS to close it again only if it is still open`;
              break;
            default:
              said = `An earlier run of this task saw account ${accountId} closed`;
              todo = `This task will not ask AWS again: check the account in the AWS console (${consoleUrl}) and close it there, or start a new task`;
          }
          let state: string;
          try {
            state = await readUntilClosed(
              api,
              accountId,
              timing.poll,
              deadline,
            );
          } catch (error) {
            throw new ConflictError(
              `${said}, and reading the account back failed (${
                describeAwsError('DescribeAccount', error).message
              }), so it is not known to be closed; nothing was changed in the catalog. ${todo}`,
            );
          }
          if (!CLOSED_STATES.has(state)) {
            throw new ConflictError(
              `${said} ${
                answer.kind === 'recorded' ? 'but it is' : 'and it is still'
              } ${state} after ${deadline.describe()}; nothing was changed in the catalog. ${todo}`,
            );
          }
          return state;
        };

        // Saved only once the account is seen closed: a run that failed
        // above, retried, asks AWS again rather than trusting an answer that
        // did not close the account. (`confirmed`: a checkpoint of the
        // earlier key may record a ConflictException that left the account
        // open, and must not be trusted.)
        await ctx.checkpoint<{ status: string }>({
          key: `aws.organizations.closeAccount.confirmed.${accountId}`,
          fn: async () => {
            let answer: CloseAnswer;
            try {
              await api.closeAccount(accountId);
              answer = { kind: 'accepted' };
            } catch (error) {
              if (
                error instanceof ConflictException ||
                error instanceof AccountAlreadyClosedException
              ) {
                // Ambiguous: a closure already under way (or done) — or a
                // refusal that leaves the account open. Only its state says.
                answer = {
                  kind:
                    error instanceof ConflictException
                      ? 'refused'
                      : 'already-closed',
                  exception: error.name,
                  message: error.message,
                };
                ctx.logger.warn(
                  `AWS answered CloseAccount for account ${accountId} with ${error.name} (${error.message}); reading the account until it is SUSPENDED or PENDING_CLOSURE (at most ${closeWaitSeconds} s)`,
                );
              } else if (error instanceof ConstraintViolationException) {
                throw new ConflictError(
                  `AWS refused to close account ${accountId} because of a limit: ${
                    error.Reason ?? 'ConstraintViolationException'
                  } (AWS: ${
                    error.message
                  }). An organization may close only a share of its accounts per 30 days; the account stays open`,
                );
              } else {
                throw describeAwsError('CloseAccount', error);
              }
            }
            return { status: await confirmClosed(answer) };
          },
        });
        // The state as it is now, also when the checkpoint was recorded by an
        // earlier run.
        const status = await confirmClosed({ kind: 'recorded' });
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
