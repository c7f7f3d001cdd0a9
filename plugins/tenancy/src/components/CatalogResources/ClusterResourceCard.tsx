import { InfoCard, Link } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { TENANCY_CLUSTER_ANNOTATION } from '@tenancy/plugin-tenancy-common';
import { useCallback } from 'react';
import { tenancyApiRef } from '../../api';
import { clusterRouteRef } from '../../routes';
import { ClusterFacts } from '../ClusterPage/ClusterPage';
import { AsyncContent, useAutoRefresh } from '../shared';

/**
 * The overview card of a `kubernetes-cluster` Resource: the cluster's
 * summary and a link to its page, for the platform team
 * (`tenancy.fleet.read`); others are told they may not see it.
 */
export function ClusterResourceCard() {
  const { entity } = useEntity();
  const name =
    entity.metadata.annotations?.[TENANCY_CLUSTER_ANNOTATION] ??
    entity.metadata.name;
  const api = useApi(tenancyApiRef);
  const clusterLink = useRouteRef(clusterRouteRef);
  const load = useCallback(() => api.getCluster(name), [api, name]);
  const state = useAutoRefresh(load, `cluster:${name}`);
  return (
    <InfoCard
      title={`Cluster ${name}`}
      deepLink={
        clusterLink
          ? { title: 'Namespaces of this cluster', link: clusterLink({ name }) }
          : undefined
      }
    >
      <AsyncContent state={state} what={`cluster ${name}`} compact>
        {cluster => (
          <>
            <ClusterFacts cluster={cluster} />
            {clusterLink && (
              <Link to={clusterLink({ name })}>
                {cluster.namespaceDetails.length} namespaces
              </Link>
            )}
          </>
        )}
      </AsyncContent>
    </InfoCard>
  );
}
