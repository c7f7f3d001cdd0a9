import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { createLocationGuard } from './locationGuard';
import {
  MemberLocationOwnerProcessor,
  MemberLocationStore,
} from './memberLocations';

/**
 * Keeps a team member's catalog locations to their own teams' entities:
 *
 * - a member registers (or retargets to) a location only when every entity
 *   it holds names one of their teams, or them, as owner; the catalog's
 *   processing then holds every later version of the file to those owners,
 *   so an entity edited to name another team keeps its last accepted
 *   version and shows the error;
 * - a member unregisters (or retargets) a location only when their teams
 *   own every entity it produced: Tenancy's permission policy keeps
 *   `catalog.location.delete` to the platform team, and this module's
 *   router, ahead of the catalog's, unregisters a member's own location for
 *   them. Without the policy, only the platform team unregisters locations.
 *
 * The platform team's and services' registrations are not restricted.
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
        userInfo: coreServices.userInfo,
        logger: coreServices.logger,
        database: coreServices.database,
        catalog: catalogServiceRef,
        processing: catalogProcessingExtensionPoint,
      },
      async init({ httpRouter, database, processing, ...options }) {
        const store = await MemberLocationStore.create({ database });
        processing.addProcessor(new MemberLocationOwnerProcessor(store));
        // A module initializes before its plugin, so this router is ahead
        // of the catalog's own.
        httpRouter.use(createLocationGuard({ ...options, store }));
      },
    });
  },
});
