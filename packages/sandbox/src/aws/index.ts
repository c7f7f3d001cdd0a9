export {
  MOTO_VERSION,
  ensureMoto,
  startMoto,
  stopMoto,
  type EnsureMotoOptions,
  type LogFn,
  type MotoProcess,
  type StartMotoOptions,
} from './moto';
export {
  accessKeyIdFrom,
  createFaultLayer,
  type FaultLayer,
  type FaultLayerOptions,
} from './faultLayer';
export {
  FAULTS_PATH,
  FaultClient,
  FaultClientError,
  FaultRuleError,
  describeFaultRule,
  parseFaultRule,
  type ActiveFaultRule,
  type CreateAccountFailureRule,
  type CreateAccountInProgressRule,
  type ErrorRule,
  type FakedCreateAccountRequest,
  type FaultListing,
  type FaultMatch,
  type FaultRule,
  type FaultRuleCommon,
} from './faults';
export {
  SANDBOX_CREDENTIALS,
  SANDBOX_ENVIRONMENT_OUS,
  SANDBOX_REGION,
  SEED_OU_PATHS,
  seedOrganization,
  type OrganizationSeed,
  type SeedOrganizationOptions,
} from './organization';
export { registerAwsCommands, type AwsCliOutput } from './cli';
