import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { tenancyPermissions } from '@tenancy/plugin-tenancy-common';
import { DefaultClusterRegistry } from '@tenancy/plugin-tenancy-node';
import { FleetSnapshotService } from './service/FleetSnapshotService';
import { createRouter } from './service/router';

/**
 * The Tenancy backend plugin (`/api/tenancy`): fleet, cluster, tenant and
 * service-health views over every tenant cluster.
 * @public
 */
export const tenancyPlugin = createBackendPlugin({
  pluginId: 'tenancy',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        userInfo: coreServices.userInfo,
        cache: coreServices.cache,
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
      },
      async init(deps) {
        const { config, logger, httpRouter, scheduler, cache, catalog, auth } =
          deps;
        deps.permissionsRegistry.addPermissions(tenancyPermissions);
        const registry = DefaultClusterRegistry.fromConfig(config, {
          logger,
          catalog,
          auth,
        });
        const snapshots = new FleetSnapshotService({
          registry,
          cache,
          logger,
          config,
        });
        await snapshots.schedule(scheduler);
        httpRouter.use(await createRouter({ ...deps, snapshots }));
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
