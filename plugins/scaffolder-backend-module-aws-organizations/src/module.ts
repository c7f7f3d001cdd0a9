import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import {
  createCloseAwsAccountAction,
  createCreateAwsAccountAction,
  createRegisterAwsAccountAction,
} from './actions';
import { registerAccountTools } from './actions/tools';
import { AccountRequestStore } from './database/AccountRequestStore';
import { awsOrganizationsPermissions } from './permissions';
import {
  OrganizationsClientProvider,
  readAwsOrganizationsConfig,
} from '@tenancy/plugin-tenancy-node';

/**
 * Adds the AWS account vending actions to the scaffolder:
 * `aws:organizations:account:create`, `…:register` and `…:close`. Keeps its
 * request table (`tenancy_aws_account_requests`) in the scaffolder's
 * database, migrated under its own `tenancy_aws_knex_migrations` table.
 * @public
 */
export const scaffolderModuleAwsOrganizations = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'tenancy-aws-organizations',
  register(reg) {
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
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
        database,
        auth,
        permissions,
        permissionsRegistry,
        userInfo,
        auditor,
        catalog,
        events,
        actionsRegistry,
      }) {
        permissionsRegistry.addPermissions(awsOrganizationsPermissions);
        const settings = readAwsOrganizationsConfig(config);
        const store = await AccountRequestStore.create({ database });
        const clients = OrganizationsClientProvider.fromConfig(config);
        const access = { auth, permissions, userInfo, auditor };
        const create = createCreateAwsAccountAction({
          ...access,
          settings,
          clients,
          store,
          logger,
        });
        const close = createCloseAwsAccountAction({
          ...access,
          clients,
          events,
        });
        scaffolder.addActions(
          create,
          createRegisterAwsAccountAction({
            ...access,
            clients,
            catalog,
            events,
          }),
          close,
        );
        // The plans (dry runs) as MCP tools and CLI actions (backend.actions).
        registerAccountTools({ actionsRegistry, create, close });
      },
    });
  },
});
