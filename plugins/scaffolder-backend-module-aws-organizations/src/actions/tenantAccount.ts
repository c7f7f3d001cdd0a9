import {
  AccountNotFoundException,
  TargetNotFoundException,
} from '@aws-sdk/client-organizations';
import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  accountConsoleUrl,
  AccessDeps,
  authorizeTenantAction,
  describeAwsError,
  OrganizationsApi,
  OrganizationsClientProvider,
  parseTenantRef,
  TAG_KEYS,
  validateAccountId,
  VendingTiming,
} from '@tenancy/plugin-tenancy-node';

/** A team's account as an action names it: both checked, before any call. */
export function readTenantAccount(input: {
  accountId: string;
  tenant: string;
}) {
  const accountId = validateAccountId(input.accountId);
  const tenantRef = parseTenantRef(input.tenant);
  return { accountId, tenantRef, tenant: stringifyEntityRef(tenantRef) };
}

/**
 * The access check of an action on one account of a team, audited with the
 * account id; returns the caller's credentials.
 */
export async function authorizeAccountAction(
  options: AccessDeps,
  ctx: {
    isDryRun?: boolean;
    getInitiatorCredentials(): Promise<BackstageCredentials>;
  },
  { accountId, tenantRef }: ReturnType<typeof readTenantAccount>,
  access: Pick<
    Parameters<typeof authorizeTenantAction>[1],
    'eventId' | 'permission'
  >,
): Promise<BackstageCredentials> {
  const credentials = await ctx.getInitiatorCredentials();
  await authorizeTenantAction(options, {
    ...access,
    credentials,
    tenant: tenantRef,
    meta: { accountId, dryRun: Boolean(ctx.isDryRun) },
  });
  return credentials;
}

/**
 * Checks that AWS tags the account as the tenant's: the catalog takes the
 * owner from that tag.
 */
export async function checkTenantTag(
  api: OrganizationsApi,
  accountId: string,
  tenant: string,
): Promise<void> {
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
}

/** AWS Organizations for one step, which logs to the step's log. */
export async function organizationsApi(
  clients: OrganizationsClientProvider,
  timing: VendingTiming,
  logger: LoggerService,
): Promise<OrganizationsApi> {
  return new OrganizationsApi(
    await clients.getClient(),
    timing,
    (level, message) => logger[level](message),
  );
}

/** The `links` output: the account in the AWS Organizations console. */
export function consoleLinks(arn: string, accountId: string) {
  return [
    {
      title: 'AWS Organizations console',
      url: accountConsoleUrl(arn, accountId),
    },
  ];
}
