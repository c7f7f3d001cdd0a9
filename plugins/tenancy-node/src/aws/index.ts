// What both AWS Organizations modules share — the scaffolder actions that
// vend, register and close accounts, and the catalog module that lists them:
// config, the rate-limited Organizations client, timing, input validation,
// and the account → catalog entity mapping.
export {
  CONFIG_KEY as AWS_ORGANIZATIONS_CONFIG_KEY,
  OrganizationsClientProvider,
  readAwsOrganizationsConfig,
} from './config';
export type { AwsOrganizationsConfig } from './config';
export {
  describeAwsError,
  isAwsError,
  OrganizationsApi,
  toActionError,
} from './OrganizationsApi';
export type { Log as AwsCallLog, ResolvedOu } from './OrganizationsApi';
export {
  Deadline,
  DEFAULT_TIMING,
  jitteredDelay,
  resolveTiming,
} from './timing';
export type { VendingTiming, VendingTimingOverrides } from './timing';
export { accountConsoleUrl, isAwsConsoleUrl, organizationIdOf } from './links';
export {
  buildTags,
  MAX_TAGS,
  parseOuRef,
  TAG_KEYS,
  validateAccountId,
  validateAccountName,
  validateEmail,
  validateRoleName,
} from './validation';
export type { OuRef, Tag } from './validation';
export {
  accountOwnerRef,
  accountToEntity,
  ANNOTATION_AWS_ACCOUNT_ID,
  ANNOTATION_AWS_ARN,
  ANNOTATION_AWS_ORGANIZATION_ID,
  ANNOTATION_COST_CENTRE,
  ANNOTATION_ORGANIZATIONAL_UNIT,
  CATALOG_ACCOUNT_STATES,
  LABEL_AWS_ACCOUNT_STATUS,
  AWS_ACCOUNT_EVENT_TOPIC,
  AWS_ACCOUNT_RESOURCE_TYPE,
  awsAccountEntityRef,
} from './entity';
export type { AccountFacts } from './entity';
