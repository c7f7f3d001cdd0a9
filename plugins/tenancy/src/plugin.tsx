import {
  ApiBlueprint,
  coreExtensionData,
  createFrontendModule,
  createFrontendPlugin,
  discoveryApiRef,
  ExtensionBoundary,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import DnsIcon from '@mui/icons-material/Dns';
import {
  hasKubernetesWorkloads,
  KUBERNETES_CLUSTER_RESOURCE_TYPE,
  KUBERNETES_NAMESPACE_RESOURCE_TYPE,
  TenancyClient,
} from '@tenancy/plugin-tenancy-common';
import { tenancyApiRef } from './api';
import { homeWidgets } from './homeWidgets';
import { GatedKubernetesContent } from './components/KubernetesTab';
import { clusterRouteRef, rootRouteRef, tenantRouteRef } from './routes';

/** `api:tenancy` — the Tenancy backend client. */
export const tenancyApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: tenancyApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new TenancyClient({ discoveryApi, fetchApi }),
    }),
});

/** `page:tenancy/fleet` — every cluster; the nav item "Fleet". */
export const fleetPage = PageBlueprint.make({
  name: 'fleet',
  params: {
    path: '/tenancy/fleet',
    title: 'Fleet',
    icon: <DnsIcon fontSize="inherit" />,
    routeRef: rootRouteRef,
    loader: () => import('./components/FleetPage').then(m => <m.FleetPage />),
  },
});

/** `page:tenancy/cluster` — one cluster's namespaces. */
export const clusterPage = PageBlueprint.make({
  name: 'cluster',
  params: {
    path: '/tenancy/clusters/:name',
    routeRef: clusterRouteRef,
    loader: () =>
      import('./components/ClusterPage').then(m => <m.ClusterPage />),
  },
});

/** `page:tenancy/tenant` — a team's tenancy outside the catalog. */
export const tenantPage = PageBlueprint.make({
  name: 'tenant',
  params: {
    path: '/tenancy/tenants/:namespace/:name',
    routeRef: tenantRouteRef,
    loader: () => import('./components/TenantPage').then(m => <m.TenantPage />),
  },
});

/** `entity-content:tenancy/tenant` — the "Tenancy" tab of Group entities. */
export const tenantEntityContent = EntityContentBlueprint.make({
  name: 'tenant',
  params: {
    path: '/tenancy',
    title: 'Tenancy',
    group: 'deployment',
    filter: { kind: 'group' },
    loader: () =>
      import('./components/TenantPage').then(m => <m.TenantEntityContent />),
  },
});

/** `entity-content:tenancy/health` — the "Health" tab of Components with Kubernetes workloads. */
export const healthEntityContent = EntityContentBlueprint.make({
  name: 'health',
  params: {
    path: '/health',
    title: 'Health',
    group: 'observability',
    filter: hasKubernetesWorkloads,
    loader: () =>
      import('./components/ServiceHealth').then(m => <m.EntityHealthContent />),
  },
});

/** `entity-card:tenancy/health` — the health overview card (info column) of the same Components. */
export const healthEntityCard = EntityCardBlueprint.make({
  name: 'health',
  params: {
    type: 'info',
    filter: hasKubernetesWorkloads,
    loader: () =>
      import('./components/ServiceHealth').then(m => <m.EntityHealthCard />),
  },
});

/** The cards of a tenant namespace's page: kubernetes-namespace Resources. */
const NAMESPACE_RESOURCE = {
  kind: 'resource',
  'spec.type': KUBERNETES_NAMESPACE_RESOURCE_TYPE,
};

/** `entity-card:tenancy/namespace` — a kubernetes-namespace Resource's quota, policies and workloads per cluster. */
export const namespaceEntityCard = EntityCardBlueprint.make({
  name: 'namespace',
  params: {
    type: 'content',
    filter: NAMESPACE_RESOURCE,
    loader: () =>
      import('./components/CatalogResources').then(m => (
        <m.NamespaceResourceCard />
      )),
  },
});

/** `entity-card:tenancy/cluster-access` — kubectl access (install command, contexts, kubeconfig) to a kubernetes-namespace Resource, for its owning team. */
export const clusterAccessEntityCard = EntityCardBlueprint.make({
  name: 'cluster-access',
  params: {
    type: 'content',
    filter: NAMESPACE_RESOURCE,
    loader: () =>
      import('./components/ClusterAccess').then(m => (
        <m.ClusterAccessEntityCard />
      )),
  },
});

/** `entity-card:tenancy/cluster` — a kubernetes-cluster Resource's summary (platform team). */
export const clusterEntityCard = EntityCardBlueprint.make({
  name: 'cluster',
  params: {
    type: 'content',
    filter: {
      kind: 'resource',
      'spec.type': KUBERNETES_CLUSTER_RESOURCE_TYPE,
    },
    loader: () =>
      import('./components/CatalogResources').then(m => (
        <m.ClusterResourceCard />
      )),
  },
});

/**
 * `ui:field: TenancyEnvironmentPicker` for templates: the portal's
 * environments with their clusters and whether they answer.
 */
export const environmentPickerFormField = FormFieldBlueprint.make({
  name: 'environment-picker',
  params: {
    field: () =>
      import('./components/ScaffolderFields').then(
        m => m.environmentPickerField,
      ),
  },
});

/**
 * `ui:field: TenancyEnvironmentsPicker` for templates: several environments
 * at once (an array) — those with clusters and an OU for AWS accounts, for
 * onboarding a new team to each.
 */
export const environmentsPickerFormField = FormFieldBlueprint.make({
  name: 'environments-picker',
  params: {
    field: () =>
      import('./components/ScaffolderFields').then(
        m => m.environmentsPickerField,
      ),
  },
});

/**
 * `ui:field: TenancyNamespaceSizePicker` for templates: the portal's quota
 * presets with their real numbers.
 */
export const namespaceSizePickerFormField = FormFieldBlueprint.make({
  name: 'namespace-size-picker',
  params: {
    field: () =>
      import('./components/ScaffolderFields').then(
        m => m.namespaceSizePickerField,
      ),
  },
});

/**
 * `ui:field: TenancyTeamPicker` for templates: the teams the person may act
 * for — their own, or any team for the platform team.
 */
export const teamPickerFormField = FormFieldBlueprint.make({
  name: 'team-picker',
  params: {
    field: () =>
      import('./components/ScaffolderFields').then(m => m.teamPickerField),
  },
});

/**
 * `ui:field: TenancyDryRunPreview` for day-2 templates: what the change
 * would do on each cluster (the action's dry run), and a typed confirmation.
 */
export const dryRunPreviewFormField = FormFieldBlueprint.make({
  name: 'dry-run-preview',
  params: {
    field: () =>
      import('./components/ScaffolderFields').then(m => m.dryRunPreviewField),
  },
});

/**
 * The Tenancy frontend: fleet, cluster and team pages, the health of
 * services with their pods one click away, and the developer home's
 * widgets and the scaffolder's environment and namespace-size fields, over the Tenancy backend (`@tenancy/plugin-tenancy-backend`).
 *
 * @public
 */
export const tenancyPlugin = createFrontendPlugin({
  pluginId: 'tenancy',
  title: 'Tenancy',
  extensions: [
    tenancyApi,
    fleetPage,
    clusterPage,
    tenantPage,
    tenantEntityContent,
    healthEntityContent,
    healthEntityCard,
    namespaceEntityCard,
    clusterAccessEntityCard,
    clusterEntityCard,
    environmentPickerFormField,
    environmentsPickerFormField,
    namespaceSizePickerFormField,
    teamPickerFormField,
    dryRunPreviewFormField,
    ...homeWidgets,
  ],
  routes: {
    root: rootRouteRef,
    cluster: clusterRouteRef,
    tenant: tenantRouteRef,
  },
});

/**
 * Backstage's Kubernetes tab (`entity-content:kubernetes/kubernetes`),
 * shown only to whoever may use it: it reads every cluster with the
 * portal's identity, for any team's entity, and Tenancy's policy keeps
 * `kubernetes.resources.read` to the platform team. Everyone else gets a
 * short explanation and a link to the Health tab instead of a tab that
 * polls the backend for a 403 every 10 s. Install it next to
 * `@backstage/plugin-kubernetes`.
 *
 * @public
 */
export const tenancyKubernetesTabModule = createFrontendModule({
  pluginId: 'kubernetes',
  extensions: [
    kubernetesPlugin
      .getExtension('entity-content:kubernetes/kubernetes')
      .override({
        *factory(originalFactory, { node }) {
          for (const output of originalFactory()) {
            if (output.id === coreExtensionData.reactElement.id) {
              yield coreExtensionData.reactElement(
                <ExtensionBoundary node={node}>
                  <GatedKubernetesContent>
                    {output.value as JSX.Element}
                  </GatedKubernetesContent>
                </ExtensionBoundary>,
              );
            } else {
              yield output;
            }
          }
        },
      }),
  ],
});
