import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { DefaultClusterRegistry } from '@tenancy/plugin-tenancy-node';
import { TenancyEntityProvider } from './TenancyEntityProvider';
import { WorkloadIndexStore } from './state';
import { WorkloadNamespaceProcessor } from './WorkloadNamespaceProcessor';

/**
 * The tenant clusters and namespaces in the catalog: adds
 * {@link TenancyEntityProvider} (clusters and namespaces as Resources owned
 * by the platform team and the tenants) and
 * {@link WorkloadNamespaceProcessor} (service → namespace relations). The
 * clusters are those of `kubernetes.clusterLocatorMethods`.
 * @public
 */
export const catalogModuleTenancy = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'tenancy-kubernetes',
  register(reg) {
    reg.registerInit({
      deps: {
        catalogProcessing: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        cache: coreServices.cache,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
        events: eventsServiceRef,
      },
      async init(deps) {
        const { catalogProcessing, config, logger, cache } = deps;
        const workloadIndex = new WorkloadIndexStore(cache);
        const clusters = DefaultClusterRegistry.fromConfig(config, {
          logger,
          // Read only when kubernetes.clusterLocatorMethods has a catalog entry.
          catalog: deps.catalog,
          auth: deps.auth,
        });
        const provider = TenancyEntityProvider.fromConfig(config, {
          logger,
          scheduler: deps.scheduler,
          cache,
          clusters,
          events: deps.events,
          workloadIndex,
        });
        deps.lifecycle.addShutdownHook(() => provider.stop());
        catalogProcessing.addEntityProvider(provider);
        catalogProcessing.addProcessor(
          new WorkloadNamespaceProcessor(workloadIndex),
        );
      },
    });
  },
});
