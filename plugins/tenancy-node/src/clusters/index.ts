export type {
  ClusterRegistry,
  TenancyCluster,
  TenancyClusterAuthProvider,
} from './types';
export {
  DefaultClusterRegistry,
  type DefaultClusterRegistryOptions,
} from './DefaultClusterRegistry';
export {
  DefaultEksTokenProvider,
  type DefaultEksTokenProviderOptions,
  type EksTokenProvider,
  type EksTokenRequest,
} from './EksTokenProvider';
export { makeKubeConfig, type KubeConfigOptions } from './kubeConfig';
export {
  StsRoleAssumer,
  type AwsCredentials,
  type AwsRoleAssumer,
} from './StsRoleAssumer';
