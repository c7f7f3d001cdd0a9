import {
  Account,
  AccountNotFoundException,
  ChildNotFoundException,
  ConcurrentModificationException,
  ConstraintViolationException,
  CreateAccountStatus,
  CreateAccountStatusNotFoundException,
  DestinationParentNotFoundException,
  DuplicateAccountException,
  OrganizationsServiceException,
  SourceParentNotFoundException,
  TargetNotFoundException,
} from '@aws-sdk/client-organizations';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { JsonValue } from '@backstage/types';
import {
  AccountRequest,
  AccountRequestStore,
} from '../database/AccountRequestStore';
import { constraintViolation, createAccountFailure } from './failures';
import {
  AwsCallLog as Log,
  Deadline,
  describeAwsError,
  jitteredDelay,
  OrganizationsApi,
  ResolvedOu,
  Tag,
  TAG_KEYS,
  VendingTiming,
} from '@tenancy/plugin-tenancy-node';

/** A validated request for an account. */
export interface VendRequest {
  /** Lower-cased. */
  email: string;
  accountName: string;
  /** The owning group's entity ref. */
  tenant: string;
  ou: ResolvedOu;
  tags: Tag[];
  roleName?: string;
  /** Who holds the request while this run works on it: `<task id>/<step id>`. */
  owner: string;
}

export interface VendedAccount {
  accountId: string;
  arn: string;
  name: string;
  email: string;
  /** `created` by this run, or an `existing` account of the tenant returned as it is. */
  outcome: 'created' | 'existing';
  /** Whether this run moved the account into the OU. */
  moved: boolean;
}

export interface VendContext {
  log: Log;
  /** The scaffolder's checkpoint: a value saved once is returned on a rerun of the task instead of calling `fn` again. */
  checkpoint(key: string, fn: () => Promise<JsonValue>): Promise<JsonValue>;
  deadline: Deadline;
}

/**
 * Test seams. `afterCreateAccount` runs after CreateAccount returned and
 * before its request id is saved anywhere — where a crash hurts most: a
 * rerun must find the request, not send a second.
 * @public
 */
export interface VendingHooks {
  afterCreateAccount?(requestId: string): Promise<void>;
}

/** Clock skew tolerated between the database's write-ahead time and AWS's RequestedTimestamp. */
const CLOCK_SKEW_MS = 10 * 60 * 1000;

/**
 * The create flow. CreateAccount is asynchronous and has no idempotency
 * token, so everything here is about never sending a second request for an
 * address and never losing one that was sent:
 *
 * 1. Requests in flight under the same name are followed to the end and the
 *    address is looked up in the organization: an account of this tenant is
 *    returned, anyone else's refused; a rerun reports the first run's
 *    account.
 * 2. The address is claimed in the database (one task per address; others
 *    wait for its result).
 * 3. Whatever a previous holder left is recovered: its request id is
 *    followed; a write-ahead record without one means a crash right after
 *    CreateAccount, resolved by looking the request up by name.
 * 4. A concurrency slot is taken — queued while N requests are in progress
 *    across replicas, never failed — the write-ahead record is committed,
 *    and only then CreateAccount is sent; its request id goes to the
 *    scaffolder's checkpoint and the database.
 * 5. The request is polled with backoff under a deadline, staying
 *    resumable; its failure reason decides: bounded retries for
 *    INTERNAL_FAILURE, follow the request in flight for
 *    CONCURRENT_ACCOUNT_MODIFICATION, the existing account for
 *    EMAIL_ALREADY_EXISTS, a named limit, anything else verbatim.
 * 6. The account is moved into the OU (already there counts as done) and
 *    tagged, retried while AWS does not know it yet.
 */
export class AccountVendor {
  constructor(
    private readonly api: OrganizationsApi,
    private readonly store: AccountRequestStore,
    private readonly options: {
      maxConcurrentCreates: number;
      timing: VendingTiming;
      hooks?: VendingHooks;
      random?: () => number;
    },
  ) {}

  async vend(req: VendRequest, ctx: VendContext): Promise<VendedAccount> {
    // A rerun of the same step goes straight back to its own request.
    const own = await this.store.get(req.email);
    if (own?.owner !== req.owner) {
      const existing = await this.settleAndFind(
        req,
        ctx,
        s => s.AccountName === req.accountName,
      );
      if (existing) return this.adopt(existing, req, ctx, 'existing');
    }

    const claim = await this.claim(req, ctx);
    return this.createClaimed(req, claim, ctx);
  }

  /**
   * Read-only look at what a run would do (dry run): the existing account it
   * would return, or the refusal it would raise.
   */
  async check(
    req: Omit<VendRequest, 'owner'>,
  ): Promise<{ existing?: Account; inFlight: number }> {
    const existing = await this.api.findAccountByEmail(req.email);
    if (existing) {
      await this.checkOwnership(existing, req);
    }
    const row = await this.store.get(req.email);
    if (
      row &&
      row.tenant !== req.tenant &&
      row.state !== 'failed' &&
      !(row.state === 'queued' && row.leaseExpiresAt < Date.now())
    ) {
      throw this.foreignRequest(req.email, row);
    }
    const inFlight = (
      await this.api.listCreateAccountStatuses(['IN_PROGRESS'])
    ).filter(s => s.AccountName === req.accountName).length;
    return { existing, inFlight };
  }

  private async claim(req: VendRequest, ctx: VendContext) {
    const { timing } = this.options;
    let waiting = false;
    for (;;) {
      const result = await this.store.tryClaim({
        email: req.email,
        tenant: req.tenant,
        accountName: req.accountName,
        owner: req.owner,
        leaseMs: timing.leaseMs,
      });
      if (result.claimed) return result;
      const holder = result.holder;
      if (holder.tenant !== req.tenant) {
        throw this.foreignRequest(req.email, holder);
      }
      if (!waiting) {
        ctx.log(
          'info',
          `Another task (${holder.owner}) is already creating an account for ${req.email}; waiting for its result instead of sending a second request`,
        );
        waiting = true;
      }
      if (ctx.deadline.passed()) {
        throw new ServiceUnavailableError(
          `Another task (${holder.owner}) was still creating the account for ${
            req.email
          } after ${ctx.deadline.describe()}; retry this task later to get its result`,
        );
      }
      await ctx.deadline.sleep(timing.queueIntervalMs);
    }
  }

  private foreignRequest(email: string, row: AccountRequest): Error {
    return new ConflictError(
      `${email} is already used by a request of another team (${row.tenant}, ${row.state}); an address can belong to only one AWS account — choose another address`,
    );
  }

  private async createClaimed(
    req: VendRequest,
    claim: { row: AccountRequest; previous?: AccountRequest },
    ctx: VendContext,
  ): Promise<VendedAccount> {
    const { previous } = claim;
    // An account this step itself requested (in an earlier, interrupted run) counts as created by it.
    const ours = previous?.owner === req.owner ? 'created' : 'existing';
    let requestId: string | undefined;

    if (previous?.accountId) {
      ctx.log(
        'info',
        `Account ${previous.accountId} was already created for ${req.email}; finishing it`,
      );
      const account = await this.settled('DescribeAccount', () =>
        this.api.describeAccount(previous.accountId!),
      );
      return this.adopt(account, req, ctx, ours);
    }
    if (previous?.state === 'creating' && previous.requestId) {
      ctx.log(
        'info',
        `Resuming account request ${previous.requestId} for ${req.email}`,
      );
      requestId = previous.requestId;
    } else if (previous?.state === 'creating') {
      // The write-ahead record is there but the request id is not — a
      // crash between CreateAccount and saving its id. Find the request
      // by the name it was sent with before sending another.
      ctx.log(
        'info',
        `A previous run may have sent CreateAccount for ${req.email} without recording it; looking the request up by name before anything else`,
      );
      const since =
        (previous.attemptStartedAt ?? previous.updatedAt) - CLOCK_SKEW_MS;
      const found = await this.settleAndFind(
        req,
        ctx,
        s =>
          s.AccountName === previous.accountName &&
          (s.RequestedTimestamp?.getTime() ?? Infinity) >= since,
      );
      if (found) return this.adopt(found, req, ctx, ours);
    } else if (previous) {
      // Another task may have finished this address since the first look.
      const found = await this.api.findAccountByEmail(req.email);
      if (found) return this.adopt(found, req, ctx, 'existing');
    }

    let internalRetries = this.options.timing.internalFailureRetries;
    for (;;) {
      if (!requestId) {
        await this.waitForSlot(req, ctx);
        requestId = await this.startRequest(req, ctx);
      }
      const status = await this.poll(requestId, ctx, () =>
        this.store.renew(req.email, req.owner, this.options.timing.leaseMs),
      );

      if (status.State === 'SUCCEEDED' && status.AccountId) {
        const accountId = status.AccountId;
        await this.store.markCreated(req.email, req.owner, accountId);
        ctx.log('info', `AWS created account ${accountId} for ${req.email}`);
        const account = await this.settled('DescribeAccount', () =>
          this.api.describeAccount(accountId),
        );
        const moved = await this.place(accountId, req, ctx);
        await this.store.markDone(req.email, req.owner, accountId);
        return this.result(account, 'created', moved);
      }

      const reason = status.FailureReason ?? `${status.State ?? 'UNKNOWN'}`;
      const failedId = requestId;
      requestId = undefined;
      const retry = reason === 'INTERNAL_FAILURE' && internalRetries > 0;
      // Either way the slot is freed; a retry keeps the address claimed.
      await (retry
        ? this.store.markRetry(req.email, req.owner, reason)
        : this.store.markFailed(req.email, req.owner, reason));
      switch (reason) {
        case 'INTERNAL_FAILURE': {
          // INTERNAL_FAILURE: nothing was created; a new request is safe, a bounded number of times.
          if (retry) {
            internalRetries--;
            const delay = jitteredDelay(
              this.options.timing.internalFailureRetries - internalRetries,
              this.options.timing.settle.baseMs,
              this.options.timing.settle.maxMs,
              this.options.random,
            );
            ctx.log(
              'warn',
              `AWS failed request ${failedId} with INTERNAL_FAILURE (nothing was created); sending a new request in ${delay} ms (${internalRetries} more allowed)`,
            );
            await ctx.deadline.sleep(delay);
            continue;
          }
          throw new ServiceUnavailableError(
            `AWS failed to create the account for ${
              req.email
            } with INTERNAL_FAILURE ${
              this.options.timing.internalFailureRetries + 1
            } times in a row; nothing was created — retry the task later`,
          );
        }
        case 'EMAIL_ALREADY_EXISTS': {
          // The address is taken: name the account that has it; never retried.
          const found = await this.api.findAccountByEmail(req.email);
          if (found) return this.adopt(found, req, ctx, 'existing');
          throw new ConflictError(
            `AWS refused ${req.email} (EMAIL_ALREADY_EXISTS): an AWS account outside this organization already uses this address, and every AWS account needs its own. Choose another address; the request is not retried`,
          );
        }
        case 'CONCURRENT_ACCOUNT_MODIFICATION': {
          // Another request is in flight; follow it, never send a second one.
          ctx.log(
            'info',
            `AWS answered CONCURRENT_ACCOUNT_MODIFICATION for ${req.email}: following the requests in flight instead of sending another CreateAccount`,
          );
          const found = await this.settleAndFind(
            req,
            ctx,
            s => s.Id !== failedId,
          );
          if (found) return this.adopt(found, req, ctx, 'existing');
          throw new ConflictError(
            `AWS answered CONCURRENT_ACCOUNT_MODIFICATION for ${req.email}, but no account with this address appeared once the requests in flight had finished. Nothing was created and no second request was sent; retry the task`,
          );
        }
        default:
          throw createAccountFailure(req.email, reason);
      }
    }
  }

  /** Waits (queued, not failed) for one of the organization-wide CreateAccount slots. */
  private async waitForSlot(req: VendRequest, ctx: VendContext) {
    const { timing, maxConcurrentCreates } = this.options;
    let queued = false;
    for (;;) {
      if (
        await this.store.tryTakeSlot(
          req.email,
          req.owner,
          maxConcurrentCreates,
          timing.leaseMs,
        )
      ) {
        if (queued) ctx.log('info', 'A slot is free; creating the account now');
        return;
      }
      if (!queued) {
        ctx.log(
          'info',
          `Queued: ${maxConcurrentCreates} account creation(s) are already in progress in the organization (tenancy.aws.organizations.maxConcurrentCreates); waiting for one to finish`,
        );
        queued = true;
      }
      await this.store.renew(req.email, req.owner, timing.leaseMs);
      if (ctx.deadline.passed()) {
        await this.store.release(req.email, req.owner);
        throw new ServiceUnavailableError(
          `Still queued after ${ctx.deadline.describe()}: ${maxConcurrentCreates} account creation(s) were in progress the whole time. Nothing was created; retry the task later`,
        );
      }
      await ctx.deadline.sleep(timing.queueIntervalMs);
    }
  }

  /** Commits the write-ahead record, then sends CreateAccount once. */
  private async startRequest(
    req: VendRequest,
    ctx: VendContext,
  ): Promise<string> {
    const row = await this.store.beginAttempt(
      req.email,
      req.owner,
      this.options.timing.leaseMs,
    );
    const saved = await ctx.checkpoint(
      `aws.organizations.createAccount.${req.email}.${row.attempt}`,
      async () => {
        let status: CreateAccountStatus;
        try {
          status = await this.api.createAccount(req);
        } catch (error) {
          throw await this.createAccountError(req, error);
        }
        const id = status.Id!;
        await this.options.hooks?.afterCreateAccount?.(id);
        await this.store.saveRequestId(req.email, req.owner, id);
        return id;
      },
    );
    const requestId = String(saved);
    // A checkpoint saved by an earlier run of this task is returned without
    // calling CreateAccount: make sure the database knows it too.
    await this.store.saveRequestId(req.email, req.owner, requestId);
    ctx.log(
      'info',
      `CreateAccount accepted for ${req.email}: request ${requestId}`,
    );
    return requestId;
  }

  private async createAccountError(
    req: VendRequest,
    error: unknown,
  ): Promise<Error> {
    if (error instanceof ServiceUnavailableError) {
      // Throttled on every attempt: AWS never accepted the request.
      await this.store.markFailed(req.email, req.owner, 'throttled');
      return error;
    }
    if (error instanceof NotAllowedError || error instanceof InputError) {
      // Access denied, or not a management account: refused, nothing created.
      await this.store.markFailed(req.email, req.owner, error.name);
      return error;
    }
    if (error instanceof ConstraintViolationException) {
      await this.store.markFailed(req.email, req.owner, 'limit');
      return constraintViolation(req.email, error.Reason, error.message);
    }
    if (
      error instanceof OrganizationsServiceException &&
      error.$fault === 'client'
    ) {
      // AWS rejected the request: nothing was created.
      await this.store.markFailed(req.email, req.owner, error.name);
      if (error.name === 'InvalidInputException') {
        return new InputError(
          `AWS rejected the account request: ${error.message}`,
        );
      }
      return describeAwsError('CreateAccount', error);
    }
    // No answer or a server error: the request may or may not have been
    // accepted. The write-ahead record stays; the next run looks it up.
    return describeAwsError('CreateAccount', error);
  }

  /**
   * DescribeCreateAccountStatus until the request leaves IN_PROGRESS,
   * with exponential backoff, under the run's deadline. Past the deadline
   * the run fails with a resumable error: the request id is saved, so a
   * rerun continues polling the same request.
   */
  private async poll(
    requestId: string,
    ctx: VendContext,
    onWait?: () => Promise<void>,
  ): Promise<CreateAccountStatus> {
    const { poll } = this.options.timing;
    let delay = poll.initialMs;
    for (let polls = 1; ; polls++) {
      let status: CreateAccountStatus;
      try {
        status = await this.api.describeCreateAccountStatus(requestId);
      } catch (error) {
        if (error instanceof CreateAccountStatusNotFoundException) {
          throw new ConflictError(
            `AWS does not know account request ${requestId} (CreateAccountStatusNotFoundException); check the organization's accounts before retrying`,
          );
        }
        throw describeAwsError('DescribeCreateAccountStatus', error);
      }
      if (status.State !== 'IN_PROGRESS') return status;
      await onWait?.();
      if (ctx.deadline.passed()) {
        throw new ServiceUnavailableError(
          `AWS was still creating the account (request ${requestId} IN_PROGRESS) after ${ctx.deadline.describe()}. Nothing is lost: retry the task to resume waiting for this request — no second account will be requested`,
        );
      }
      if (polls === 1 || polls % 5 === 0) {
        ctx.log(
          'info',
          `Request ${requestId} is IN_PROGRESS; checking again in ${delay} ms`,
        );
      }
      await ctx.deadline.sleep(delay);
      delay = Math.min(delay * 2, poll.maxMs);
    }
  }

  /**
   * Follows the requests in flight that `filter` selects to their end, then
   * looks the address up: what they created may be this address's account.
   */
  private async settleAndFind(
    req: Pick<VendRequest, 'email' | 'accountName'>,
    ctx: VendContext,
    filter: (status: CreateAccountStatus) => boolean,
  ): Promise<Account | undefined> {
    const inFlight = (
      await this.api.listCreateAccountStatuses(['IN_PROGRESS'])
    ).filter(s => s.Id && filter(s));
    if (inFlight.length > 0) {
      ctx.log(
        'info',
        `Following ${
          inFlight.length
        } account request(s) already in progress (${inFlight
          .map(s => `${s.Id} "${s.AccountName}"`)
          .join(', ')}) — one may be for ${req.email}`,
      );
      for (const s of inFlight) {
        await this.poll(s.Id!, ctx);
      }
    }
    return this.api.findAccountByEmail(req.email);
  }

  private async checkOwnership(
    account: Account,
    req: Pick<VendRequest, 'email' | 'tenant'>,
  ): Promise<void> {
    const tags = await this.settled('ListTagsForResource', () =>
      this.api.tagsOf(account.Id!),
    );
    const owner = tags[TAG_KEYS.tenant];
    if (owner !== req.tenant) {
      throw new ConflictError(
        `${req.email} already belongs to AWS account ${account.Id} ("${
          account.Name
        }"), ${
          owner ? `owned by ${owner}` : 'which carries no tenant tag'
        }; an address can be used by only one AWS account — choose another address. Not retried`,
      );
    }
    const state = account.State ?? account.Status;
    if (state && state !== 'ACTIVE') {
      throw new ConflictError(
        `${req.email} belongs to ${req.tenant}'s AWS account ${account.Id}, which is ${state}; a closed account cannot be reused — choose another address`,
      );
    }
  }

  /** The address already has an account: this tenant's is returned (and finished), anyone else's refused. */
  private async adopt(
    account: Account,
    req: VendRequest,
    ctx: VendContext,
    outcome: VendedAccount['outcome'],
  ): Promise<VendedAccount> {
    await this.checkOwnership(account, req);
    const accountId = account.Id!;
    const [parent, rootId] = await Promise.all([
      this.settled('ListParents', () => this.api.parentOf(accountId)),
      this.api.rootId(),
    ]);
    if (parent !== req.ou.id && parent !== rootId) {
      throw new ConflictError(
        `${req.email} already belongs to ${req.tenant}'s AWS account ${accountId}, which is in another OU (${parent}) than ${req.ou.path} (${req.ou.id}); move it in AWS Organizations or choose another address`,
      );
    }
    ctx.log(
      'info',
      outcome === 'created'
        ? `Found account ${accountId}, which this step requested, for ${req.email}; finishing it`
        : `${req.email} already belongs to ${req.tenant}'s account ${accountId}; returning it`,
    );
    const moved = await this.place(accountId, req, ctx);
    await this.store.recordExisting(req.email, req.tenant, accountId);
    return this.result(account, outcome, moved);
  }

  /** Into the OU (already there counts as done) and tagged, retried while the new account is not usable yet. */
  private async place(
    accountId: string,
    req: VendRequest,
    ctx: VendContext,
  ): Promise<boolean> {
    // Each AWS write in a checkpoint: a recovered task does not send it again.
    let ranMove = false;
    const { moved } = (await ctx.checkpoint(
      `aws.organizations.moveAccount.${accountId}.${req.ou.id}`,
      async () => {
        ranMove = true;
        return {
          moved: await this.settled('MoveAccount', async () => {
            const parent = await this.api.parentOf(accountId);
            if (parent === req.ou.id) return false;
            try {
              await this.api.moveAccount(accountId, parent, req.ou.id);
            } catch (error) {
              if (error instanceof DuplicateAccountException) return false;
              if (error instanceof DestinationParentNotFoundException) {
                throw new InputError(
                  `OU ${req.ou.path} (${req.ou.id}) no longer exists; account ${accountId} stays where it is`,
                );
              }
              throw error;
            }
            return true;
          }),
        };
      },
    )) as { moved: boolean };
    if (moved && ranMove)
      ctx.log('info', `Moved account ${accountId} into ${req.ou.path}`);
    let ranTag = false;
    await ctx.checkpoint(
      `aws.organizations.tagResource.${accountId}`,
      async () => {
        ranTag = true;
        await this.settled('TagResource', () =>
          this.api.tagResource(accountId, req.tags),
        );
        return { tagged: true };
      },
    );
    ctx.log(
      'info',
      ranTag
        ? `Tagged account ${accountId}: ${req.tags.map(t => t.Key).join(', ')}`
        : `Account ${accountId} was moved and tagged before the task was interrupted; not sent again`,
    );
    return moved;
  }

  /**
   * A call on an account AWS has just created may fail while the
   * account is not usable yet; retried with jittered backoff, bounded.
   */
  private async settled<T>(
    operation: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    const { attempts, baseMs, maxMs } = this.options.timing.settle;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        const notYet =
          error instanceof AccountNotFoundException ||
          error instanceof TargetNotFoundException ||
          error instanceof ChildNotFoundException ||
          error instanceof SourceParentNotFoundException ||
          error instanceof ConcurrentModificationException;
        if (!notYet) {
          throw error instanceof OrganizationsServiceException
            ? describeAwsError(operation, error)
            : error;
        }
        if (attempt + 1 >= attempts) {
          throw new ServiceUnavailableError(
            `AWS Organizations ${operation} kept failing with ${
              (error as Error).name
            } after ${attempts} attempts; the account exists — retry the task to finish it`,
          );
        }
        await new Promise(resolve =>
          setTimeout(
            resolve,
            jitteredDelay(attempt, baseMs, maxMs, this.options.random),
          ),
        );
      }
    }
  }

  private result(
    account: Account,
    outcome: VendedAccount['outcome'],
    moved: boolean,
  ): VendedAccount {
    return {
      accountId: account.Id!,
      arn: account.Arn!,
      name: account.Name ?? '',
      email: account.Email ?? '',
      outcome,
      moved,
    };
  }
}
