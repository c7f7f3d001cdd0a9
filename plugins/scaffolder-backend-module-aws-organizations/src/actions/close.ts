import {
  Account,
  AccountAlreadyClosedException,
  AccountNotFoundException,
  ConflictException,
  ConstraintViolationException,
} from '@aws-sdk/client-organizations';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { EventsService } from '@backstage/plugin-events-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { awsAccountClosePermission } from '../permissions';
import { examples } from './close.examples';
import {
  AccessDeps,
  AWS_ACCOUNT_EVENT_TOPIC,
  Deadline,
  describeAwsError,
  OrganizationsApi,
  OrganizationsClientProvider,
  resolveTiming,
  TAG_KEYS,
  toActionError,
  VendingTiming,
  VendingTimingOverrides,
} from '@tenancy/plugin-tenancy-node';
import { accountIdField, consoleLinksOutput, tenantField, Zod } from './inputs';
import {
  authorizeAccountAction,
  consoleLinks,
  organizationsApi,
  readTenantAccount,
} from './tenantAccount';

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

/**
 * The states in which the action counts an account closed (and closes it no
 * more): SUSPENDED is how AWS Organizations' `Status` (and moto) reports a
 * closed account.
 */
export const CLOSED_STATES: ReadonlySet<string> = new Set([
  'SUSPENDED',
  'PENDING_CLOSURE',
  'CLOSED',
]);

const DEFAULT_CLOSE_WAIT_SECONDS = 120;

const closeInput = (z: Zod) =>
  z
    .object({
      accountId: accountIdField(z, 'The 12-digit id of the account to close'),
      tenant: tenantField(z),
      confirm: z
        .string()
        .min(1)
        .describe(
          'Must repeat accountId: the explicit confirmation that this account is to be closed',
        ),
    })
    .strict();

const closeOutput = {
  accountId: (z: Zod) => z.string().describe('The account id'),
  status: (z: Zod) =>
    z
      .string()
      .describe(
        'The account state afterwards: SUSPENDED or PENDING_CLOSURE (ACTIVE in a dry run)',
      ),
  links: consoleLinksOutput,
};

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

/** One account being closed, and how long to wait for AWS to show it closed. */
interface Closing {
  api: OrganizationsApi;
  accountId: string;
  poll: VendingTiming['poll'];
  closeWaitSeconds: number;
  /** The account in the AWS console, for the messages. */
  consoleUrl: string;
}

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
 * The account, once it is known that the tenant may close it: it is not the
 * organization's management account, it is in the organization, and its
 * tenant tag names the tenant.
 */
async function ownedAccount(
  api: OrganizationsApi,
  accountId: string,
  tenant: string,
): Promise<Account> {
  const organization = await api.describeOrganization();
  if (organization.MasterAccountId === accountId) {
    throw new NotAllowedError(
      `Account ${accountId} is the organization's management account; it cannot be closed from the portal`,
    );
  }
  let account: Account;
  try {
    account = await api.describeAccount(accountId);
  } catch (error) {
    if (error instanceof AccountNotFoundException) {
      throw new NotFoundError(
        `Account ${accountId} is not in this organization`,
      );
    }
    throw describeAwsError('DescribeAccount', error);
  }
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
  return account;
}

/**
 * Sends CloseAccount and returns what AWS answered; an answer that says the
 * account stays open is thrown.
 */
async function requestClose(
  { api, accountId, closeWaitSeconds }: Closing,
  logger: LoggerService,
): Promise<CloseAnswer> {
  try {
    await api.closeAccount(accountId);
    return { kind: 'accepted' };
  } catch (error) {
    if (
      error instanceof ConflictException ||
      error instanceof AccountAlreadyClosedException
    ) {
      // Ambiguous: a closure already under way (or done) — or a refusal
      // that leaves the account open. Only its state says.
      logger.warn(
        `AWS answered CloseAccount for account ${accountId} with ${error.name} (${error.message}); reading the account until it is SUSPENDED or PENDING_CLOSURE (at most ${closeWaitSeconds} s)`,
      );
      return {
        kind: error instanceof ConflictException ? 'refused' : 'already-closed',
        exception: error.name,
        message: error.message,
      };
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
}

/**
 * For a failure after `answer`: what AWS `said`, and what the caller is
 * `todo` about it.
 */
function closeMessages(
  answer: CloseAnswer,
  { accountId, consoleUrl }: Closing,
): { said: string; todo: string } {
  switch (answer.kind) {
    case 'refused':
      return {
        said: `AWS refused to close account ${accountId} (${answer.exception}: ${answer.message})`,
        todo: `Another change to the account may be under way in AWS Organizations (a closure or an update from the console or another task): check the account in the AWS console (${consoleUrl}) and, once that change is over, run this task again — it asks AWS to close the account again`,
      };
    case 'already-closed':
      return {
        said: `AWS answered CloseAccount for account ${accountId} with ${answer.exception} (${answer.message})`,
        todo: `Check the account in the AWS console (${consoleUrl}) and run this task again — it asks AWS to close the account again if it is still open`,
      };
    case 'accepted':
      return {
        said: `AWS accepted CloseAccount for account ${accountId}`,
        todo: `AWS may still be closing it: check the account in the AWS console (${consoleUrl}) and run this task again later — it reports the account's state, and asks AWS to close it again only if it is still open`,
      };
    default:
      return {
        said: `An earlier run of this task saw account ${accountId} closed`,
        todo: `This task will not ask AWS again: check the account in the AWS console (${consoleUrl}) and close it there, or start a new task`,
      };
  }
}

/**
 * The account is closed only once AWS says so: after CloseAccount —
 * whatever it answered — the account is read back until it is SUSPENDED or
 * PENDING_CLOSURE; returns that state. If it is not within
 * `closeWaitSeconds`, or cannot be read, this throws, before the catalog is
 * told anything.
 */
async function confirmClosed(
  closing: Closing,
  answer: CloseAnswer,
): Promise<string> {
  const deadline = new Deadline(closing.closeWaitSeconds * 1000);
  const { said, todo } = closeMessages(answer, closing);
  let state: string;
  try {
    state = await readUntilClosed(
      closing.api,
      closing.accountId,
      closing.poll,
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
}

/**
 * Closes the account unless an earlier run of this task saw it closed, and
 * returns its state as AWS reports it now — SUSPENDED or PENDING_CLOSURE —
 * or throws if AWS does not show it closed.
 */
async function closeAndConfirm(
  closing: Closing,
  ctx: {
    logger: LoggerService;
    checkpoint<T extends object>(opts: {
      key: string;
      fn: () => Promise<T>;
    }): Promise<T>;
  },
): Promise<string> {
  // Saved only once the account is seen closed: a run that failed here,
  // retried, asks AWS again rather than trusting an answer that did not
  // close the account. (`confirmed`: a checkpoint of the earlier key may
  // record a ConflictException that left the account open, and must not be
  // trusted.)
  await ctx.checkpoint<{ status: string }>({
    key: `aws.organizations.closeAccount.confirmed.${closing.accountId}`,
    fn: async () => ({
      status: await confirmClosed(
        closing,
        await requestClose(closing, ctx.logger),
      ),
    }),
  });
  // The state as it is now, also when the checkpoint was recorded by an
  // earlier run.
  return confirmClosed(closing, { kind: 'recorded' });
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
    schema: { input: closeInput, output: closeOutput },
    async handler(ctx) {
      const target = readTenantAccount(ctx.input);
      const { accountId, tenant } = target;
      if (ctx.input.confirm !== accountId) {
        throw new InputError(
          `To close account ${accountId}, set confirm to the account id itself; nothing was closed`,
        );
      }
      await authorizeAccountAction(options, ctx, target, {
        eventId: 'tenancy-aws-account-close',
        permission: awsAccountClosePermission,
      });

      try {
        const api = await organizationsApi(options.clients, timing, ctx.logger);
        const account = await ownedAccount(api, accountId, tenant);
        const links = consoleLinks(account.Arn ?? '', accountId);
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

        const closing: Closing = {
          api,
          accountId,
          poll: timing.poll,
          closeWaitSeconds,
          consoleUrl: links[0].url,
        };
        const status = await closeAndConfirm(closing, ctx);
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
