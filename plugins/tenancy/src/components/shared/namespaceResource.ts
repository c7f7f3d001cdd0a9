import { Entity } from '@backstage/catalog-model';
import {
  TENANCY_CLUSTERS_ANNOTATION,
  TENANCY_ENVIRONMENT_ANNOTATION,
  TENANCY_NAMESPACE_ANNOTATION,
} from '@tenancy/plugin-tenancy-common';

/**
 * What a `kubernetes-namespace` Resource's annotations say: the Kubernetes
 * namespace (the entity's name without one), its environment and the
 * clusters it is on.
 */
export function namespaceResourceOf(entity: Entity): {
  namespace: string;
  environment?: string;
  clusters: string[];
} {
  const annotations = entity.metadata.annotations ?? {};
  return {
    namespace:
      annotations[TENANCY_NAMESPACE_ANNOTATION] ?? entity.metadata.name,
    environment: annotations[TENANCY_ENVIRONMENT_ANNOTATION],
    clusters: (annotations[TENANCY_CLUSTERS_ANNOTATION] ?? '')
      .split(',')
      .map(c => c.trim())
      .filter(Boolean),
  };
}
