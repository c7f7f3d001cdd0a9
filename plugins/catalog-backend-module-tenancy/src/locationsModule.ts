import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { createLocationGuard } from './locationGuard';

/**
 * Lets a team member unregister (or retarget) a catalog location only when
 * their teams own every entity it produced: Tenancy's permission policy
 * keeps `catalog.location.delete` to the platform team, and this module's
 * router, ahead of the catalog's, unregisters a member's own location for
 * them. Install it with that policy; without
 * it, only the platform team unregisters locations.
 * @public
 */
export const catalogModuleTenancyLocations = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'tenancy-locations',
  register(reg) {
    reg.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        auditor: coreServices.auditor,
        catalog: catalogServiceRef,
      },
      async init({ httpRouter, ...options }) {
        // A module initializes before its plugin, so this router is ahead
        // of the catalog's own.
        httpRouter.use(createLocationGuard(options));
      },
    });
  },
});
