import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { AwsAccountEntityProvider } from './AwsAccountEntityProvider';
import { AWS_ORGANIZATIONS_CONFIG_KEY as CONFIG_KEY } from '@tenancy/plugin-tenancy-node';

/**
 * The catalog side of account vending: adds {@link AwsAccountEntityProvider},
 * which lists the tenants' AWS accounts as `Resource` entities of type
 * `cloud-account`. Inactive unless `tenancy.aws.organizations` is configured.
 * @public
 */
export const catalogModuleAwsOrganizationsAccounts = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'tenancy-aws-organizations-accounts',
  register(reg) {
    reg.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        events: eventsServiceRef,
      },
      async init({ catalog, config, logger, scheduler, events }) {
        if (!config.has(CONFIG_KEY)) {
          // Without it, the provider would read whatever organization the
          // ambient AWS credentials belong to.
          logger.info(
            `${CONFIG_KEY} is not configured; AWS accounts are not read into the catalog`,
          );
          return;
        }
        catalog.addEntityProvider(
          AwsAccountEntityProvider.fromConfig(config, {
            logger,
            scheduler,
            events,
          }),
        );
      },
    });
  },
});
