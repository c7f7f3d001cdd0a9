/**
 * The sandbox, programmatically: `up`/`down` for a test run's setup and
 * teardown, and `connectSandbox()` for tests, which hands each test isolated
 * fixtures (its own namespaces, its own AWS access key so fault rules do not
 * leak between tests) and cleans them up.
 */
export {
  blackholeCluster,
  down,
  isClusterBlackholed,
  readState,
  reset,
  restoreCluster,
  status,
  up,
} from './sandbox';
export type { UpOptions } from './sandbox';
export { mkdocsPath } from './techdocs';
export { kubectlBinary } from './binaries';
export type {
  SandboxClusterState,
  SandboxIdentity,
  SandboxState,
} from './types';
export { connectSandbox, SandboxFixtures } from './fixtures';
export type { SandboxCluster, SandboxGit } from './fixtures';
export {
  CLUSTERS,
  GIT_ORGS,
  SERVICES,
  TENANT_USERS,
  TENANT_LABEL,
} from './seedData';
export { GITEA_ADMIN, GITEA_TOKEN_SCOPES } from './gitea';
export type { SandboxGitState } from './gitea';
export type { Behaviour, SeedService } from './seedData';
export {
  PLATFORM_GROUP,
  PLATFORM_USER,
  platformRbac,
} from '@tenancy/plugin-tenancy-node';
export { applyAll, kubeConfigFor } from './kube';
export { FIXTURE_LABEL, fixtureNamespaceObjects } from './seed';
export type { FixtureNamespaceSpec } from './seed';
export { freePort, isPortFree } from './ports';
export * from './aws';
