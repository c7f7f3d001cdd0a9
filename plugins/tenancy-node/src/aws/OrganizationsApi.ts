import {
  Account,
  AccessDeniedException,
  AccessDeniedForDependencyException,
  AWSOrganizationsNotInUseException,
  CloseAccountCommand,
  CreateAccountCommand,
  CreateAccountState,
  CreateAccountStatus,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  DescribeOrganizationalUnitCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListCreateAccountStatusCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListTagsForResourceCommand,
  ListRootsCommand,
  MoveAccountCommand,
  Organization,
  OrganizationalUnitNotFoundException,
  OrganizationsClient,
  OrganizationsServiceException,
  TagResourceCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-organizations';
import {
  CustomErrorBase,
  ForwardedError,
  InputError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { Tag } from './validation';
import { jitteredDelay, sleep, VendingTiming } from './timing';
import { OuRef } from './validation';

/** An OU the account goes to: its id and its path of names below the root. @public */
export interface ResolvedOu {
  id: string;
  path: string;
}

/** Where progress and retries are reported: the task log. @public */
export type Log = (level: 'info' | 'warn', message: string) => void;

/** @public */
export function isAwsError(error: unknown, name: string): boolean {
  return error instanceof OrganizationsServiceException && error.name === name;
}

function isThrottle(error: unknown): boolean {
  return (
    error instanceof TooManyRequestsException ||
    isAwsError(error, 'ThrottlingException')
  );
}

/**
 * Every page of a listing. Stops when a NextToken comes back that was seen
 * before: an endpoint that does not advance (moto's ListCreateAccountStatus
 * answers the same token forever past 123 entries) must not turn a listing
 * into an endless loop.
 */
async function* pages<T extends { NextToken?: string }>(
  fetch: (nextToken?: string) => Promise<T>,
): AsyncGenerator<T> {
  const seen = new Set<string>();
  let token: string | undefined;
  for (;;) {
    const page = await fetch(token);
    yield page;
    token = page.NextToken;
    if (!token || seen.has(token)) return;
    seen.add(token);
  }
}

/**
 * A message for an AWS error that says what failed and what to do, without
 * anything from the request (no credentials, no signed headers): only the
 * exception's name and AWS's own message.
 * @public
 */
export function describeAwsError(operation: string, error: unknown): Error {
  if (error instanceof AccessDeniedForDependencyException) {
    return new NotAllowedError(
      `AWS Organizations needs its service-linked role (AWSServiceRoleForOrganizations) for ${operation}, and the portal's role may not create it: grant iam:CreateServiceLinkedRole for organizations.amazonaws.com once, as the plugin README shows`,
    );
  }
  if (error instanceof AccessDeniedException) {
    return new NotAllowedError(
      `AWS denied organizations:${operation} to the portal's role; grant it as the plugin README's IAM policy shows`,
    );
  }
  if (error instanceof AWSOrganizationsNotInUseException) {
    return new InputError(
      `The portal's AWS credentials are not those of an AWS Organizations management account (tenancy.aws.organizations.accountId): ${error.message}`,
    );
  }
  if (error instanceof OrganizationsServiceException) {
    return new ForwardedError(
      `AWS Organizations ${operation} failed with ${error.name}`,
      new Error(error.message),
    );
  }
  if (error instanceof CustomErrorBase) {
    // Already one of Backstage's errors, with an actionable message.
    return error;
  }
  return new ForwardedError(
    `AWS Organizations ${operation} failed`,
    error instanceof Error
      ? new Error(error.message)
      : new Error(String(error)),
  );
}

/**
 * For the actions' last line of defence: an SDK exception no step mapped
 * becomes an error naming it, with AWS's message and nothing else.
 * @public
 */
export function toActionError(error: unknown): unknown {
  return error instanceof OrganizationsServiceException
    ? describeAwsError('call', error)
    : error;
}

/**
 * The Organizations calls the actions make, each retried with jittered
 * exponential backoff while AWS throttles it and bounded by
 * `timing.throttle.attempts`. Everything else is raised as the SDK's
 * exception for the caller to map.
 * @public
 */
export class OrganizationsApi {
  constructor(
    private readonly client: OrganizationsClient,
    private readonly timing: VendingTiming,
    private readonly log: Log,
    private readonly random: () => number = Math.random,
  ) {}

  /** Runs one call (or one paginated listing) under the throttling policy. */
  async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const { attempts, baseMs, maxMs } = this.timing.throttle;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (
          error instanceof AccessDeniedException ||
          error instanceof AccessDeniedForDependencyException ||
          error instanceof AWSOrganizationsNotInUseException
        ) {
          throw describeAwsError(operation, error);
        }
        if (!isThrottle(error)) throw error;
        if (attempt + 1 >= attempts) {
          throw new ServiceUnavailableError(
            `AWS Organizations throttled ${operation} ${attempts} times in a row (TooManyRequestsException); nothing was lost — retry the task in a few minutes`,
          );
        }
        const delay = jitteredDelay(attempt, baseMs, maxMs, this.random);
        this.log(
          'warn',
          `AWS throttled ${operation} (TooManyRequestsException); retry ${
            attempt + 1
          } of ${attempts - 1} in ${delay} ms`,
        );
        await sleep(delay);
      }
    }
  }

  async describeOrganization(): Promise<Organization> {
    const res = await this.call('DescribeOrganization', () =>
      this.client.send(new DescribeOrganizationCommand({})),
    );
    if (!res.Organization?.Id) {
      throw new Error('DescribeOrganization returned no organization');
    }
    return res.Organization;
  }

  async rootId(): Promise<string> {
    const res = await this.call('ListRoots', () =>
      this.client.send(new ListRootsCommand({})),
    );
    const id = res.Roots?.[0]?.Id;
    if (!id) throw new Error('ListRoots returned no root');
    return id;
  }

  /**
   * The OU must exist before anything is created; an unknown one is an
   * input error.
   */
  async resolveOu(ref: OuRef): Promise<ResolvedOu> {
    const rootId = await this.rootId();
    if ('path' in ref) {
      let parent = rootId;
      for (const [i, name] of ref.path.entries()) {
        const found = await this.childOu(parent, name);
        if (!found) {
          const at = ref.path.slice(0, i).join('/') || 'the root';
          throw new InputError(
            `OU ${ref.path.join(
              '/',
            )} does not exist: there is no OU named "${name}" under ${at}`,
          );
        }
        parent = found;
      }
      return { id: parent, path: ref.path.join('/') };
    }

    const names: string[] = [];
    let current = ref.id;
    for (let depth = 0; depth < 6 && current !== rootId; depth++) {
      const ouId = current;
      try {
        const res = await this.call('DescribeOrganizationalUnit', () =>
          this.client.send(
            new DescribeOrganizationalUnitCommand({
              OrganizationalUnitId: ouId,
            }),
          ),
        );
        names.unshift(res.OrganizationalUnit?.Name ?? ouId);
      } catch (error) {
        if (error instanceof OrganizationalUnitNotFoundException) {
          throw new InputError(
            `OU ${ref.id} does not exist in this organization`,
          );
        }
        throw error;
      }
      current = await this.parentOf(ouId);
    }
    return { id: ref.id, path: names.join('/') };
  }

  private async childOu(
    parentId: string,
    name: string,
  ): Promise<string | undefined> {
    return this.call('ListOrganizationalUnitsForParent', async () => {
      for await (const page of pages(NextToken =>
        this.client.send(
          new ListOrganizationalUnitsForParentCommand({
            ParentId: parentId,
            NextToken,
          }),
        ),
      )) {
        const ou = page.OrganizationalUnits?.find(o => o.Name === name);
        if (ou?.Id) return ou.Id;
      }
      return undefined;
    });
  }

  /** The account with this address (case-insensitive), if the organization has one. */
  async findAccountByEmail(email: string): Promise<Account | undefined> {
    const wanted = email.toLowerCase();
    return this.call('ListAccounts', async () => {
      for await (const page of pages(NextToken =>
        this.client.send(new ListAccountsCommand({ NextToken })),
      )) {
        const found = page.Accounts?.find(
          a => a.Email?.toLowerCase() === wanted,
        );
        if (found) return found;
      }
      return undefined;
    });
  }

  async listAccounts(): Promise<Account[]> {
    return this.call('ListAccounts', async () => {
      const all: Account[] = [];
      for await (const page of pages(NextToken =>
        this.client.send(new ListAccountsCommand({ NextToken })),
      )) {
        all.push(...(page.Accounts ?? []));
      }
      return all;
    });
  }

  async describeAccount(accountId: string): Promise<Account> {
    const res = await this.call('DescribeAccount', () =>
      this.client.send(new DescribeAccountCommand({ AccountId: accountId })),
    );
    if (!res.Account?.Id)
      throw new Error('DescribeAccount returned no account');
    return res.Account;
  }

  async tagsOf(accountId: string): Promise<Record<string, string>> {
    return this.call('ListTagsForResource', async () => {
      const tags: Record<string, string> = {};
      for await (const page of pages(NextToken =>
        this.client.send(
          new ListTagsForResourceCommand({ ResourceId: accountId, NextToken }),
        ),
      )) {
        for (const t of page.Tags ?? []) {
          if (t.Key) tags[t.Key] = t.Value ?? '';
        }
      }
      return tags;
    });
  }

  async parentOf(childId: string): Promise<string> {
    const res = await this.call('ListParents', () =>
      this.client.send(new ListParentsCommand({ ChildId: childId })),
    );
    const id = res.Parents?.[0]?.Id;
    if (!id) throw new Error(`ListParents returned no parent for ${childId}`);
    return id;
  }

  /**
   * The name of the OU an account or OU is directly in, `Root` at the root
   * (DescribeOrganizationalUnit does not describe roots). `names` keeps the
   * OU names already read, by id, for the caller to share between calls —
   * the catalog provider, over one refresh.
   */
  async parentOuName(
    childId: string,
    names: Map<string, string> = new Map(),
  ): Promise<string> {
    const res = await this.call('ListParents', () =>
      this.client.send(new ListParentsCommand({ ChildId: childId })),
    );
    const parent = res.Parents?.[0];
    if (!parent?.Id) {
      throw new Error(`ListParents returned no parent for ${childId}`);
    }
    if (parent.Type === 'ROOT') return 'Root';
    const ouId = parent.Id;
    const known = names.get(ouId);
    if (known !== undefined) return known;
    const described = await this.call('DescribeOrganizationalUnit', () =>
      this.client.send(
        new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: ouId }),
      ),
    );
    const name = described.OrganizationalUnit?.Name || ouId;
    names.set(ouId, name);
    return name;
  }

  async createAccount(input: {
    email: string;
    accountName: string;
    roleName?: string;
    tags: Tag[];
  }): Promise<CreateAccountStatus> {
    const res = await this.call('CreateAccount', () =>
      this.client.send(
        new CreateAccountCommand({
          Email: input.email,
          AccountName: input.accountName,
          RoleName: input.roleName,
          Tags: input.tags,
        }),
      ),
    );
    if (!res.CreateAccountStatus?.Id) {
      throw new Error('CreateAccount returned no request id');
    }
    return res.CreateAccountStatus;
  }

  async describeCreateAccountStatus(
    requestId: string,
  ): Promise<CreateAccountStatus> {
    const res = await this.call('DescribeCreateAccountStatus', () =>
      this.client.send(
        new DescribeCreateAccountStatusCommand({
          CreateAccountRequestId: requestId,
        }),
      ),
    );
    if (!res.CreateAccountStatus) {
      throw new Error('DescribeCreateAccountStatus returned no status');
    }
    return res.CreateAccountStatus;
  }

  async listCreateAccountStatuses(
    states?: CreateAccountState[],
  ): Promise<CreateAccountStatus[]> {
    return this.call('ListCreateAccountStatus', async () => {
      const all: CreateAccountStatus[] = [];
      for await (const page of pages(NextToken =>
        this.client.send(
          new ListCreateAccountStatusCommand({ States: states, NextToken }),
        ),
      )) {
        all.push(...(page.CreateAccountStatuses ?? []));
      }
      return all;
    });
  }

  async moveAccount(
    accountId: string,
    sourceParentId: string,
    destinationParentId: string,
  ): Promise<void> {
    await this.call('MoveAccount', () =>
      this.client.send(
        new MoveAccountCommand({
          AccountId: accountId,
          SourceParentId: sourceParentId,
          DestinationParentId: destinationParentId,
        }),
      ),
    );
  }

  async tagResource(resourceId: string, tags: Tag[]): Promise<void> {
    await this.call('TagResource', () =>
      this.client.send(
        new TagResourceCommand({ ResourceId: resourceId, Tags: tags }),
      ),
    );
  }

  async closeAccount(accountId: string): Promise<void> {
    await this.call('CloseAccount', () =>
      this.client.send(new CloseAccountCommand({ AccountId: accountId })),
    );
  }
}
