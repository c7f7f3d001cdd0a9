import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  tenancyNamespaceReadPermission,
  tenancyPermissions,
} from '@tenancy/plugin-tenancy-common';
import {
  DefaultClusterRegistry,
  tenancyNamespaceResourceRef,
  tenancyNamespaceRules,
} from '@tenancy/plugin-tenancy-node';
import { FleetSnapshotService } from './service/FleetSnapshotService';
import { WorkloadPodReader } from './service/pods';
import { registerTenancyActions } from './service/actions';
import { createTenancyReads } from './service/reads';
import { createRouter } from './service/router';
import { createClusterAccessRouter } from './clusterAccess/router';
import { createClusterAccess } from './clusterAccess/service';

/**
 * The Tenancy backend plugin (`/api/tenancy`): fleet, cluster, tenant and
 * service-health views over every tenant cluster, and a workload's pods for
 * troubleshooting.
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
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
        actionsRegistry: actionsRegistryServiceRef,
        auditor: coreServices.auditor,
        discovery: coreServices.discovery,
      },
      async init(deps) {
        const { config, logger, httpRouter, scheduler, cache, catalog, auth } =
          deps;
        deps.permissionsRegistry.addPermissions(
          tenancyPermissions.filter(p => p !== tenancyNamespaceReadPermission),
        );
        // Namespaces as a permission resource type, so that policies can
        // answer reads of them with conditions (IS_TENANT_MEMBER); adopters
        // may add rules of their own to it.
        deps.permissionsRegistry.addResourceType({
          resourceRef: tenancyNamespaceResourceRef,
          permissions: [tenancyNamespaceReadPermission],
          rules: Object.values(tenancyNamespaceRules),
        });
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
        // Refreshing while the backend is still starting its plugins starves
        // the refresh of CPU and can report every cluster as timed out for
        // a whole interval: start it once the backend is up. A request that
        // comes before the first refresh made its snapshot makes one itself.
        deps.lifecycle.addStartupHook(async () => {
          try {
            await snapshots.schedule(scheduler);
          } catch (error) {
            // A startup hook's error is only logged by the backend: say
            // what it means. Views still work, refreshing on request.
            logger.error(
              `Could not schedule the fleet refresh (tenancy-fleet-refresh); the fleet views will refresh only when their snapshot expires: ${error}`,
            );
          }
        });
        const readOptions = {
          ...deps,
          snapshots,
          pods: new WorkloadPodReader({ registry, config }),
          namespaceRules: deps.permissionsRegistry.getPermissionRuleset(
            tenancyNamespaceResourceRef,
          ),
        };
        const reads = createTenancyReads(readOptions);
        httpRouter.use(await createRouter(readOptions));
        // kubectl as yourself: tokens the tenant clusters trust.
        httpRouter.use(
          createClusterAccessRouter({
            ...deps,
            clusterAccess: createClusterAccess({
              ...deps,
              registry,
              reads,
              snapshots,
            }),
          }),
        );
        // The same reads as MCP tools and CLI actions (backend.actions).
        registerTenancyActions({
          ...deps,
          reads,
        });
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        // The clusters fetch the issuer's discovery document and keys
        // without credentials.
        httpRouter.addAuthPolicy({
          path: '/cluster-access/.well-known',
          allow: 'unauthenticated',
        });
        httpRouter.addAuthPolicy({
          path: '/cluster-access/jwks',
          allow: 'unauthenticated',
        });
      },
    });
  },
});
