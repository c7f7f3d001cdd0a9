import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  DefaultClusterRegistry,
  readBaselineOptions,
} from '@tenancy/plugin-tenancy-node';
import {
  createOffboardNamespaceAction,
  createOnboardNamespaceAction,
  createResizeNamespaceAction,
} from './actions';
import { registerNamespaceTools } from './actions/tools';

/**
 * Adds Tenancy's namespace onboarding, offboarding and resizing actions to the
 * scaffolder, and registers them in the actions registry (MCP tools).
 * @public
 */
export const scaffolderModuleTenancy = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'tenancy',
  register(reg) {
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        userInfo: coreServices.userInfo,
        auditor: coreServices.auditor,
        catalog: catalogServiceRef,
        events: eventsServiceRef,
        actionsRegistry: actionsRegistryServiceRef,
      },
      async init({
        scaffolder,
        config,
        logger,
        auth,
        permissions,
        userInfo,
        auditor,
        catalog,
        events,
        actionsRegistry,
      }) {
        const registry = DefaultClusterRegistry.fromConfig(config, {
          logger,
          catalog,
          auth,
        });
        const deps = {
          config,
          registry,
          auth,
          permissions,
          userInfo,
          auditor,
          logger,
          events,
        };
        const onboard = createOnboardNamespaceAction(deps);
        const offboard = createOffboardNamespaceAction(deps);
        const resize = createResizeNamespaceAction(deps);
        scaffolder.addActions(onboard, offboard, resize);
        // The same as MCP tools and CLI actions (backend.actions).
        registerNamespaceTools({
          actionsRegistry,
          baseline: readBaselineOptions(config),
          onboard,
          offboard,
          resize,
        });
      },
    });
  },
});
