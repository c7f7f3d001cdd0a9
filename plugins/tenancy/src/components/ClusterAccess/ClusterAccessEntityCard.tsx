import { InfoCard } from '@backstage/core-components';
import { parseEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import Alert from '@mui/material/Alert';
import { namespaceResourceOf, ownerRefOf } from '../shared';
import { ClusterAccessCard } from './ClusterAccessCard';

/**
 * Cluster access on a `kubernetes-namespace` Resource: the owning team's
 * kubeconfig narrowed to this namespace on the clusters it is on.
 */
export function ClusterAccessEntityCard() {
  const { entity } = useEntity();
  const { namespace, clusters } = namespaceResourceOf(entity);
  const owner = ownerRefOf(entity);
  if (parseEntityRef(owner).kind.toLocaleLowerCase('en-US') !== 'group') {
    // Cluster tokens carry teams as Kubernetes groups: a namespace owned by
    // a person (or anything but a team) has no team to give access through.
    return (
      <InfoCard title="Cluster access">
        <Alert severity="info" data-testid="cluster-access-not-a-team">
          Cluster access is given to teams, and this namespace's owner ({owner})
          is not a team. Ask the platform team to make a team its owner.
        </Alert>
      </InfoCard>
    );
  }
  return (
    <ClusterAccessCard groupRef={owner} filter={{ namespace, clusters }} />
  );
}
