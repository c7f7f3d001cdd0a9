import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  AWS_ACCOUNT_ID_ANNOTATION,
  AWS_ACCOUNT_RESOURCE_TYPE as RESOURCE_TYPE,
  TENANCY_ENVIRONMENT_ANNOTATION,
} from '@tenancy/plugin-tenancy-common';
import { parseTenantRef } from '../baseline/validation';
import { accountConsoleUrl, organizationIdOf } from './links';
import { TAG_KEYS } from './validation';

/**
 * Events topic on which the actions announce an account that was created,
 * registered or closed; the catalog's account provider refreshes it.
 * @public
 */
export const AWS_ACCOUNT_EVENT_TOPIC = 'tenancy.aws-organizations.account';

/** The `spec.type` of the Resource entities of vended accounts. @public */
export const AWS_ACCOUNT_RESOURCE_TYPE = RESOURCE_TYPE;

/** Annotation with the account id, as Backstage's AWS plugins name it. @public */
export const ANNOTATION_AWS_ACCOUNT_ID = AWS_ACCOUNT_ID_ANNOTATION;
/** @public */
export const ANNOTATION_AWS_ARN = 'amazonaws.com/arn';
/** @public */
export const ANNOTATION_AWS_ORGANIZATION_ID = 'amazonaws.com/organization-id';

/** Label with the account's status, lowercase (`active`), as Backstage's AWS module sets it. @public */
export const LABEL_AWS_ACCOUNT_STATUS = 'amazonaws.com/account-status';

/** Annotation with the name of the organizational unit the account is in (`Root` at the root). @public */
export const ANNOTATION_ORGANIZATIONAL_UNIT = 'tenancy.dev/organizational-unit';
/** Annotation with the account's `cost-centre` tag. @public */
export const ANNOTATION_COST_CENTRE = 'tenancy.dev/cost-centre';

/**
 * The account states in which a tenant's account is in the catalog: open,
 * and on its way out — PENDING_CLOSURE, then SUSPENDED for the post-closure
 * period — so that its team sees it closing instead of having it vanish
 * while AWS can still reopen it. CLOSED accounts, those AWS no longer lists
 * and those not activated yet are not.
 * @public
 */
export const CATALOG_ACCOUNT_STATES: ReadonlySet<string> = new Set([
  'ACTIVE',
  'PENDING_CLOSURE',
  'SUSPENDED',
]);

/** The catalog entity ref of an account's Resource. @public */
export function awsAccountEntityRef(accountId: string): string {
  return stringifyEntityRef({
    kind: 'Resource',
    namespace: 'default',
    name: `aws-account-${accountId}`,
  });
}

/** What the provider knows about one account. @public */
export interface AccountFacts {
  id: string;
  arn: string;
  name: string;
  /** ACTIVE, SUSPENDED, PENDING_CLOSURE, … */
  state: string;
  tags: Record<string, string>;
  /** The name of its organizational unit; absent when it could not be read. */
  organizationalUnit?: string;
}

/**
 * The group that owns the account's Resource, or undefined when the account
 * is not in the catalog: no valid `tenant` tag, or a state outside
 * {@link CATALOG_ACCOUNT_STATES}.
 * @public
 */
export function accountOwnerRef(
  account: Pick<AccountFacts, 'state' | 'tags'>,
): string | undefined {
  if (!CATALOG_ACCOUNT_STATES.has(account.state)) return undefined;
  const tenantTag = account.tags[TAG_KEYS.tenant];
  if (!tenantTag) return undefined;
  try {
    return stringifyEntityRef(parseTenantRef(tenantTag));
  } catch {
    return undefined;
  }
}

/**
 * The Resource entity for an account, or undefined when it has no owner
 * ({@link accountOwnerRef}).
 * @public
 */
export function accountToEntity(
  account: AccountFacts,
  locationKey: string,
): Entity | undefined {
  const owner = accountOwnerRef(account);
  if (!owner) return undefined;
  const annotations: Record<string, string> = {
    [ANNOTATION_LOCATION]: locationKey,
    [ANNOTATION_ORIGIN_LOCATION]: locationKey,
    [ANNOTATION_AWS_ACCOUNT_ID]: account.id,
    [ANNOTATION_AWS_ARN]: account.arn,
  };
  const organizationId = organizationIdOf(account.arn);
  if (organizationId) {
    annotations[ANNOTATION_AWS_ORGANIZATION_ID] = organizationId;
  }
  const fromTags = {
    [TENANCY_ENVIRONMENT_ANNOTATION]: account.tags[TAG_KEYS.environment],
    [ANNOTATION_COST_CENTRE]: account.tags[TAG_KEYS.costCentre],
  };
  for (const [annotation, value] of Object.entries(fromTags)) {
    if (value) annotations[annotation] = value;
  }
  if (account.organizationalUnit) {
    annotations[ANNOTATION_ORGANIZATIONAL_UNIT] = account.organizationalUnit;
  }
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: `aws-account-${account.id}`,
      title: account.name || account.id,
      description: `AWS account ${account.id}${
        account.name ? ` (${account.name})` : ''
      }, vended through AWS Organizations`,
      annotations,
      labels: {
        // The same label as Backstage's AWS Organizations processor; a
        // suspended account must not look like an active one.
        [LABEL_AWS_ACCOUNT_STATUS]: account.state.toLowerCase(),
      },
      tags: ['aws'],
      links: [
        {
          url: accountConsoleUrl(account.arn, account.id),
          title: 'AWS Organizations console',
        },
      ],
    },
    spec: {
      type: AWS_ACCOUNT_RESOURCE_TYPE,
      owner,
    },
  };
}
