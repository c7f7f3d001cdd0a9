import { useEntity } from '@backstage/plugin-catalog-react';
import {
  TENANCY_CLUSTERS_ANNOTATION,
  TENANCY_NAMESPACE_ANNOTATION,
} from '@tenancy/plugin-tenancy-common';
import { ownerRefOf } from '../shared';
import { ClusterAccessCard } from './ClusterAccessCard';

/**
 * Cluster access on a `kubernetes-namespace` Resource: the owning team's
 * kubeconfig narrowed to this namespace on the clusters it is on.
 */
export function ClusterAccessEntityCard() {
  const { entity } = useEntity();
  const annotations = entity.metadata.annotations ?? {};
  const namespace =
    annotations[TENANCY_NAMESPACE_ANNOTATION] ?? entity.metadata.name;
  const clusters = (annotations[TENANCY_CLUSTERS_ANNOTATION] ?? '')
    .split(',')
    .map(c => c.trim())
    .filter(Boolean);
  return (
    <ClusterAccessCard
      groupRef={ownerRefOf(entity)}
      filter={{ namespace, clusters }}
    />
  );
}
