import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  AWS_ACCOUNT_ID_ANNOTATION,
  TENANCY_ENVIRONMENT_ANNOTATION,
  TenantAccount,
} from '@tenancy/plugin-tenancy-common';
import {
  ANNOTATION_COST_CENTRE,
  ANNOTATION_ORGANIZATIONAL_UNIT,
  isAwsConsoleUrl,
  LABEL_AWS_ACCOUNT_STATUS,
} from '@tenancy/plugin-tenancy-node';

/**
 * An account Resource as the team page shows it. The console link is the
 * entity's first link to the AWS console over https: a Resource from
 * another location can carry any link, and the page renders it as a link.
 */
export function tenantAccountOf(entity: Entity): TenantAccount {
  const annotations = entity.metadata.annotations ?? {};
  return {
    entityRef: stringifyEntityRef(entity),
    title: entity.metadata.title,
    accountId: annotations[AWS_ACCOUNT_ID_ANNOTATION],
    state: entity.metadata.labels?.[LABEL_AWS_ACCOUNT_STATUS]?.toUpperCase(),
    organizationalUnit: annotations[ANNOTATION_ORGANIZATIONAL_UNIT],
    environment: annotations[TENANCY_ENVIRONMENT_ANNOTATION],
    costCentre: annotations[ANNOTATION_COST_CENTRE],
    consoleUrl: entity.metadata.links?.find(link => isAwsConsoleUrl(link.url))
      ?.url,
  };
}
