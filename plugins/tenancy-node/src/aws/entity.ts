import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  AWS_ACCOUNT_ID_ANNOTATION,
  AWS_ACCOUNT_RESOURCE_TYPE as RESOURCE_TYPE,
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
}

/**
 * The Resource entity for an account, or undefined when the account is not
 * a tenant's: no valid `tenant` tag, or not active (closed accounts leave
 * the catalog).
 * @public
 */
export function accountToEntity(
  account: AccountFacts,
  locationKey: string,
): Entity | undefined {
  if (account.state !== 'ACTIVE') return undefined;
  const tenantTag = account.tags[TAG_KEYS.tenant];
  if (!tenantTag) return undefined;
  let owner: string;
  try {
    owner = stringifyEntityRef(parseTenantRef(tenantTag));
  } catch {
    return undefined;
  }
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
  for (const key of [TAG_KEYS.environment, TAG_KEYS.costCentre]) {
    if (account.tags[key]) {
      annotations[`tenancy.dev/${key}`] = account.tags[key];
    }
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
        // The same label as Backstage's AWS Organizations processor.
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
