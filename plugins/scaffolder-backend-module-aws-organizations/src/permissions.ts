import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Vend an AWS account for a team (and register it in the catalog). Members
 * of the team need it for their own team; acting for another team also
 * needs `tenancy.platform.admin`.
 * @public
 */
export const awsAccountCreatePermission = createPermission({
  name: 'tenancy.aws.account.create',
  attributes: { action: 'create' },
});

/** Close a team's AWS account. @public */
export const awsAccountClosePermission = createPermission({
  name: 'tenancy.aws.account.close',
  attributes: { action: 'delete' },
});

/** The permissions of this module, for the permissions registry. @public */
export const awsOrganizationsPermissions = [
  awsAccountCreatePermission,
  awsAccountClosePermission,
];
