/**
 * Backend library of Tenancy: the cluster registry, environments, and the
 * tenant baseline (renderer, validation, server-side apply).
 *
 * @packageDocumentation
 */
export * from './baseline';
export * from './clusters';
export * from './environments';
export { apiMessage, statusOf, withAbortSignal } from './kube';
export { listAll } from './list';

/**
 * Events topic on which the suite's actions announce a namespace they
 * onboarded or offboarded (payload `{ namespace, clusters }`); the catalog's
 * namespace provider refreshes at once.
 * @public
 */
export const TENANCY_NAMESPACE_EVENT_TOPIC = 'tenancy.namespace';
export * from './permissions';
export { parseQuantity } from './quantity';
export { PLATFORM_GROUP, PLATFORM_USER, platformRbac } from './rbac';
export * from './aws';
export * from './actions';
