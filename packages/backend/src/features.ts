import appBackend from '@backstage/plugin-app-backend';
import authBackend from '@backstage/plugin-auth-backend';
import authGuestProvider from '@backstage/plugin-auth-backend-module-guest-provider';
import catalogBackend from '@backstage/plugin-catalog-backend';
import catalogLogs from '@backstage/plugin-catalog-backend-module-logs';
import catalogScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import kubernetesBackend from '@backstage/plugin-kubernetes-backend';
import mcpActionsBackend from '@backstage/plugin-mcp-actions-backend';
import notificationsBackend from '@backstage/plugin-notifications-backend';
import permissionBackend from '@backstage/plugin-permission-backend';
import proxyBackend from '@backstage/plugin-proxy-backend';
import scaffolderBackend from '@backstage/plugin-scaffolder-backend';
import scaffolderGitea from '@backstage/plugin-scaffolder-backend-module-gitea';
import scaffolderGithub from '@backstage/plugin-scaffolder-backend-module-github';
import scaffolderNotifications from '@backstage/plugin-scaffolder-backend-module-notifications';
import searchBackend from '@backstage/plugin-search-backend';
import searchCatalog from '@backstage/plugin-search-backend-module-catalog';
import searchPg from '@backstage/plugin-search-backend-module-pg';
import searchTechdocs from '@backstage/plugin-search-backend-module-techdocs';
import signalsBackend from '@backstage/plugin-signals-backend';
import techdocsBackend from '@backstage/plugin-techdocs-backend';
import userSettingsBackend from '@backstage/plugin-user-settings-backend';
import scaffolderTenancy from '@tenancy/plugin-scaffolder-backend-module-tenancy';
import tenancyBackend from '@tenancy/plugin-tenancy-backend';
import scaffolderAwsOrganizations from '@tenancy/plugin-scaffolder-backend-module-aws-organizations';
import catalogAwsOrganizations from '@tenancy/plugin-catalog-backend-module-aws-organizations';
import catalogTenancy, {
  catalogModuleTenancyLocations,
} from '@tenancy/plugin-catalog-backend-module-tenancy';
import { authModulePersonasProvider } from './modules/authPersonasProvider';
import { permissionModuleTenancyPolicy } from './modules/tenancyPermissionPolicy';

/**
 * The portal's backend features, grouped by plugin, in one place so that the
 * backend entry point and the backend's integration tests start the same set.
 */
export const portalFeatures = {
  app: [appBackend],
  proxy: [proxyBackend],
  scaffolder: [
    scaffolderBackend,
    // publish:github for production, publish:gitea for the sandbox's git host.
    scaffolderGithub,
    scaffolderGitea,
    scaffolderNotifications,
    // Tenancy: tenancy:namespace:onboard / offboard.
    scaffolderTenancy,
    // Tenancy: aws:organizations:account:create / register / close.
    scaffolderAwsOrganizations,
  ],
  techdocs: [techdocsBackend],
  // Guest sign-in for local use: https://backstage.io/docs/auth/guest/provider
  // Personas: the sandbox's team members and platform team, signed in by
  // name — only where auth.providers.personas is configured (the sandbox).
  auth: [authBackend, authGuestProvider, authModulePersonasProvider],
  catalog: [
    catalogBackend,
    catalogScaffolderEntityModel,
    catalogLogs,
    // Tenancy: AWS accounts of the organization as Resources owned by their team.
    catalogAwsOrganizations,
    // Tenancy: clusters and tenant namespaces as Resources owned by their
    // teams; services related to the namespaces their workloads run in.
    catalogTenancy,
    // Tenancy: a member unregisters a location only when their teams own
    // every entity it produced (the policy keeps catalog.location.delete to
    // the platform team).
    catalogModuleTenancyLocations,
  ],
  // Everything allowed except acting as the platform team (tenancy.platformTeams),
  // which includes Backstage's Kubernetes proxy and resources routes and
  // unregistering locations; entities are deleted by their owners.
  permission: [permissionBackend, permissionModuleTenancyPolicy],
  // PostgreSQL full-text search on PostgreSQL, the in-memory engine otherwise.
  search: [searchBackend, searchPg, searchCatalog, searchTechdocs],
  // Backstage's own Kubernetes plugin: the suite's peer, kept installed.
  kubernetes: [kubernetesBackend],
  userSettings: [userSettingsBackend],
  notifications: [notificationsBackend, signalsBackend],
  mcpActions: [mcpActionsBackend],
  // Tenancy: fleet, cluster, tenant and service-health views (/api/tenancy).
  tenancy: [tenancyBackend],
};

export function allPortalFeatures() {
  return Object.values(portalFeatures).flat();
}
