/**
 * Catalog module that lists the tenant clusters and namespaces as
 * `Resource` entities — `kubernetes-cluster` owned by the platform team,
 * `kubernetes-namespace` owned by each tenant — and relates services to the
 * namespaces their workloads run in.
 *
 * @packageDocumentation
 */
export { catalogModuleTenancy as default } from './module';
export { catalogModuleTenancy } from './module';
export { TenancyEntityProvider } from './TenancyEntityProvider';
export type {
  TenancyEntityProviderOptions,
  TenancyRefreshResult,
} from './TenancyEntityProvider';
export { WorkloadNamespaceProcessor } from './WorkloadNamespaceProcessor';
export { WorkloadIndexStore } from './state';
export type { WorkloadIndex } from './entities';
export { namespaceEntityName, clusterEntityName } from './entities';
export { catalogModuleTenancyLocations } from './locationsModule';
