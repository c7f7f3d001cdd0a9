/**
 * Scaffolder actions that vend, register and close AWS accounts for tenants
 * through AWS Organizations. The catalog side (accounts as Resources) is
 * `@tenancy/plugin-catalog-backend-module-aws-organizations`; what both
 * share is in `@tenancy/plugin-tenancy-node`.
 *
 * @packageDocumentation
 */
export { scaffolderModuleAwsOrganizations as default } from './module';
export * from './actions';
export * from './permissions';
export type { VendingHooks } from './aws/AccountVendor';
export {
  AccountRequestStore,
  LostClaimError,
} from './database/AccountRequestStore';
export type {
  AccountRequest,
  ClaimResult,
  RequestState,
} from './database/AccountRequestStore';
