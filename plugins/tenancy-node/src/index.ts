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
export * from './permissions';
export { parseQuantity } from './quantity';
export { PLATFORM_GROUP, PLATFORM_USER, platformRbac } from './rbac';
export * from './aws';
