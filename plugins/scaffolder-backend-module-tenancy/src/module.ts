import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { DefaultClusterRegistry } from '@tenancy/plugin-tenancy-node';
import {
  createOffboardNamespaceAction,
  createOnboardNamespaceAction,
} from './actions';

/**
 * Adds Tenancy's namespace onboarding and offboarding actions to the
 * scaffolder.
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
        scaffolder.addActions(
          createOnboardNamespaceAction(deps),
          createOffboardNamespaceAction(deps),
        );
      },
    });
  },
});
