import { EmptyState, Link, Progress } from '@backstage/core-components';
import { useEntity, useEntityRefLink } from '@backstage/plugin-catalog-react';
import {
  kubernetesClustersReadPermission,
  kubernetesResourcesReadPermission,
} from '@backstage/plugin-kubernetes-common';
import { usePermission } from '@backstage/plugin-permission-react';
import { hasKubernetesWorkloads } from '@tenancy/plugin-tenancy-common';
import { ReactNode } from 'react';

/**
 * Backstage's Kubernetes tab, for whoever may use it. The tab reads every
 * cluster with the portal's identity, for any team's entity, so Tenancy's
 * policy keeps `kubernetes.resources.read` to the platform team; for
 * everyone else Backstage's tab would poll the backend every 10 s and show
 * "Permission required". They are sent to the Health tab instead, which
 * shows their own teams' workloads with their own permissions.
 */
export function GatedKubernetesContent(props: { children: ReactNode }) {
  const { entity } = useEntity();
  const entityLink = useEntityRefLink();
  const resources = usePermission({
    permission: kubernetesResourcesReadPermission,
  });
  const clusters = usePermission({
    permission: kubernetesClustersReadPermission,
  });
  if (resources.loading || clusters.loading) return <Progress />;
  // The Health tab is on Components that name their workloads.
  const health = hasKubernetesWorkloads(entity);
  if (resources.allowed && clusters.allowed) return <>{props.children}</>;
  return (
    <EmptyState
      missing="info"
      title="The Kubernetes tab is the platform team's"
      description={`It reads every cluster with the portal's own identity, whichever team owns the service, so only the platform team may open it.${
        health
          ? " The Health tab shows this service's workloads, restarts and events on every cluster, in your team's namespaces."
          : ''
      }`}
      action={
        health ? (
          <Link to={`${entityLink(entity)}/health`}>Open the Health tab</Link>
        ) : undefined
      }
    />
  );
}
