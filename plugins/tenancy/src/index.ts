/**
 * The Tenancy frontend plugin (new frontend system): fleet, cluster and team
 * pages, service health and troubleshooting on entity pages, and widgets for
 * the developer home.
 *
 * @packageDocumentation
 */
export { tenancyPlugin as default } from './plugin';
export { tenancyKubernetesTabModule } from './plugin';
export { tenancyApiRef } from './api';
export { clusterRouteRef, rootRouteRef, tenantRouteRef } from './routes';
