/**
 * The Tenancy frontend plugin (new frontend system): fleet, cluster and team
 * pages, and service health on entity pages.
 *
 * @packageDocumentation
 */
export { tenancyPlugin as default } from './plugin';
export { tenancyApiRef } from './api';
export { clusterRouteRef, rootRouteRef, tenantRouteRef } from './routes';
