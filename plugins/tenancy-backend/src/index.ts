/**
 * The Tenancy backend plugin: fleet, cluster, tenant and service-health views.
 *
 * @packageDocumentation
 */
export { tenancyPlugin as default } from './plugin';
export { FleetSnapshotService } from './service/FleetSnapshotService';
export type { FleetSnapshotOptions } from './service/FleetSnapshotService';
export { createRouter } from './service/router';
export { WorkloadPodReader } from './service/pods';
export type { WorkloadPodReaderOptions } from './service/pods';
export type { RouterOptions } from './service/router';
export { fleetView, readFleetOptions } from './fleet';
export type {
  ClusterSnapshot,
  FleetOptions,
  FleetSnapshot,
  PodSnapshot,
  WorkloadSnapshot,
} from './fleet';
