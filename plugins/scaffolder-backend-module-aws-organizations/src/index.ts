/**
 * Scaffolder actions that vend, register and close AWS accounts for tenants
 * through AWS Organizations, and the catalog module that lists the vended
 * accounts as Resources.
 *
 * @packageDocumentation
 */
export { scaffolderModuleAwsOrganizations as default } from './module';
export { catalogModuleAwsOrganizationsAccounts } from './catalogModule';
export * from './actions';
export * from './permissions';
export { AwsAccountEntityProvider } from './catalog/AwsAccountEntityProvider';
export {
  AWS_ACCOUNT_EVENT_TOPIC,
  AWS_ACCOUNT_RESOURCE_TYPE,
  ANNOTATION_AWS_ACCOUNT_ID,
  ANNOTATION_AWS_ARN,
  ANNOTATION_AWS_ORGANIZATION_ID,
  awsAccountEntityRef,
} from './catalog/entity';
export {
  OrganizationsClientProvider,
  readAwsOrganizationsConfig,
} from './aws/config';
export type { AwsOrganizationsConfig } from './aws/config';
export { TAG_KEYS } from './aws/validation';
export type { VendingHooks } from './aws/AccountVendor';
export type { VendingTiming, VendingTimingOverrides } from './aws/timing';
export { AccountRequestStore } from './database/AccountRequestStore';
