/**
 * Catalog module that lists the tenants' AWS accounts — read from AWS
 * Organizations — as `Resource` entities of type `cloud-account`, owned by
 * their teams.
 *
 * @packageDocumentation
 */
export { catalogModuleAwsOrganizationsAccounts as default } from './module';
export { catalogModuleAwsOrganizationsAccounts } from './module';
export { AwsAccountEntityProvider } from './AwsAccountEntityProvider';
