import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The fleet page, the plugin's root. @public */
export const rootRouteRef = createRouteRef();

/** One cluster's namespaces. @public */
export const clusterRouteRef = createRouteRef({ params: ['name'] });

/** A team's tenancy outside the catalog's entity page. @public */
export const tenantRouteRef = createRouteRef({
  params: ['namespace', 'name'],
});
