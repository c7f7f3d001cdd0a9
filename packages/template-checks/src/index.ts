/**
 * Checks for software templates — parses, Template schema, registered
 * actions, existing parameters, platform values, skeleton renders, dry run on a real test
 * backend — as a library (`runChecks`, the single checks) and as the
 * `tenancy-template-checks` command (src/cli.ts).
 */
export { runChecks, checkTemplate, sandboxConfig, repoRoot } from './run';
export type { RunOptions } from './run';
export { CheckBackend } from './backend';
export { checkParses } from './checks/parse';
export { checkSchema } from './checks/schema';
export { checkVersion, VERSION_ANNOTATION } from './checks/version';
export { checkActions } from './checks/actions';
export { checkParameters, parameterNames } from './checks/parameters';
export {
  checkPlatformValues,
  platformChoices,
  platformFields,
  ENVIRONMENT_FIELD,
  SIZE_FIELD,
} from './checks/platform';
export type { PlatformConfig, PlatformField } from './checks/platform';
export { checkSkeleton, skeletonSteps } from './checks/skeleton';
export { dryRunTemplate, templateDirectoryContents } from './checks/dryRun';
export { sampleValues, VALUES_FILE } from './values';
export { discoverTemplates } from './discover';
export { YamlSource } from './source';
export { formatFinding, formatTemplate, formatSummary } from './report';
export * from './types';
export { PortalTarget } from './portal';
export type { PortalOptions } from './portal';
